/// Syntax checks for contact points. Deliberately conservative: what passes is deliverable-looking,
/// not proven deliverable.
public enum ContactValidation {
    /// `local@domain.tld`: printable ASCII local part (no spaces, quotes or consecutive dots),
    /// a domain of dot-separated LDH labels with at least two labels; ≤ 254 characters.
    public static func isValidEmail(_ value: String) -> Bool {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 3, utf8.count <= 254 else { return false }
        guard let at = utf8.firstIndex(of: UInt8(ascii: "@")), at == utf8.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = utf8[..<at]
        let domain = utf8[(at + 1)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        guard local.allSatisfy({ localAllowed[Int($0)] }), local.first != UInt8(ascii: "."), local.last != UInt8(ascii: ".") else {
            return false
        }
        guard !zip(local, local.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }) else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.allSatisfy({ labelAllowed[Int($0)] }),
                label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
        }
        // Top-level domains are alphabetic (or IDNA `xn--`).
        let tld = labels.last!
        return tld.count >= 2
            && (tld.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) } || tld.starts(with: "xn--".utf8))
    }

    /// Bytes allowed in an address's local part, and in a domain label, by byte value.
    private static let localAllowed = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-")
    private static let labelAllowed = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")

    private static func table(_ allowed: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 256)
        for byte in allowed.utf8 { table[Int(byte)] = true }
        return table
    }

    /// ITU-T E.164: `+`, a non-zero country-code digit, 8–15 digits in total, nothing else.
    public static func isValidE164(_ value: String) -> Bool {
        let utf8 = Array(value.utf8)
        guard utf8.first == UInt8(ascii: "+") else { return false }
        let digits = utf8.dropFirst()
        guard (8...15).contains(digits.count), digits.first != UInt8(ascii: "0") else { return false }
        return digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Emails compare case-insensitively on the domain; we normalise the whole address to
    /// lowercase, which is what every mainstream provider does in practice.
    public static func normalizedEmail(_ value: String) -> String {
        String(decoding: value.utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}

extension ContactValidation {
    /// The email addresses (normalised) an event of `type` gives its owner: a customer's
    /// registered, added or taken over from an absorbed duplicate, a lead's captured or updated
    /// one; none for any other event.
    public static func emailAddresses(type: String, payload: [UInt8]) -> [String] {
        guard addressMembers[type] != nil, let document = try? JSONDocument(payload) else { return [] }
        return emailAddresses(type: type, document: document)
    }

    static func emailAddresses(type: String, document: JSONDocument) -> [String] {
        guard let member = addressMembers[type], document[0].kind == .object else { return [] }
        for (key, value) in document.members(of: 0) where document.string(at: key, equals: member) {
            let nodes = document[value].kind == .array ? Array(document.items(of: value)) : [value]
            return nodes.compactMap { document[$0].kind == .string ? (try? document.string(at: $0)).map(normalizedEmail) : nil }
        }
        return []
    }

    private static let addressMembers = [
        "customers.CustomerRegistered": "emails", "customers.EmailAdded": "email", "customers.DuplicateAbsorbed": "emails",
        "sales.LeadCaptured": "email", "sales.LeadUpdated": "email",
    ]
}
