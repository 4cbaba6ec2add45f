/// A stored event that cannot be turned back into a domain event. Decoding never guesses:
/// unknown types or versions, malformed JSON, missing, unknown or mistyped fields all land here.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unknownEventType
        case unknownSchemaVersion
        case malformedJSON(String)
        case missingField
        case unexpectedField
        case wrongType(expected: String)
        case invalidValue(String)
    }

    /// The stored event type string, e.g. `sales.OpportunityStageChanged` (empty while decoding a bare value).
    public internal(set) var type: String
    public internal(set) var schemaVersion: Int
    /// JSON pointer of the offending field inside the payload (`""` for the payload itself).
    public internal(set) var path: String
    public let reason: Reason

    init(type: String = "", schemaVersion: Int = 0, path: String, reason: Reason) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "cannot decode \(type) v\(schemaVersion) at '\(path)': \(reason)"
    }
}
