import CCrypto
public import Foundation

/// An event to append: everything but what the log assigns (position, stream version,
/// `recordedAt`, hash).
public struct NewEvent: Sendable {
    /// Unique per event; appending an id already stored is an idempotent retry.
    public var id: UUID
    /// `<context>.<PastTense>`, for example `sales.OpportunityStageChanged`.
    public var type: String
    public var schemaVersion: UInt32
    /// UTF-8 JSON. The log stores the bytes as given and never parses them.
    public var payload: [UInt8]
    /// The data subject (customer) the event concerns, if any.
    public var subject: String?
    /// Business time, when it differs from the time of recording.
    public var occurredAt: Timestamp?
    /// Who issued the command.
    public var actor: String
    public var correlationId: String?
    public var causationId: String?

    public init(
        id: UUID, type: String, schemaVersion: UInt32 = 1, payload: [UInt8], subject: String? = nil,
        occurredAt: Timestamp? = nil, actor: String = "system", correlationId: String? = nil,
        causationId: String? = nil
    ) {
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.subject = subject
        self.occurredAt = occurredAt
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
    }
}

/// What the writer expects a stream's version to be when an append lands.
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must have at least one event.
    case streamExists
    /// The stream's version (its number of events) must be exactly this; 0 means no stream.
    case exact(UInt64)

    func admits(_ current: UInt64) -> Bool {
        switch self {
        case .any: true
        case .noStream: current == 0
        case .streamExists: current > 0
        case .exact(let version): current == version
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .streamExists: "stream exists"
        case .exact(let v): "\(v)"
        }
    }
}

/// Events for one stream within an append.
///
/// With no events it is a *guard*: the append lands only if that stream is still at the
/// expected version — how a decision that read a stream without writing to it (a send that
/// checked the customer's consent) makes sure the stream did not change meanwhile. An append
/// must carry at least one event in all.
public struct StreamAppend: Sendable {
    public var stream: String
    public var expectedVersion: ExpectedVersion
    public var events: [NewEvent]

    public init(stream: String, expectedVersion: ExpectedVersion = .any, events: [NewEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// The outcome of a durable append.
public struct AppendResult: Sendable, Equatable {
    /// Global position of every event, in the order given.
    public var positions: [UInt64]
    /// Each stream's version after the append.
    public var streamVersions: [String: UInt64]
    /// True when every event was already stored: an idempotent retry, nothing written.
    public var wasAlreadyStored: Bool

    public var firstPosition: UInt64 { positions.first ?? 0 }
    public var lastPosition: UInt64 { positions.last ?? 0 }
}

/// Which events a read or subscription returns.
public struct EventFilter: Sendable, Hashable {
    /// Event types starting with any of these (for example `sales.` or `sales.Opportunity`).
    public var typePrefixes: [String]
    /// Stream categories: the part of the stream id before its first `-`.
    public var categories: [String]

    public init(typePrefixes: [String] = [], categories: [String] = []) {
        self.typePrefixes = typePrefixes
        self.categories = categories
    }

    public static let all = EventFilter()

    public var isAll: Bool { typePrefixes.isEmpty && categories.isEmpty }
}

extension UUID {
    /// A time-ordered UUID (version 7): 48 bits of Unix milliseconds, then 74 random bits from
    /// OpenSSL's CSPRNG (a user-space generator: no system call per id).
    public static func v7(at time: Timestamp = SystemClock().now()) -> UUID {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            precondition(RAND_bytes(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 16) == 1, "OpenSSL: RAND_bytes failed")
            let millis = UInt64(max(0, time.microsecondsSinceEpoch / 1000))
            for i in 0..<6 { raw[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - i))) }
            raw[6] = 0x70 | (raw[6] & 0x0f)
            raw[8] = 0x80 | (raw[8] & 0x3f)
        }
        return UUID(uuid: bytes)
    }
}

extension UUID {
    /// A name-based UUID (version 8, RFC 9562 §5.8): the first 122 bits of SHA-256(`name`).
    /// The same name always gives the same id — how a command's events get ids that make a
    /// retried command land once.
    public static func derived(from name: String) -> UUID {
        let digest = Array(name.utf8).withUnsafeBytes { SHA256Hasher().digest($0) }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        digest.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &bytes) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[..<16]))
                target[6] = 0x80 | (target[6] & 0x0f)
                target[8] = 0x80 | (target[8] & 0x3f)
            }
        }
        return UUID(uuid: bytes)
    }
}
