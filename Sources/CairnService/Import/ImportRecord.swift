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
    /// `00` read as `+`; a national number gets `callingCode` (e.g. `+1`) when one is given, its
    /// trunk prefix dropped (a leading `0`, or the `1` of an 11-digit North American number) —
    /// except in Italy, San Marino and the Vatican, whose numbers keep the `0` when dialled from
    /// abroad.
    static func phone(_ text: String, callingCode: String?) -> String {
        let digits = String(decoding: text.utf8.filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, as: UTF8.self)
        let trimmed = ImportRecord.trimmed(text) ?? ""
        if trimmed.hasPrefix("+") { return "+" + digits }
        if trimmed.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        guard let callingCode else { return trimmed }
        let trunk: String? =
            switch callingCode {
            case "+39", "+378": nil
            case "+1": digits.utf8.count == 11 ? "1" : nil
            default: "0"
            }
        if let trunk, digits.hasPrefix(trunk) { return callingCode + digits.dropFirst(trunk.count) }
        return callingCode + digits
    }

    /// The international calling code (`+49`) of a country given by its ISO 3166-1 alpha-2 code.
    static func callingCode(ofCountry code: String) -> String? { callingCodes[code].map { "+\($0)" } }

    /// ITU-T E.164 country calling codes by ISO 3166-1 alpha-2 code (territories sharing a code,
    /// such as the North American Numbering Plan's, each listed).
    private static let callingCodes: [String: Int] = [
        "AD": 376, "AE": 971, "AF": 93, "AG": 1, "AI": 1, "AL": 355, "AM": 374, "AO": 244, "AR": 54, "AS": 1, "AT": 43, "AU": 61,
        "AW": 297, "AX": 358, "AZ": 994, "BA": 387, "BB": 1, "BD": 880, "BE": 32, "BF": 226, "BG": 359, "BH": 973, "BI": 257,
        "BJ": 229, "BL": 590, "BM": 1, "BN": 673, "BO": 591, "BQ": 599, "BR": 55, "BS": 1, "BT": 975, "BW": 267, "BY": 375,
        "BZ": 501, "CA": 1, "CC": 61, "CD": 243, "CF": 236, "CG": 242, "CH": 41, "CI": 225, "CK": 682, "CL": 56, "CM": 237,
        "CN": 86, "CO": 57, "CR": 506, "CU": 53, "CV": 238, "CW": 599, "CX": 61, "CY": 357, "CZ": 420, "DE": 49, "DJ": 253,
        "DK": 45, "DM": 1, "DO": 1, "DZ": 213, "EC": 593, "EE": 372, "EG": 20, "EH": 212, "ER": 291, "ES": 34, "ET": 251,
        "FI": 358, "FJ": 679, "FK": 500, "FM": 691, "FO": 298, "FR": 33, "GA": 241, "GB": 44, "GD": 1, "GE": 995, "GF": 594,
        "GG": 44, "GH": 233, "GI": 350, "GL": 299, "GM": 220, "GN": 224, "GP": 590, "GQ": 240, "GR": 30, "GT": 502, "GU": 1,
        "GW": 245, "GY": 592, "HK": 852, "HN": 504, "HR": 385, "HT": 509, "HU": 36, "ID": 62, "IE": 353, "IL": 972, "IM": 44,
        "IN": 91, "IO": 246, "IQ": 964, "IR": 98, "IS": 354, "IT": 39, "JE": 44, "JM": 1, "JO": 962, "JP": 81, "KE": 254,
        "KG": 996, "KH": 855, "KI": 686, "KM": 269, "KN": 1, "KP": 850, "KR": 82, "KW": 965, "KY": 1, "KZ": 7, "LA": 856,
        "LB": 961, "LC": 1, "LI": 423, "LK": 94, "LR": 231, "LS": 266, "LT": 370, "LU": 352, "LV": 371, "LY": 218, "MA": 212,
        "MC": 377, "MD": 373, "ME": 382, "MF": 590, "MG": 261, "MH": 692, "MK": 389, "ML": 223, "MM": 95, "MN": 976, "MO": 853,
        "MP": 1, "MQ": 596, "MR": 222, "MS": 1, "MT": 356, "MU": 230, "MV": 960, "MW": 265, "MX": 52, "MY": 60, "MZ": 258,
        "NA": 264, "NC": 687, "NE": 227, "NF": 672, "NG": 234, "NI": 505, "NL": 31, "NO": 47, "NP": 977, "NR": 674, "NU": 683,
        "NZ": 64, "OM": 968, "PA": 507, "PE": 51, "PF": 689, "PG": 675, "PH": 63, "PK": 92, "PL": 48, "PM": 508, "PR": 1,
        "PS": 970, "PT": 351, "PW": 680, "PY": 595, "QA": 974, "RE": 262, "RO": 40, "RS": 381, "RU": 7, "RW": 250, "SA": 966,
        "SB": 677, "SC": 248, "SD": 249, "SE": 46, "SG": 65, "SH": 290, "SI": 386, "SJ": 47, "SK": 421, "SL": 232, "SM": 378,
        "SN": 221, "SO": 252, "SR": 597, "SS": 211, "ST": 239, "SV": 503, "SX": 1, "SY": 963, "SZ": 268, "TC": 1, "TD": 235,
        "TG": 228, "TH": 66, "TJ": 992, "TK": 690, "TL": 670, "TM": 993, "TN": 216, "TO": 676, "TR": 90, "TT": 1, "TV": 688,
        "TW": 886, "TZ": 255, "UA": 380, "UG": 256, "US": 1, "UY": 598, "UZ": 998, "VA": 39, "VC": 1, "VE": 58, "VG": 1,
        "VI": 1, "VN": 84, "VU": 678, "WF": 681, "WS": 685, "XK": 383, "YE": 967, "YT": 262, "ZA": 27, "ZM": 260, "ZW": 263,
    ]

    /// ISO 3166-1 alpha-2 for a country given by code, English name or common alias (`UK` is `GB`).
    static func country(_ text: String) -> String? {
        let upper = text.uppercased()
        if let known = countryCodes[upper] { return known }
        return upper.utf8.count == 2 && upper.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) ? upper : nil
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
/// the two should win is the person's call, not the import's. The keys seen are kept as SHA-256
/// digests in a scratch index on disk, not in memory, so an input of any length imports in flat
/// memory, and no key (an email address, say) is written anywhere in clear.
final class ImportKeyGuard {
    private let seen: ScratchIndex

