import CairnDomain
public import CairnStore

/// API keys of one data directory, in an LMDB environment of their own (`<data>/access`).
///
/// A key is `cairn_` followed by 64 hex digits of a CSPRNG; only its SHA-256 is stored, so the
/// secret is shown once, when made, and a copy of the data directory reveals no key. Several
/// processes may open the store at once (a running `cairn serve` and `cairn keys create`): LMDB
/// lets each see the others' commits.
///
/// ```swift
/// let store = try AccessKeyStore(directory: "data/access")
/// let (key, secret) = try store.create(name: "crm-web", role: .sales, now: clock.now())
/// try store.authenticate(secret)?.name   // "crm-web"
/// ```
public final class AccessKeyStore: Sendable {
    static let secretPrefix = "cairn_"
    private let env: LMDBEnvironment
    private let keys: LMDBDatabase
    private let hashes: LMDBDatabase

    public init(directory: String) throws {
        var options = LMDBEnvironment.Options()
        options.mapSize = 16 << 20
        options.maxDatabases = 4
        env = try LMDBEnvironment(path: directory, options: options)
        keys = try env.database("keys")
        hashes = try env.database("hashes")
    }

    public func close() { env.close() }

    /// Makes a key; returns it with its secret, which is never stored and cannot be shown again.
    public func create(name: String, role: AccessRole, now: CairnStore.Timestamp) throws -> (key: AccessKey, secret: String) {
        guard Self.isValidName(name) else {
            throw AccessKeyError(kind: .invalidName, message: "key names are 1–64 characters of A–Z, a–z, 0–9, '_' and '-'")
        }
        let secret = Self.secretPrefix + SecureRandom.bytes(32).map { String($0, radix: 16).leftPadded(2) }.joined()
        let key = AccessKey(
            name: name, role: role, createdAt: now, revokedAt: nil, hint: String(secret.prefix(Self.secretPrefix.count + 6)))
        let hash = Array(Self.hash(secret).utf8)
        try env.write { txn in
            guard try txn.get(keys, Array(name.utf8)) == nil else {
                throw AccessKeyError(kind: .duplicateName, message: "a key named \(name) exists already")
            }
            try txn.put(keys, Array(name.utf8), Self.encode(key, hash: hash))
            try txn.put(hashes, hash, Array(name.utf8))
        }
        return (key, secret)
    }

    /// The live key with this secret; nil for an unknown or revoked one.
    public func authenticate(_ secret: String) throws -> AccessKey? {
        guard secret.hasPrefix(Self.secretPrefix), secret.utf8.count == Self.secretPrefix.utf8.count + 64 else { return nil }
        let hash = Array(Self.hash(secret).utf8)
        return try env.read { txn in
            guard let name = try txn.get(hashes, hash), let stored = try txn.get(keys, Array(name)) else { return nil }
            let key = try Self.decode(Array(stored))
            return key.isRevoked ? nil : key
        }
    }

    /// Every key, revoked ones included, by name.
    public func list() throws -> [AccessKey] {
        try env.read { txn in
            let cursor = try txn.cursor(keys)
            var out: [AccessKey] = []
            var entry = try cursor.first()
            while let (_, value) = entry {
                out.append(try Self.decode(Array(value)))
                entry = try cursor.next()
            }
            return out
        }
    }

    /// Revokes the key: from the next request on it authenticates nothing. Revoking twice keeps
    /// the first time.
    @discardableResult
    public func revoke(name: String, now: CairnStore.Timestamp) throws -> AccessKey {
        try env.write { txn in
            guard let stored = try txn.get(keys, Array(name.utf8)) else {
                throw AccessKeyError(kind: .unknownName, message: "no key named \(name)")
            }
            let bytes = Array(stored)
            var key = try Self.decode(bytes)
            guard !key.isRevoked else { return key }
            key.revokedAt = now
            try txn.put(keys, Array(name.utf8), Self.encode(key, hash: try Self.storedHash(bytes)))
            return key
        }
    }

    static func isValidName(_ name: String) -> Bool { Identifier.isValid(name) && name.utf8.count <= 64 }

    static func hash(_ secret: String) -> String { SHA256Digest.of(Array(secret.utf8)).hex }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "a stored access key is malformed" }
    }

    private static func encode(_ key: AccessKey, hash: [UInt8]) -> [UInt8] {
        var object: [String: JSONValue] = [
            "name": .string(key.name), "role": .string(key.role.rawValue),
            "createdAt": .number(Double(key.createdAt.microsecondsSinceEpoch)), "hint": .string(key.hint),
            "sha256": .string(String(decoding: hash, as: UTF8.self)),
        ]
        if let revoked = key.revokedAt { object["revokedAt"] = .number(Double(revoked.microsecondsSinceEpoch)) }
        return JSONValue.object(object).serializedBytes
    }

    private static func storedHash(_ bytes: [UInt8]) throws -> [UInt8] {
        guard case .object(let o) = try JSONValue.parse(bytes), case .string(let hash)? = o["sha256"] else { throw Malformed() }
        return Array(hash.utf8)
    }

    private static func decode(_ bytes: [UInt8]) throws -> AccessKey {
        guard case .object(let o) = try JSONValue.parse(bytes), case .string(let name)? = o["name"],
            case .string(let roleText)? = o["role"], let role = AccessRole(rawValue: roleText),
            case .number(let created)? = o["createdAt"], case .string(let hint)? = o["hint"]
        else { throw Malformed() }
        var revokedAt: CairnStore.Timestamp?
        if case .number(let revoked)? = o["revokedAt"] { revokedAt = CairnStore.Timestamp(microsecondsSinceEpoch: Int64(revoked)) }
        return AccessKey(
            name: name, role: role, createdAt: CairnStore.Timestamp(microsecondsSinceEpoch: Int64(created)), revokedAt: revokedAt,
            hint: hint)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
