/// Reads one JSON object strictly: every field must be read exactly as declared, and
/// `finish()` refuses fields nobody asked for — an unexpected field means a schema drift that
/// must be upcast, not silently dropped.
struct PayloadReader: ~Copyable {
    let path: String
    private let members: [String: JSONValue]
    private var seen: Set<String> = []

    init(bytes: [UInt8]) throws(EventDecodingError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw EventDecodingError(path: "", reason: .malformedJSON(error.description))
        }
        try self.init(json: value, path: "")
    }

    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard case .object(let members) = json else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "object"))
        }
        self.members = members
        // Materialised once per object; a field's own path is built only if it fails to decode.
        self.path = path()
    }

    private func fieldPath(_ key: String) -> String { "\(path)/\(JSONPointer.escape(key))" }

    mutating func required<T: JSONCodableValue>(_ key: String, as type: T.Type = T.self) throws(EventDecodingError) -> T {
        seen.insert(key)
        guard let value = members[key], value != .null else {
            throw EventDecodingError(path: fieldPath(key), reason: .missingField)
        }
        return try T(json: value, path: fieldPath(key))
    }

    mutating func optional<T: JSONCodableValue>(_ key: String, as type: T.Type = T.self) throws(EventDecodingError) -> T? {
        seen.insert(key)
        guard let value = members[key], value != .null else { return nil }
        return try T(json: value, path: fieldPath(key))
    }

    /// Arrays that may be omitted when empty.
    mutating func list<T: JSONCodableValue>(_ key: String, of type: T.Type = T.self) throws(EventDecodingError) -> [T] {
        try optional(key, as: [T].self) ?? []
    }

    consuming func finish() throws(EventDecodingError) {
        for key in members.keys.sorted() where !seen.contains(key) {
            throw EventDecodingError(path: fieldPath(key), reason: .unexpectedField)
        }
    }
}

/// Nested payload objects (addresses, money, order lines…) read and written as JSON objects.
protocol JSONObjectCodable: JSONCodableValue {
    init(reader: inout PayloadReader) throws(EventDecodingError)
}

extension JSONObjectCodable {
    init(json: JSONValue, path: @autoclosure () -> String) throws(EventDecodingError) {
        var reader = try PayloadReader(json: json, path: path())
        self = try Self(reader: &reader)
        try reader.finish()
    }
}
