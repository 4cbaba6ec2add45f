public import Foundation

/// An instant with millisecond precision, stored as RFC 3339 UTC text
/// (`2026-11-23T05:15:57.123Z`). Millisecond integers make encode → decode exact, which
/// `Date`'s floating seconds do not.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    public init(_ date: Date) {
        self.millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    /// `seconds` later (earlier when negative). Saturates at the ends of the representable range
    /// instead of trapping, so no stored duration, however large, can crash a decision.
    public func adding(seconds: Int) -> Timestamp {
        let (delta, overflowed) = Int64(seconds).multipliedReportingOverflow(by: 1000)
        let (sum, sumOverflowed) = millisecondsSinceEpoch.addingReportingOverflow(delta)
        guard !overflowed, !sumOverflowed else { return Timestamp(millisecondsSinceEpoch: seconds < 0 ? .min : .max) }
        return Timestamp(millisecondsSinceEpoch: sum)
    }

    /// `days` whole days earlier, saturating like `adding(seconds:)`.
    func subtracting(days: Int) -> Timestamp {
        let (seconds, overflowed) = days.multipliedReportingOverflow(by: -86_400)
        guard !overflowed else { return Timestamp(millisecondsSinceEpoch: days > 0 ? .min : .max) }
        return adding(seconds: seconds)
    }

    /// The calendar day (UTC) this instant falls on.
    public var utcDate: CalendarDate {
        let days = Int(millisecondsSinceEpoch.floorDiv(86_400_000))
        let (y, m, d) = CalendarDate.civil(fromDays: days)
        return CalendarDate(uncheckedYear: y, month: m, day: d)
    }

    /// RFC 3339 in UTC with exactly three fraction digits.
    public var description: String {
        let ms = millisecondsSinceEpoch
        let days = Int(ms.floorDiv(86_400_000))
        let remainder = ms % 86_400_000  // not `ms - days * 86_400_000`, which overflows near Int64.min
        let inDay = Int(remainder < 0 ? remainder + 86_400_000 : remainder)
        let (y, m, d) = CalendarDate.civil(fromDays: days)
        let h = inDay / 3_600_000, mi = inDay / 60_000 % 60, s = inDay / 1000 % 60, f = inDay % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); fractions beyond
    /// milliseconds are truncated. Returns nil for anything else, including invalid dates.
    public init?(rfc3339 text: String) {
        var text = text
        guard let millis = text.withUTF8({ Self.millisecondsSinceEpoch(rfc3339: $0) }) else { return nil }
        self.millisecondsSinceEpoch = millis
    }

    /// The parser behind ``init(rfc3339:)``, over UTF-8 bytes (payload decoding reads them in place).
    static func millisecondsSinceEpoch(rfc3339 b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let date = CalendarDate(iso8601: UnsafeBufferPointer(rebasing: b[0..<10])),
            let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let s = digits(b, 17, 2),
            h < 24, mi < 60, s < 60
        else { return nil }
        var i = 19
        var millis = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > start, i - start <= 9 else { return nil }
            for k in 0..<3 { millis = millis * 10 + (start + k < i ? Int(b[start + k] - 0x30) : 0) }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"),
                let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }
}

extension Timestamp: JSONCodableValue {
    var json: JSONValue { .string(description) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        if let millis = json.withPlainString({ Self.millisecondsSinceEpoch(rfc3339: $0) }), let millis {
            self.millisecondsSinceEpoch = millis
            return
        }
        let text = try String(json: json, path: path())
        guard let value = Timestamp(rfc3339: text) else {
            throw EventDecodingError(path: path(), reason: .invalidValue("'\(text)' is not an RFC 3339 timestamp"))
        }
        self = value
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
    guard start + count <= b.count else { return nil }
    var value = 0
    for i in start..<(start + count) {
        guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
        value = value * 10 + Int(b[i] - 0x30)
    }
    return value
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
