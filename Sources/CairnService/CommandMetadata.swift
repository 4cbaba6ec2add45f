public import CairnStore
public import Foundation

/// Who issued a command and how to recognise it again.
public struct CommandMetadata: Sendable {
    /// Identifies the command: issuing the same id twice yields the first result (the HTTP
    /// `Idempotency-Key`).
    public var commandId: String
    /// Who issued it (a user id, an API key's name, `import`, `system`).
    public var actor: String
    public var correlationId: String?
    public var causationId: String?
    /// Business time, when the fact happened before it was recorded.
    public var occurredAt: CairnStore.Timestamp?
    /// The version the caller believes the command's own stream is at (HTTP `If-Match`); a
    /// mismatch refuses the command instead of retrying it.
    public var expectedVersion: UInt64?

    public init(
        commandId: String = UUID.v7().uuidString.lowercased(), actor: String, correlationId: String? = nil,
        causationId: String? = nil, occurredAt: CairnStore.Timestamp? = nil, expectedVersion: UInt64? = nil
    ) {
        self.commandId = commandId
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.occurredAt = occurredAt
        self.expectedVersion = expectedVersion
    }
}

/// What a command did.
public struct CommandOutcome: Sendable, Equatable {
    public struct Recorded: Sendable, Equatable {
        public var stream: String
        public var type: String
        public var position: UInt64
        public var version: UInt64
    }

    public var commandId: String
    /// Every event the command recorded, in log order; empty when it changed nothing.
    public var events: [Recorded]
    /// Each written stream's version afterwards.
    public var streamVersions: [String: UInt64]
    /// The consistency token: the log position a read must reflect to see this command.
    public var position: UInt64
    /// True when the command id had been seen before and this is its first result.
    public var isReplay: Bool
}

/// Why a command did not go through, for the transports to map onto their own errors.
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The command is malformed; `issues` names every bad field (HTTP 400).
        case invalid
        /// It targets something that does not exist (HTTP 404).
        case notFound
        /// A business rule refused it (HTTP 409, with the rule's `code`).
        case rejected
        /// The stream moved past the version the caller expected, or kept moving through every
        /// retry (HTTP 409, code `version.conflict`).
        case versionConflict
        /// The command id was used before for a different command (HTTP 422).
        case idempotencyMismatch
        /// Stored data could not be read back (HTTP 500).
        case storage
        /// What it needs is held by another process for now; nothing changed (HTTP 503, retry later).
        case unavailable
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var path: String?
    public var issues: [(path: String, message: String)]
    /// For `customer.merged`: where the customer lives now.
    public var survivorId: String?

    public init(
        kind: Kind, code: String, message: String, path: String? = nil,
        issues: [(path: String, message: String)] = [], survivorId: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.path = path
        self.issues = issues
        self.survivorId = survivorId
    }

    public var description: String { "\(code): \(message)" }
}
