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

    /// Whether events of this type and version carry personal data at all.
    public static func hasPersonalData(type: String, schemaVersion: Int) -> Bool {
        !(EventCatalogue.personalDataPaths(type: type, schemaVersion: schemaVersion) ?? []).isEmpty
    }

    /// The payload with each personal member (present and not null) sealed by `seal`, which
    /// returns the member's ciphertext, under the key named `keyId`.
    public static func seal(
        type: String, schemaVersion: Int, payload: [UInt8], keyId: String, _ seal: (Member) throws -> [UInt8]
    ) throws -> [UInt8] {
        let paths = EventCatalogue.personalDataPaths(type: type, schemaVersion: schemaVersion) ?? []
        guard !paths.isEmpty else { return payload }
        let names = Set(paths.map { String($0.dropFirst()) })
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        var replacements: [(Range<Int>, [UInt8])] = []
        for (key, value) in document.members(of: 0) {
            let name = try document.string(at: key)
            guard names.contains(name), document[value].kind != .null else { continue }
            let range = document.valueRange(value)
            let json = Array(payload[range])
            let placeholder = EventCatalogue.placeholder(for: try JSONValue.parse(json))
            let ciphertext = try seal(Member(name: name, json: json))
            let sealed = JSONValue.object([
                "$sealed": .string(Data(ciphertext).base64EncodedString()), "key": .string(keyId), "erased": placeholder,
            ])
            replacements.append((range, sealed.serializedBytes))
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
