extension EventCatalogue {
    /// Placeholder written where erased personal data was.
    public static let erasedPlaceholder = "[erased]"

    /// The payload with every personal-data member replaced by a shape-preserving placeholder,
    /// so that an event whose subject key was destroyed still decodes (and folds) without the
    /// data: strings become `"[erased]"`, numbers `0`, booleans `false`, arrays `[]`, typed
    /// attribute values a `[erased]` string; objects keep their members, each redacted.
    public static func redact(type: String, schemaVersion: Int, payload: [UInt8]) throws(EventDecodingError) -> [UInt8] {
        guard let paths = personalDataPaths(type: type, schemaVersion: schemaVersion) else {
            throw EventDecoding.unknown(type, schemaVersion, known: entries.contains { $0.type == type })
        }
        let value: JSONValue
        do { value = try JSONValue.parse(payload) } catch {
            throw EventDecodingError(type: type, schemaVersion: schemaVersion, path: "", reason: .malformedJSON(error.description))
        }
        guard case .object(var members) = value else {
            throw EventDecodingError(type: type, schemaVersion: schemaVersion, path: "", reason: .wrongType(expected: "object"))
        }
        for path in paths {
            // Personal-data paths name top-level members.
            let key = String(path.dropFirst())
            if let member = members[key] { members[key] = placeholder(for: member) }
        }
        return JSONValue.object(members).serializedBytes
    }

    static func placeholder(for value: JSONValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .string: return .string(erasedPlaceholder)
        case .number: return .number(0)
        case .bool: return .bool(false)
        case .array: return .array([])
        case .object(let members):
            if members.count == 2, case .string(let kind)? = members["type"], members["value"] != nil,
                ["string", "number", "boolean", "date"].contains(kind)
            {
                return .object(["type": .string("string"), "value": .string(erasedPlaceholder)])
            }
            return .object(members.mapValues(placeholder(for:)))
        }
    }
}
