/// A value with a fixed, hand-written JSON form inside event payloads.
protocol JSONCodableValue: Sendable {
    var json: JSONValue { get }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError)
}

/// One value inside a parsed ``JSONDocument``: what decoders read from.
struct JSONElement {
    let document: JSONDocument
    let index: Int

    var kind: JSONDocument.Kind { document[index].kind }
    var isNull: Bool { kind == .null }

    /// Runs `body` over a string's bytes in place when they are its text (no escapes, ASCII);
    /// nil otherwise, and the caller reads the string the general way.
    func withPlainString<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        let node = document[index]
        guard node.kind == .string, !node.escaped, !node.nonASCII else { return nil }
        return document.bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)])) }
    }

    /// The string's text, or nil when the value is not a string.
    func string(path: @autoclosure () -> String) throws(EventDecodingError) -> String? {
        guard kind == .string else { return nil }
        do { return try document.string(at: index) } catch {
            throw EventDecodingError(path: path(), reason: .malformedJSON(error.description))
        }
    }
}

/// String-backed enums are stored by their frozen raw value, never by Swift case name.
protocol JSONStringEnum: JSONCodableValue, RawRepresentable<String>, CaseIterable {}

extension JSONStringEnum {
    var json: JSONValue { .string(rawValue) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard let raw = try json.string(path: path()) else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "string"))
        }
        guard let value = Self(rawValue: raw) else {
            throw EventDecodingError(path: path(), reason: .invalidValue("'\(raw)' is not one of \(Self.allCases.map(\.rawValue))"))
        }
        self = value
    }
}

extension String: JSONCodableValue {
    var json: JSONValue { .string(self) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard let s = try json.string(path: path()) else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "string")) }
        self = s
    }
}

extension Bool: JSONCodableValue {
    var json: JSONValue { .bool(self) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        switch json.kind {
        case .true: self = true
        case .false: self = false
        default: throw EventDecodingError(path: path(), reason: .wrongType(expected: "boolean"))
        }
    }
}

extension Int: JSONCodableValue {
    var json: JSONValue { .number(Double(self)) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard json.kind == .number, let n = json.document.number(at: json.index), n == n.rounded(), abs(n) < 9_007_199_254_740_992
        else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "integer"))
        }
        self = Int(n)
    }
}

extension Double: JSONCodableValue {
    var json: JSONValue { .number(self) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard json.kind == .number, let n = json.document.number(at: json.index) else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "number"))
        }
        self = n
    }
}

extension Array: JSONCodableValue where Element: JSONCodableValue {
    var json: JSONValue { .array(map { $0.json }) }  // a closure: a key path in a generic context is made at run time, per call
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard json.kind == .array else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "array")) }
        let document = json.document
        var result: [Element] = []
        result.reserveCapacity(Int(document[json.index].count))
        for (i, item) in document.items(of: json.index).enumerated() {
            result.append(try Element(json: JSONElement(document: document, index: item), path: "\(path())/\(i)"))
        }
        self = result
    }
}

extension Dictionary: JSONCodableValue where Key == String, Value: JSONCodableValue {
    var json: JSONValue { .object(mapValues { $0.json }) }
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard json.kind == .object else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "object")) }
        let document = json.document
        var result: [String: Value] = [:]
        result.reserveCapacity(Int(document[json.index].count))
        for (keyIndex, valueIndex) in document.members(of: json.index) {
            let key = try String(json: JSONElement(document: document, index: keyIndex), path: path())
            guard result[key] == nil else {
                throw EventDecodingError(path: path(), reason: .malformedJSON("duplicate key \"\(key)\""))
            }
            result[key] = try Value(json: JSONElement(document: document, index: valueIndex), path: "\(path())/\(JSONPointer.escape(key))")
        }
        self = result
    }
}

enum JSONPointer {
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
    }
}

extension String {
    /// Foundation-free replacement, so the codec does not depend on Foundation's string APIs.
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
