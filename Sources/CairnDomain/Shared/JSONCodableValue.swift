/// A value with a fixed, hand-written JSON form inside event payloads.
protocol JSONCodableValue: Sendable {
    var json: JSONValue { get }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError)
}

/// String-backed enums are stored by their frozen raw value, never by Swift case name.
protocol JSONStringEnum: JSONCodableValue, RawRepresentable<String>, CaseIterable {}

extension JSONStringEnum {
    var json: JSONValue { .string(rawValue) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .string(let raw) = json else {
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
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .string(let s) = json else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "string")) }
        self = s
    }
}

extension Bool: JSONCodableValue {
    var json: JSONValue { .bool(self) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .bool(let b) = json else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "boolean")) }
        self = b
    }
}

extension Int: JSONCodableValue {
    var json: JSONValue { .number(Double(self)) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .number(let n) = json, n == n.rounded(), abs(n) < 9_007_199_254_740_992 else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "integer"))
        }
        self = Int(n)
    }
}

extension Double: JSONCodableValue {
    var json: JSONValue { .number(self) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .number(let n) = json else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "number")) }
        self = n
    }
}

extension Array: JSONCodableValue where Element: JSONCodableValue {
    var json: JSONValue { .array(map(\.json)) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .array(let items) = json else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "array")) }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            result.append(try Element(json: item, path: "\(path())/\(i)"))
        }
        self = result
    }
}

extension Dictionary: JSONCodableValue where Key == String, Value: JSONCodableValue {
    var json: JSONValue { .object(mapValues(\.json)) }
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .object(let members) = json else { throw EventDecodingError(path: path(), reason: .wrongType(expected: "object")) }
        var result: [String: Value] = [:]
        for (key, item) in members {
            result[key] = try Value(json: item, path: "\(path())/\(JSONPointer.escape(key))")
        }
        self = result
    }
}

enum JSONPointer {
    static func escape(_ token: String) -> String {
        token.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
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
