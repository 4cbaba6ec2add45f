/// An aggregate's event enum with its frozen storage form.
public protocol AggregateEvent: Sendable, Hashable {
    /// The stream category this aggregate's events live in.
    static var category: StreamCategory { get }
    /// Frozen type string, `<context>.<PastTense>`.
    var type: String { get }
    /// Schema version this event is written with (always the current one).
    var schemaVersion: Int { get }
    /// The customer the event concerns, if any — drives the timeline and erasure.
    var subject: CustomerID? { get }
    /// The payload as JSON; `encoded()` serializes it deterministically.
    var payload: JSONValue { get }
    /// Strictly decodes a stored event, upcasting old schema versions to the current event.
    static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> Self
}

/// The storage form of one event: what the log stores next to the envelope.
public struct EncodedEvent: Sendable, Hashable {
    public let type: String
    public let schemaVersion: Int
    /// UTF-8 JSON object, keys sorted, no whitespace.
    public let payload: [UInt8]
    public let subject: CustomerID?

    public init(type: String, schemaVersion: Int, payload: [UInt8], subject: CustomerID?) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.subject = subject
    }
}

extension AggregateEvent {
    public func encoded() -> EncodedEvent {
        EncodedEvent(type: type, schemaVersion: schemaVersion, payload: payload.serializedBytes, subject: subject)
    }

    /// Strictly decodes a stored event from its payload's bytes.
    public static func decode(type: String, schemaVersion: Int, payload: [UInt8]) throws(EventDecodingError) -> Self {
        try decode(type: type, schemaVersion: schemaVersion, source: PayloadSource(bytes: payload))
    }

    public static func decode(_ stored: EncodedEvent) throws(EventDecodingError) -> Self {
        try decode(type: stored.type, schemaVersion: stored.schemaVersion, payload: stored.payload)
    }
}

/// Shared plumbing for the hand-written decoders.
enum EventDecoding {
    /// Runs `body` over a strict reader, checks for leftover fields, and stamps errors with the
    /// event type and version.
    static func decode<E>(
        type: String, schemaVersion: Int, source: PayloadSource,
        _ body: (inout PayloadReader) throws(EventDecodingError) -> E
    ) throws(EventDecodingError) -> E {
        do {
            var reader = try PayloadReader(source: source)
            let event = try body(&reader)
            try reader.finish()
            return event
        } catch {
            var stamped = error
            stamped.type = type
            stamped.schemaVersion = schemaVersion
            throw stamped
        }
    }

    static func unknown(_ type: String, _ version: Int, known: Bool) -> EventDecodingError {
        EventDecodingError(type: type, schemaVersion: version, path: "", reason: known ? .unknownSchemaVersion : .unknownEventType)
    }
}
