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

    public var description: String { "\(amount) \(currency)" }

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

extension Money: JSONObjectCodable {
    var json: JSONValue {
        .object(["amount": .string(amount.description), "currency": .string(currency)])
    }

    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        let text: String = try r.required("amount")
        guard let amount = Money.parseAmount(text) else {
            throw EventDecodingError(path: "\(r.path)/amount", reason: .invalidValue("'\(text)' is not a decimal amount"))
        }
        self.init(amount: amount, currency: try r.required("currency"))
    }
}
