import Foundation
import Testing

@testable import CairnDomain

@Suite("Values and validation")
struct ValueTests {
    @Test(arguments: [
        ("ada@example.com", true), ("a.b+tag@sub.example.co.uk", true), ("x@xn--bcher-kva.example", true),
        ("plain", false), ("@example.com", false), ("a@", false), ("a@b", false), ("a@@b.com", false), ("a b@c.com", false),
        ("a..b@c.com", false), (".a@c.com", false), ("a@-c.com", false), ("a@c.c0m", false), ("a@c.com.", false),
    ])
    func email(_ value: String, _ valid: Bool) {
        #expect(ContactValidation.isValidEmail(value) == valid)
    }

    @Test(arguments: [
        ("+14155550123", true), ("+447700900123", true), ("+4930123456", true), ("+123456789012345", true),
        ("14155550123", false), ("+0123456789", false), ("+1 415 555 0123", false), ("+1234567", false), ("+1234567890123456", false),
        ("+", false),
    ])
    func e164(_ value: String, _ valid: Bool) {
        #expect(ContactValidation.isValidE164(value) == valid)
    }

    @Test(arguments: [
        ("EUR", true), ("USD", true), ("JPY", true), ("CHF", true), ("XCG", true), ("eur", false), ("XXX", false),
        ("XTS", false), ("ABC", false), ("HRK", false), ("EURO", false),
    ])
    func currency(_ code: String, _ valid: Bool) {
        #expect(CurrencyCode.isValid(code) == valid)
    }

    @Test func currencyListLooksLikeISO4217() {
        #expect(CurrencyCode.all.count > 170)
        #expect(CurrencyCode.all.allSatisfy { $0.utf8.count == 3 && $0.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A } })
    }

