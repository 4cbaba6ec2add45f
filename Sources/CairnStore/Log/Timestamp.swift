public import Foundation

/// A point in time with microsecond resolution, as the log stores it.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    public init(_ date: Date) {
        microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-11-23T05:13:14.123456Z`.
    public var description: String { rfc3339 }

    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``rfc3339`` to `out`, digit by digit: event streams write one or two per event.
    package func appendRFC3339(to out: inout [UInt8]) {
        let seconds = microsecondsSinceEpoch >= 0 ? microsecondsSinceEpoch / 1_000_000 : (microsecondsSinceEpoch - 999_999) / 1_000_000
        let micros = microsecondsSinceEpoch - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        /// `v` in decimal, zeros in front up to `width` digits.
        func pad(_ v: Int64, _ width: Int) {
            guard v >= 0 else {
                // Never for a time this side of year 0; written as the text form always was.
                let s = String(v)
                out += repeatElement(UInt8(ascii: "0"), count: Swift.max(0, width - s.utf8.count))
                out += s.utf8
                return
            }
            let start = out.count
            var rest = v
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            while out.count - start < width { out.append(UInt8(ascii: "0")) }
            out[start...].reverse()
        }
        pad(Int64(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        pad(Int64(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        pad(Int64(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        pad(Int64(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        pad(Int64(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        pad(Int64(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        pad(micros, 6)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses RFC 3339: `2026-11-23T05:13:14Z`, with optional fractional seconds (kept to the
    /// microsecond) and `Z` or a `±hh:mm` offset.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for c in b[from..<from + count] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        func byte(_ i: Int) -> UInt8? { i < b.count ? b[i] : nil }
        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2),
            byte(7) == UInt8(ascii: "-"), let day = number(8, 2),
            let t = byte(10), t == UInt8(ascii: "T") || t == UInt8(ascii: "t") || t == UInt8(ascii: " "),
            let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2),
            byte(16) == UInt8(ascii: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var micros = 0
        if byte(i) == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while let c = byte(i), c >= 48 && c <= 57 {
                if digits < 6 { micros = micros * 10 + Int(c - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        var offsetSeconds = 0
        switch byte(i) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = number(i + 1, 2), byte(i + 3) == UInt8(ascii: ":"), let om = number(i + 4, 2) else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offsetSeconds)
        // timegm normalises 31 February into March: refuse dates that do not exist.
        guard parts.tm_mday == Int32(day) else { return nil }
        microsecondsSinceEpoch = seconds * 1_000_000 + Int64(micros)
    }
}

/// The wall clock the log stamps `recordedAt` with; injected so tests control time.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}
