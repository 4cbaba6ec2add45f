import Foundation

/// How personal data sits in a stored payload: each member the catalogue marks as personal is
/// replaced by a sealed member,
///
/// ```json
/// "email": {"$sealed": "<base64 of the ciphertext>", "key": "<key id>", "erased": "[erased]"}
/// ```
///
/// and every other member stays in clear, so projections and analysis keep reading them.
/// `erased` is the member's shape-preserving placeholder (see ``EventCatalogue/redact``): what
/// the payload shows once the key is gone, so an erased event still decodes and folds.
///
/// This type only moves bytes; what seals and opens (the cipher, the keys) is the caller's.
public enum PersonalDataEnvelope {
    /// A personal member about to be sealed: its name and its value's JSON text.
    public struct Member: Sendable {
        public let name: String
        public let json: [UInt8]
    }

    /// A sealed member of a stored payload.
    public struct Sealed: Sendable {
        public let name: String
        public let keyId: String
        public let ciphertext: [UInt8]
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let reason): "malformed payload: \(reason)"
            }
        }
    }

    /// The payload with each personal member (present and not null) sealed by `seal`, which
    /// returns the member's ciphertext, under the key named `keyId`.
    public static func seal(
        type: String, schemaVersion: Int, payload: [UInt8], keyId: String, _ seal: (Member) throws -> [UInt8]
    ) throws -> [UInt8] {
        let names = personalMembers(type: type, schemaVersion: schemaVersion)
        guard !names.isEmpty else { return payload }
        let keyText = JSONValue.string(keyId).serializedBytes
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        var replacements: [(Range<Int>, [UInt8])] = []
        for (key, value) in document.members(of: 0) {
            guard document[value].kind != .null, let name = names.first(where: { document.string(at: key, equals: $0) }) else { continue }
            let range = document.valueRange(value)
            let json = Array(payload[range])
            let ciphertext = try seal(Member(name: name, json: json))
            // {"$sealed":…,"erased":…,"key":…}: members in sorted order, as every payload is written.
            var sealed: [UInt8] = []
            sealed.reserveCapacity(ciphertext.count * 4 / 3 + keyText.count + 48)
            sealed += Self.sealedPrefix
            Self.appendBase64(ciphertext, to: &sealed)
            sealed += Self.erasedInfix
            switch document[value].kind {
            case .string: sealed += Self.erasedString
            case .array: sealed += [UInt8(ascii: "["), UInt8(ascii: "]")]
            default: sealed += EventCatalogue.placeholder(for: try JSONValue.parse(json)).serializedBytes
            }
            sealed += Self.keyInfix
            sealed += keyText
            sealed.append(UInt8(ascii: "}"))
            replacements.append((range, sealed))
        }
        return splice(payload, replacements)
    }

    /// The payload with each sealed member replaced by what `open` returns for it — the
    /// member's JSON text — or, when `open` returns nil (the key is gone), by its placeholder.
    /// A payload without sealed members comes back as it is.
    public static func reveal(payload: [UInt8], _ open: (Sealed) throws -> [UInt8]?) throws -> [UInt8] {
        guard contains(payload, marker) else { return payload }
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        var replacements: [(Range<Int>, [UInt8])] = []
        for (key, value) in document.members(of: 0) where document[value].kind == .object {
            var sealed: String?
            var keyId: String?
            var erased: Range<Int>?
            for (innerKey, innerValue) in document.members(of: value) {
                if document.string(at: innerKey, equals: "$sealed"), document[innerValue].kind == .string {
                    sealed = try document.string(at: innerValue)
                } else if document.string(at: innerKey, equals: "key"), document[innerValue].kind == .string {
                    keyId = try document.string(at: innerValue)
                } else if document.string(at: innerKey, equals: "erased") {
                    erased = document.valueRange(innerValue)
                }
            }
            guard let sealed else { continue }
            let name = try document.string(at: key)
            guard let keyId, let erased, let ciphertext = Data(base64Encoded: sealed) else {
                throw Failure.malformed("sealed member \(name) lacks its key, placeholder or base64 ciphertext")
            }
            let plaintext = try open(Sealed(name: name, keyId: keyId, ciphertext: [UInt8](ciphertext)))
            replacements.append((document.valueRange(value), plaintext ?? Array(payload[erased])))
        }
        return splice(payload, replacements)
    }

    private static let marker = Array("\"$sealed\"".utf8)

    /// Personal members by type and version, worked out once.
    private static let membersByType: [String: [Int: [String]]] = Dictionary(grouping: EventCatalogue.entries, by: \.type)
        .mapValues { versions in Dictionary(uniqueKeysWithValues: versions.map { ($0.schemaVersion, $0.personalMembers) }) }

    static func personalMembers(type: String, schemaVersion: Int) -> [String] { membersByType[type]?[schemaVersion] ?? [] }
    private static let sealedPrefix = Array("{\"$sealed\":\"".utf8)
    private static let erasedInfix = Array("\",\"erased\":".utf8)
    private static let keyInfix = Array(",\"key\":".utf8)
    private static let erasedString = JSONValue.string(EventCatalogue.erasedPlaceholder).serializedBytes
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4), straight into `out`.
    static func appendBase64(_ bytes: [UInt8], to out: inout [UInt8]) {
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [
                base64Alphabet[Int(n >> 18 & 63)], base64Alphabet[Int(n >> 12 & 63)], base64Alphabet[Int(n >> 6 & 63)],
                base64Alphabet[Int(n & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let n = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(base64Alphabet[Int(n >> 18 & 63)])
            out.append(base64Alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? base64Alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
    }

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { haystack in
            guard haystack.count >= needle.count else { return false }
            let first = needle[0]
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == first, needle.indices.allSatisfy({ haystack[index + $0] == needle[$0] }) { return true }
                index += 1
            }
            return false
        }
    }

    private static func splice(_ bytes: [UInt8], _ replacements: [(Range<Int>, [UInt8])]) -> [UInt8] {
        guard !replacements.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + replacements.reduce(0) { $0 + $1.1.count })
        var cursor = 0
        for (range, replacement) in replacements.sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) {
            out += bytes[cursor..<range.lowerBound]
            out += replacement
            cursor = range.upperBound
        }
        out += bytes[cursor...]
        return out
    }
}

extension JSONDocument {
    /// The bytes of a value node's whole JSON text (a string with its quotes, a container with
    /// its brackets).
    func valueRange(_ index: Int) -> Range<Int> {
        let node = nodes[index]
        return node.kind == .string ? Int(node.start) - 1..<Int(node.end) + 1 : Int(node.start)..<Int(node.end)
    }
}