    @Test(arguments: [
        ("2026-02-28", true), ("2024-02-29", true), ("2000-02-29", true), ("1900-02-29", false), ("2026-02-29", false),
        ("2026-04-31", false), ("2026-13-01", false), ("2026-00-10", false), ("2026-1-01", false), ("0000-01-01", false),
        ("2026-12-31", true),
    ])
    func calendarDate(_ text: String, _ valid: Bool) {
        #expect((CalendarDate(iso8601: text) != nil) == valid)
        if valid { #expect(CalendarDate(iso8601: text)?.description == text) }
    }

    @Test(arguments: [
        ("2026-03-14T09:26:53.589Z", "2026-03-14T09:26:53.589Z"),
        ("2026-03-14T09:26:53Z", "2026-03-14T09:26:53.000Z"),
        ("2026-03-14T09:26:53.5898765Z", "2026-03-14T09:26:53.589Z"),
        ("2026-03-14T11:26:53.589+02:00", "2026-03-14T09:26:53.589Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ("2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z"),
    ])
    func timestamp(_ text: String, _ normalised: String) throws {
        let t = try #require(Timestamp(rfc3339: text))
        #expect(t.description == normalised)
        #expect(Timestamp(rfc3339: t.description) == t)
    }

    @Test(arguments: [
        "2026-03-14", "2026-03-14 09:26:53Z", "2026-03-14T25:00:00Z", "2026-02-30T00:00:00Z", "2026-03-14T09:26:53",
        "2026-03-14T09:26:53.Z", "yesterday",
    ])
    func invalidTimestamp(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func addingSecondsSaturatesInsteadOfTrapping() {
        let earliest = Timestamp(millisecondsSinceEpoch: .min), latest = Timestamp(millisecondsSinceEpoch: .max)
        #expect(now.adding(seconds: .max) == latest)
        #expect(now.adding(seconds: .min) == earliest)
        #expect(latest.adding(seconds: 1) == latest)
        #expect(earliest.adding(seconds: -1) == earliest)
        #expect(now.adding(seconds: -86_400) == at("2026-03-31T12:00:00.000Z"))
        // The extremes still print (years far outside RFC 3339, but no trap).
        #expect(!earliest.description.isEmpty && !latest.description.isEmpty)
    }

    @Test func timestampMatchesFoundationDate() {
        let t = Timestamp(millisecondsSinceEpoch: 1_773_480_413_589)
        #expect(Timestamp(t.date) == t)
        #expect(t.description == "2026-03-14T09:26:53.589Z")
        #expect(t.utcDate == CalendarDate(year: 2026, month: 3, day: 14))
    }

    @Test(arguments: ["customer-c_1", "case-a-b", "opportunity-X_9"])
    func streamNames(_ text: String) throws {
        let name = try #require(StreamName(parsing: text))
        #expect(name.description == text)
    }

    @Test(arguments: ["customers-c", "customer-", "customer-a b", "invoice-1", "customer-\(String(repeating: "x", count: 101))"])
    func invalidStreamNames(_ text: String) {
        #expect(StreamName(parsing: text) == nil)
    }

    @Test func money() {
        #expect(Money("10.50", "EUR")?.amount == Money("10.5", "EUR")?.amount)
        for bad in ["1e3", "1,5", "", "-", ".5", "5.", "0x10", " 1"] { #expect(Money(bad, "EUR") == nil, "\(bad)") }
    }

    /// Amounts are built from their digits without going through Foundation's parser: the
    /// value and its description must be the parser's, to the last digit.
    @Test(arguments: [
        "0", "-0", "0.0", "0.10", "1250.50", "-3.000", "99.99", "250000.00", "-0.01", "1000000",
        "9999999999999999999", "12345678901234567.12", "12345678901234567890.5", "-98765432109876543210.0123456789",
    ])
    func moneyAmountsMatchFoundationsParser(_ text: String) throws {
        let parsed = try #require(Money(text, "EUR")).amount
        let reference = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
        #expect(parsed == reference)
        #expect(parsed.description == reference.description)
        #expect(parsed.plainDescription == reference.description)
    }

    /// The fast description is Foundation's, digit for digit, for parsed amounts and for what
    /// the read models make of them (sums, differences, products, quotients, rounding), and
    /// falls back to Foundation beyond 18 significant digits.
    @Test func plainDescriptionIsFoundationsDescription() throws {
        var random = SplitMix64(seed: 20_261_207)
        func check(_ value: Decimal) {
            #expect(value.plainDescription == value.description, "significand \(value.significand), exponent \(value.exponent)")
        }
        for _ in 0..<20_000 {
            var text = String(random.next() % 1_000_000_000_000)
            if random.next() % 2 == 0 { text += "." + String(random.next() % 10_000) }
            if random.next() % 3 == 0 { text = "-" + text }
            let a = try #require(Decimal(plainNotation: text))
            let b = try #require(Decimal(plainNotation: "\(random.next() % 100_000).\(random.next() % 100)"))
            for value in [a, -a, a + b, a - b, a * b, b * Decimal(string: "0.25")!, a / Decimal(Int(random.next() % 7) + 1)] {
                check(value)
            }
            var rounded = Decimal()
            var product = a * b
            NSDecimalRound(&rounded, &product, 2, .plain)
            check(rounded)
        }
        for text in ["0", "-0.00", "100", "0.001", "1.50", "123456789012345678", "999999999999999999", "1000000000000000000", "999999999999999999.99", "1e30", "-1e-30"] {
            check(try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))))
        }
        check(Decimal(string: "1.50")! + Decimal(string: "1.50")!)
        check(Decimal.nan)
        check(Decimal.greatestFiniteMagnitude)
    }
}

@Suite("JSON")
struct JSONTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":"\u00e9\ud83d\ude00\n"}"#, #"[]"#, #"{}"#, #"-0.5e-3"#, #""\/""#, " [ 1 , 2 ] ",
    ])
    func parses(_ text: String) throws {
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(try JSONValue.parse(value.serializedBytes) == value)
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1,}"#, "[1,]", "01", "1.", "NaN", #""\x""#, #""\ud800""#, "{} {}", "", "\"a\u{01}\"", "1e999",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("Strings scanned eight bytes at a time find a quote, escape, control character or non-ASCII byte at every offset")
    func stringScanAtEveryOffset() throws {
        let specials: [(text: String, value: String?)] = [
            (#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), ("é", "é"), ("😀", "😀"), ("\u{7F}", "\u{7F}"), ("\u{1F}", nil), ("\t", nil),
        ]
        for length in 0..<20 {
            let plain = String(repeating: "abcdefgh", count: 3).prefix(length)
            #expect(try JSONValue.parse(Array("[\"\(plain)\",1]".utf8)) == .array([.string(String(plain)), .number(1)]))
            #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("\"\(plain)".utf8)) }
            for offset in 0...length {
                let before = plain.prefix(offset), after = plain.dropFirst(offset)
                let invalid = Array("{\"k\":\"\(before)".utf8) + [0xFF] + Array("\(after)\"}".utf8)
                #expect(throws: JSONParseError.self) { try JSONValue.parse(invalid) }
                for special in specials {
                    let bytes = Array("{\"k\":\"\(before)\(special.text)\(after)\"}".utf8)
                    if let value = special.value {
                        #expect(try JSONValue.parse(bytes) == .object(["k": .string(before + value + after)]))
                    } else {
                        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
                    }
                }
            }
        }
    }

    @Test func serializationIsCanonical() throws {
        let value = JSONValue.object(["b": .number(1), "a": .array([.number(1.5), .string("x\"\u{1}"), .number(-3)]), "é": .null])
        #expect(value.serializedString == #"{"a":[1.5,"x\"\u0001",-3],"b":1,"é":null}"#)
        // Escapes between, before and after clean runs; keys ordered by UTF-8 bytes ("Z" < "a" < "é" < "😀").
        let text = JSONValue.object([
            "a": .string("\\start\tmid\"dle\nend\r"), "Z": .string("clean ✓"), "😀": .string("\u{1f}"), "é": .string(""),
        ])
        #expect(text.serializedString == #"{"Z":"clean ✓","a":"\\start\tmid\"dle\nend\r","é":"","😀":"\u001f"}"#)
        #expect(try JSONValue.parse(text.serializedBytes) == text)
    }
}