    init() throws(ImportError) {
        do { seen = try ScratchIndex(label: "import-keys") } catch {
            throw ImportError(code: "import.storage", message: "making the index of the keys seen: \(error)")
        }
    }

    /// `records` without those whose key an earlier record (of this batch or one before) had,
    /// and a refusal for each of those naming the earlier one (`earlier` is how the input calls
    /// its items: "line", "record").
    func admit(
        _ records: some Collection<ImportRecord>, key: (ImportRecord) -> String?, earlier: String, file: String?
    ) throws(ImportError) -> (records: [ImportRecord], refused: [ImportRowError]) {
        let refusals = try refusals(records.map { (key($0), $0.line) }, earlier: earlier, file: file)
        return (zip(records, refusals).compactMap { $1 == nil ? $0 : nil }, refusals.compactMap { $0 })
    }

    /// One per item, in order: nil for a first (or keyless) one, else the refusal naming the
    /// earlier item.
    private func refusals(_ items: [(key: String?, line: Int)], earlier: String, file: String?) throws(ImportError) -> [ImportRowError?] {
        let keyed = items.indices.compactMap { index in items[index].key.map { (index, $0) } }
        let first: [UInt64?]
        do {
            first = try seen.insert(keyed.map { (SHA256Digest.of(Array($0.1.utf8)).bytes, UInt64(items[$0.0].line)) })
        } catch {
            throw ImportError(code: "import.storage", message: "checking the keys seen: \(error)")
        }
        var refusals = [ImportRowError?](repeating: nil, count: items.count)
        for ((index, key), first) in zip(keyed, first) {
            guard let first else { continue }
            refusals[index] = ImportRowError(
                line: items[index].line, key: key, code: "import.duplicateKey", reason: "\(earlier) \(first) already imports \(key)",
                file: file)
        }
        return refusals
    }
}
