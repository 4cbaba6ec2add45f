/// A JSON document as a value: the one representation every stored payload goes through.
///
/// Payloads are written by hand from this type with sorted keys, so the same event always
/// produces the same bytes, and read back with a strict parser (no duplicate keys, no trailing
/// garbage, no NaN).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An object from optional members; `nil` members are left out rather than written as null.
    static func object(compacting members: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        var object: [String: JSONValue] = Dictionary(minimumCapacity: members.count)
        for (key, value) in members {
            if let value { object[key] = value }
        }
        return .object(object)
    }

    /// Deterministic UTF-8 serialization: object keys sorted by their UTF-8 bytes, no whitespace.
    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    /// The serialized form as a string (for diagnostics and tests).
    public var serializedString: String { String(decoding: serializedBytes, as: UTF8.self) }

    /// Appends the serialized form to `out`.
    package func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: JSONValue.format(n).utf8)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.sorted(by: { JSONValue.precedes($0.key, $1.key) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func format(_ n: Double) -> String {
        if n == n.rounded(), abs(n) < 9_007_199_254_740_992 {
            return String(Int64(n))
        }
        return "\(n)"
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s: the order payload keys are written in.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
    }

    /// `s` as a JSON string: runs that need no escaping are copied whole.
    package static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, to: &out) }
    }

    /// The UTF-8 text `utf8` as a JSON string, written as ``writeString(_:to:)`` writes it.
    package static func writeString(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var clean = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<i]))
            clean = i + 1
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Parses exactly one JSON value from `bytes` (RFC 8259), rejecting duplicate object keys.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let document = try JSONDocument(bytes)
        return try value(document, 0)
    }

    /// The tree of the node at `index` of a parsed document.
    private static func value(_ document: JSONDocument, _ index: Int) throws(JSONParseError) -> JSONValue {
        let node = document[index]
        switch node.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .string: return .string(try document.string(at: index))
        case .number:
            guard let number = document.number(at: index) else {
                throw JSONParseError(offset: Int(node.start), reason: "number out of range")
            }
            return .number(number)
        case .array:
            var items: [JSONValue] = []
            items.reserveCapacity(Int(node.count))
            for item in document.items(of: index) { items.append(try value(document, item)) }
            return .array(items)
        case .object:
            var members: [String: JSONValue] = Dictionary(minimumCapacity: Int(node.count))
            members.reserveCapacity(Int(node.count))
            for (key, member) in document.members(of: index) {
                let name = try document.string(at: key)
                guard members[name] == nil else {
                    throw JSONParseError(offset: Int(document[key].start), reason: "duplicate key \"\(name)\"")
                }
                members[name] = try value(document, member)
            }
            return .object(members)
        }
    }
}

/// Why a byte sequence is not one well-formed JSON value.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
