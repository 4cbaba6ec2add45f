public import CairnStore

/// An API key as stored: never the secret itself, only its SHA-256.
public struct AccessKey: Sendable, Hashable {
    /// Unique; becomes the `actor` of every event the key's commands record.
    public var name: String
    public var role: AccessRole
    public var createdAt: CairnStore.Timestamp
    public var revokedAt: CairnStore.Timestamp?
    /// The secret's first characters, to tell keys apart in listings without revealing them.
    public var hint: String

    public var isRevoked: Bool { revokedAt != nil }
}

/// Why a key operation was refused.
public struct AccessKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case invalidName
        case duplicateName
        case unknownName
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}
