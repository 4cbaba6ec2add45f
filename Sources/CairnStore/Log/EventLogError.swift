/// Why the log refused or failed an operation. Nothing is written when an append fails.
///
/// Match on `code`, which is stable; `message` is for people:
/// ```swift
/// catch let error as EventLogError where error.code == .wrongExpectedVersion { … }
/// ```
public struct EventLogError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidStreamId = Code("invalid_stream_id")
        public static let invalidEventType = Code("invalid_event_type")
        public static let invalidMetadata = Code("invalid_metadata")
        public static let payloadTooLarge = Code("payload_too_large")
        public static let appendTooLarge = Code("append_too_large")
        public static let emptyAppend = Code("empty_append")
        public static let duplicateEventId = Code("duplicate_event_id")
        public static let duplicateStream = Code("duplicate_stream")
        public static let wrongExpectedVersion = Code("wrong_expected_version")
        public static let idempotencyConflict = Code("idempotency_conflict")
        public static let corruptRecord = Code("corrupt_record")
        public static let closed = Code("closed")
        public static let readOnly = Code("read_only")
        public static let storage = Code("storage")
        /// A position or tree size beyond the log's head (or 0).
        public static let outOfRange = Code("out_of_range")
    }

    public let code: Code
    public let message: String
    /// The stream concerned, when there is one.
    public let stream: String?
    /// For `wrongExpectedVersion`: the stream's version when the append was refused.
    public let actualVersion: UInt64?
    /// For `idempotencyConflict` and `corruptRecord`: the stored position concerned.
    public let position: UInt64?

    init(_ code: Code, _ message: String, stream: String? = nil, actualVersion: UInt64? = nil, position: UInt64? = nil) {
        self.code = code
        self.message = message
        self.stream = stream
        self.actualVersion = actualVersion
        self.position = position
    }

    public var description: String { message }

    static func storage(_ error: any Error) -> EventLogError {
        error as? EventLogError ?? EventLogError(.storage, "storage failure: \(error)")
    }
}
