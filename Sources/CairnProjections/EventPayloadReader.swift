public import CairnDomain
public import CairnStore

/// What a stored record's payload reads as for folding and answering: the stored bytes, or —
/// where personal data is sealed — the bytes with each sealed member opened (or shown as
/// erased). The compliance layer provides the real one; the store and the projections know
/// nothing of keys.
public protocol EventPayloadReader: Sendable {
    func payload(of record: RecordedEvent) throws -> [UInt8]
    /// The payload ready for the domain's decoders: what ``payload(of:)`` reads as, and for a
    /// reader that opens sealed data, opened without being spliced back into bytes.
    func source(of record: RecordedEvent) throws -> PayloadSource
    /// Runs `body` with a ``source(of:)`` for many records in turn (a page), which a reader
    /// may serve with work shared across them. The function does not outlive `body`.
    func withSources<R>(_ body: (_ source: (RecordedEvent) throws -> PayloadSource) throws -> R) rethrows -> R
    /// Runs `body` with a ``payload(of:)`` for many records in turn (a page of events served
    /// to a client), which a reader may serve with work shared across them. The function does
    /// not outlive `body`.
    func withPayloads<R>(_ body: (_ payload: (RecordedEvent) throws -> [UInt8]) throws -> R) rethrows -> R
}

extension EventPayloadReader {
    public func source(of record: RecordedEvent) throws -> PayloadSource { PayloadSource(bytes: try payload(of: record)) }
    public func withSources<R>(_ body: (_ source: (RecordedEvent) throws -> PayloadSource) throws -> R) rethrows -> R {
        try body(source(of:))
    }
    public func withPayloads<R>(_ body: (_ payload: (RecordedEvent) throws -> [UInt8]) throws -> R) rethrows -> R {
        try body(payload(of:))
    }
}

/// Payloads exactly as stored: for logs whose events carry no sealed members (tests of the
/// engine itself, benchmarks of the log).
public struct StoredPayloads: EventPayloadReader {
    public init() {}
    public func payload(of record: RecordedEvent) throws -> [UInt8] { record.payload }
}
