public import Foundation

/// An amount in one ISO 4217 currency. Amounts are decimal, stored as JSON strings
/// (`"1250.50"`) so no binary floating point ever touches money.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    public var amount: Decimal
    public var currency: String

    public init(amount: Decimal, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public init?(_ amount: String, _ currency: String) {
        guard let value = Money.parseAmount(amount) else { return nil }
        self.init(amount: value, currency: currency)
    }

    public var description: String { amount.plainDescription + " " + currency }

    /// Accepts only plain decimal notation (`-?digits[.digits]`), nothing locale-dependent.
    static func parseAmount(_ text: String) -> Decimal? { Decimal(plainNotation: text) }
}

extension Decimal {
    /// A decimal written in plain notation (`-?digits[.digits]`, at most 20 integer and 10
    /// fraction digits), read without Foundation's locale-aware scanner: the same value, and
    /// the same description, many times faster.
    public init?(plainNotation text: String) {
        let b = Array(text.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        guard i > intStart, i - intStart <= 20 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > f, i - f <= 10 else { return nil }
        }
        guard i == b.count else { return nil }
        // Up to 19 digits fit a UInt64 significand: build the decimal directly (the same value,
        // and the same description, as parsing the text), which is most of the cost of reading
        // an order or an opportunity.
        var significand: UInt64 = 0
        var digits = 0
        var fraction = 0
        var inFraction = false
        for byte in b {
            switch byte {
            case UInt8(ascii: "."): inFraction = true
            case UInt8(ascii: "-"): continue
            default:
                significand = significand &* 10 &+ UInt64(byte - 0x30)
                digits += 1
                if inFraction { fraction += 1 }
            }
        }
        guard digits > 19 else {
            self.init(sign: b[0] == UInt8(ascii: "-") ? .minus : .plus, exponent: -fraction, significand: Decimal(significand))
            return
        }
        guard let parsed = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        self = parsed
    }
}

extension Decimal {
    /// Exactly `description` (plain notation, `.` as separator, no exponent), made without
    /// Foundation's digit-by-digit division of the whole mantissa when the significand is below
    /// 10^18 — every amount a CRM meets — which is several times faster: read models write an
    /// amount for most sales events.
    public var plainDescription: String {
        guard !isNaN, exponent > -64, exponent < 64 else { return description }
        let significand = self.significand
        guard significand <= Self.plainLimit else { return description }
        var mantissa = NSDecimalNumber(decimal: significand).uint64Value
        if mantissa == 0 { return "0" }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { buffer in
            // The digits, backwards from the end of the buffer.
            var first = buffer.count
            while mantissa > 0 {
                first -= 1
                buffer[first] = UInt8(truncatingIfNeeded: mantissa % 10) + UInt8(ascii: "0")
                mantissa /= 10
            }
            let digits = UnsafeBufferPointer(rebasing: buffer[first...])
            var out: [UInt8] = []
            out.reserveCapacity(digits.count + abs(exponent) + 3)
            if sign == .minus { out.append(UInt8(ascii: "-")) }
            if exponent >= 0 {
                out += digits
                out += repeatElement(UInt8(ascii: "0"), count: exponent)
            } else if digits.count + exponent > 0 {
                let point = digits.count + exponent
                out += digits[..<point]
                out.append(UInt8(ascii: "."))
                out += digits[point...]
            } else {
                out += [UInt8(ascii: "0"), UInt8(ascii: ".")]
                out += repeatElement(UInt8(ascii: "0"), count: -(digits.count + exponent))
                out += digits
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The largest significand formatted here: 10^18 - 1, whose exponent is 0 like every
    /// significand's (10^18 itself is stored as 1 × 10^18, and comparing with it aligns
    /// exponents first, which cost more than the comparison).
    private static let plainLimit = Decimal(999_999_999_999_999_999 as UInt64)
}

extension Money: JSONObjectCodable {
    var json: JSONValue {
        .object(["amount": .string(amount.plainDescription), "currency": .string(currency)])
    }

    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        let text: String = try r.required("amount")
        guard let amount = Money.parseAmount(text) else {
            throw EventDecodingError(path: "\(r.path)/amount", reason: .invalidValue("'\(text)' is not a decimal amount"))
        }
        self.init(amount: amount, currency: try r.required("currency"))
    }
}
