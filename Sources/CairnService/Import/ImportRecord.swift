import CairnDomain
import CairnStore
import Foundation

/// One input record with its values under the importer's field names (`email`, `firstName`,
/// `customer`, …), whatever the source's own column or key names were.
public struct ImportRecord: Sendable {
    /// The record's line (CSV) or number (JSON), for the error report.
    public var line: Int
    public var values: [String: String]

    public init(line: Int, values: [String: String]) {
        self.line = line
        self.values = values
    }

    /// The trimmed value, nil when absent or blank.
    public func value(_ field: String) -> String? {
        guard let raw = values[field] else { return nil }
        return Self.trimmed(raw)
    }

    /// `text` without leading and trailing ASCII white space; nil when nothing is left. (Far
    /// cheaper than Foundation's trimming, which bridges every value through NSString.)
    static func trimmed(_ text: String) -> String? {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return nil }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        if !isSpace(first) && !isSpace(last) { return text }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else {
            return nil
        }
        return String(text[start...end])
    }

    func required(_ field: String, key: String?) throws(ImportRowError) -> String {
        guard let value = value(field) else {
            throw ImportRowError(line: line, key: key, code: "import.missingField", reason: "\(field) is required")
        }
        return value
    }

    func invalid(_ field: String, _ value: String, _ expected: String, key: String?) -> ImportRowError {
        ImportRowError(line: line, key: key, code: "import.invalidValue", reason: "\(field) '\(value.prefix(80))' is not \(expected)")
    }

    func date(_ field: String, key: String?) throws(ImportRowError) -> CalendarDate? {
        guard let text = value(field) else { return nil }
        if let date = CalendarDate(iso8601: String(text.prefix(10))) { return date }
        throw invalid(field, text, "a date (YYYY-MM-DD)", key: key)
    }

    func timestamp(_ field: String, key: String?) throws(ImportRowError) -> CairnDomain.Timestamp? {
        guard let text = value(field) else { return nil }
        if let time = CairnDomain.Timestamp(rfc3339: text) { return time }
        if text.utf8.count == 10, let date = CalendarDate(iso8601: text), let time = CairnDomain.Timestamp(rfc3339: "\(date)T00:00:00Z") {
            return time
        }
        throw invalid(field, text, "a time (RFC 3339) or a date", key: key)
    }

    func decimal(_ field: String, key: String?) throws(ImportRowError) -> Decimal? {
        guard let text = value(field) else { return nil }
        if let amount = Money(text, "EUR")?.amount { return amount }
        throw invalid(field, text, "a decimal number", key: key)
    }

    func integer(_ field: String, key: String?) throws(ImportRowError) -> Int? {
        guard let text = value(field) else { return nil }
        if let number = Int(text) { return number }
        if let number = Double(text), number.rounded() == number, abs(number) < 1e15 { return Int(number) }
        throw invalid(field, text, "a whole number", key: key)
    }

    func choice<E: RawRepresentable<String> & CaseIterable>(_ field: String, _ type: E.Type, key: String?) throws(ImportRowError) -> E? {
        guard let text = value(field) else { return nil }
        if let value = E.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) { return value }
        throw invalid(field, text, "one of " + E.allCases.map(\.rawValue).joined(separator: ", "), key: key)
    }
}

/// How imported rows find their aggregates: an explicit id is used as given; otherwise the id
/// derives from the external id or the e-mail address, so importing the same data again
/// addresses the same aggregates (upsert) and other files can refer to them the same way.
public enum ImportIdentity {
    /// `x-<external id>` when the external id is made of id characters, else a digest of it.
    public static func fromExternalId(_ externalId: String) -> String {
        let candidate = "x-" + externalId
        return Identifier.isValid(candidate) ? candidate : "x-" + digest(externalId)
    }

    /// A digest of the normalised address: e-mails hold characters ids may not.
    public static func fromEmail(_ email: String) -> String {
        "e-" + digest(email.lowercased())
    }

    /// The aggregate a reference names: an e-mail address, or an external id.
    public static func fromReference(_ reference: String) -> String {
        reference.utf8.contains(UInt8(ascii: "@")) ? fromEmail(reference) : fromExternalId(reference)
    }

    private static func digest(_ text: String) -> String {
        // 96 bits of a SHA-256: collisions are out of reach for any import.
        String(
            UUID.derived(from: "cairn.import.identity\u{0}\(text)").uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(
                24))
    }
}

/// Turning the text of an imported contact point into what the domain accepts.
enum ImportValues {
    /// E.164 from the usual ways of writing a number: spaces, dashes, dots, brackets dropped;
    /// `00` read as `+`; a national number gets `callingCode` (e.g. `+1`) when one is given.
    static func phone(_ text: String, callingCode: String?) -> String {
        let digits = String(decoding: text.utf8.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, as: UTF8.self)
        let trimmed = ImportRecord.trimmed(text) ?? ""
        if trimmed.hasPrefix("+") { return "+" + digits }
        if trimmed.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        if let callingCode { return callingCode + (digits.hasPrefix("0") ? String(digits.dropFirst()) : digits) }
        return trimmed
    }

    /// ISO 3166-1 alpha-2 for a country given by code or English name.
    static func country(_ text: String) -> String? {
        let upper = text.uppercased()
        if upper.utf8.count == 2, upper.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) { return upper }
        return countryCodes[upper]
    }

    private static let countryCodes: [String: String] = {
        var codes: [String: String] = [:]
        let english = Locale(identifier: "en_US")
        for region in Locale.Region.isoRegions where region.identifier.utf8.count == 2 {
            if let name = english.localizedString(forRegionCode: region.identifier) { codes[name.uppercased()] = region.identifier }
        }
        let aliases = [
            "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "USA": "US", "U.S.A.": "US", "UNITED STATES OF AMERICA": "US",
            "U.S.": "US",
        ]
        codes.merge(aliases) { current, _ in current }
        return codes
    }()
}

/// Refuses a second row or record with an upsert key already seen in the same input: which of
/// the two should win is the person's call, not the import's.
struct ImportKeyGuard {
    private var firstLineOfKey: [String: Int] = [:]

    /// Nil for a first (or keyless) row; else the refusal naming the earlier one (`earlier` is
    /// how the input calls its items: "line", "record").
    mutating func refusal(_ key: String?, line: Int, earlier: String, file: String?) -> ImportRowError? {
        guard let key else { return nil }
        if let first = firstLineOfKey[key] {
            return ImportRowError(
                line: line, key: key, code: "import.duplicateKey", reason: "\(earlier) \(first) already imports \(key)", file: file)
        }
        firstLineOfKey[key] = line
        return nil
    }
}
