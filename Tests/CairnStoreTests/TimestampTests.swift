import Foundation
import Testing

@testable import CairnStore

@Suite("Timestamps as text")
struct TimestampTests {
    /// RFC 3339 the way `strftime`-style formatting writes it: the reference the digit-by-digit
    /// writer must match.
    private func reference(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
            parts.tm_min, parts.tm_sec, Int32(micros - seconds * 1_000_000))
    }

    @Test("rfc3339 writes every field zero-padded, microseconds included, from year 1 to 9999")
    func rfc3339MatchesTheReference() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // xorshift64: seeded, so a failure repeats
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var samples: [Int64] = [0, 1, -1, 999_999, 1_000_000, -1_000_000, 253_402_300_799_999_999, -62_135_596_800_000_000]
        let (first, last) = (samples.min()!, samples.max()!)
        for _ in 0..<20_000 { samples.append(first + Int64(next() % UInt64(last - first))) }
        for micros in samples {
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            #expect(timestamp.rfc3339 == reference(micros), "\(micros)")
            #expect(Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
        }
    }
}
