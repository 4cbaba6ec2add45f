import Foundation
import Synchronization

/// The operator's key that wraps every data key. It never touches the data directory unless
/// the operator lets Cairn generate it there.
public struct MasterKey: Sendable {
    let bytes: [UInt8]

    /// The first 8 bytes of SHA-256 of the key, hex: names the key without revealing it.
    public var id: String { String(SHA256Digest.of(bytes).hex.prefix(16)) }

    /// 32 bytes, base64.
    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == AESGCM.keySize else {
            throw DataKeyError(.badMasterKey, "a master key is 32 bytes, base64-encoded")
        }
        self.bytes = [UInt8](data)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    public static func generate() -> MasterKey { MasterKey(bytes: AESGCM.randomKey()) }

    public var base64: String { Data(bytes).base64EncodedString() }

    /// The master key from `$CAIRN_MASTER_KEY` (base64) when set, else from `file`; with neither,
    /// a new key written to `file` (owner-only) — `created` tells the caller to warn that the
    /// key now sits beside the data it protects.
    public static func resolve(environment: [String: String], file: String) throws -> (key: MasterKey, created: Bool) {
        if let value = environment["CAIRN_MASTER_KEY"], !value.isEmpty { return (try MasterKey(base64: value), false) }
        if let text = try? String(contentsOfFile: file, encoding: .utf8) { return (try MasterKey(base64: text), false) }
        let key = generate()
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: file, contents: Data((key.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw DataKeyError(.storage, "cannot write a master key to \(file)") }
        return (key, true)
    }
}

/// Why the key store refused or failed.
public struct DataKeyError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public static let badMasterKey = Code("bad_master_key")
        public static let wrongMasterKey = Code("wrong_master_key")
        public static let destroyed = Code("key_destroyed")
        public static let storage = Code("storage")
    }

    public let code: Code
    public let message: String
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// One AES-256 data key per subject, kept wrapped (AES-256-GCM under the master key, bound to
/// the subject) in an LMDB environment of its own (`<data>/keys`).
///
/// Destroying a subject's key is how its personal data is erased: the log keeps the ciphertext
/// and stays verifiable. The destroyed key's bytes must not linger in the file either — LMDB
/// leaves freed pages as they were — so destruction (and master-key rotation) rewrites the
/// environment as a compacted copy and swaps it in.
public final class DataKeyStore: @unchecked Sendable {
    private struct State {
        var env: LMDBEnvironment
        var keys: LMDBDatabase
        var destroyed: LMDBDatabase
        var meta: LMDBDatabase
        var master: MasterKey
        var cache: [String: [UInt8]] = [:]
    }

    public let directory: String
    private let state: Mutex<State>
    private static let masterIdKey = Array("master.id".utf8)

    /// Opens (creating) the store; refuses a master key other than the one its keys are wrapped with.
    public init(directory: String, master: MasterKey) throws {
        self.directory = directory
        self.state = Mutex(try Self.open(directory, master))
    }

    private static func open(_ directory: String, _ master: MasterKey) throws -> State {
        // Finish or undo a compaction a crash interrupted: the copy is complete once the old
        // store has been moved aside, and the old store (with what it should forget) goes.
        let files = FileManager.default
        if !files.fileExists(atPath: directory), files.fileExists(atPath: directory + ".compacting") {
            try files.moveItem(atPath: directory + ".compacting", toPath: directory)
        }
        try? files.removeItem(atPath: directory + ".compacting")
        try? files.removeItem(atPath: directory + ".retired")
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var options = LMDBEnvironment.Options()
        options.mapSize = 64 << 20
        let env = try LMDBEnvironment(path: directory, options: options)
        do {
            let keys = try env.database("keys")
            let destroyed = try env.database("destroyed")
            let meta = try env.database("meta")
            let stored = try env.read { txn in try txn.get(meta, masterIdKey).map { String(decoding: $0, as: UTF8.self) } }
            if let stored, stored != master.id {
                throw DataKeyError(.wrongMasterKey, "the data keys in \(directory) are wrapped by master key \(stored), not \(master.id)")
            }
            if stored == nil { try env.write { txn in try txn.put(meta, masterIdKey, Array(master.id.utf8)) } }
            return State(env: env, keys: keys, destroyed: destroyed, meta: meta, master: master)
        } catch {
            env.close()
            throw error
        }
    }

    public func close() {
        state.withLock { $0.env.close() }
    }

    /// The subject's data key, made (and stored) when it has none and `create`; nil when it has
    /// none and not `create`. Throws `key_destroyed` for a subject whose key was destroyed: its
    /// personal data is gone for good and no new key is ever made for it.
    public func key(for subject: String, create: Bool) throws -> [UInt8]? {
        try state.withLock { state in
            if let cached = state.cache[subject] { return cached }
            let id = Array(subject.utf8)
            let existing = try state.env.read { txn -> [UInt8]? in
                if try txn.get(state.destroyed, id) != nil {
                    throw DataKeyError(.destroyed, "the data key of \(subject) was destroyed")
                }
                return try txn.get(state.keys, id).map { Array($0) }
            }
            if let existing {
                let key = try Self.unwrap(existing, subject, state.master)
                state.cache[subject] = key
                return key
            }
            guard create else { return nil }
            let key = AESGCM.randomKey()
            let wrapped = AESGCM.seal(key, key: state.master.bytes, authenticating: id)
            try state.env.write { txn in try txn.put(state.keys, id, wrapped) }
            state.cache[subject] = key
            return key
        }
    }

    /// Whether the subject's key was destroyed.
    public func isDestroyed(_ subject: String) throws -> Bool {
        try state.withLock { state in try state.env.read { txn in try txn.get(state.destroyed, Array(subject.utf8)) != nil } }
    }

    /// Destroys the subject's key (recording when), then rewrites the store without it.
    /// Returns false when it was already destroyed.
    @discardableResult
    public func destroy(_ subject: String, at time: Timestamp) throws -> Bool {
        try state.withLock { state in
            let id = Array(subject.utf8)
            let changed = try state.env.write { txn -> Bool in
                guard try txn.get(state.destroyed, id) == nil else { return false }
                _ = try txn.delete(state.keys, id)
                try txn.put(state.destroyed, id, .bigEndian(UInt64(bitPattern: time.microsecondsSinceEpoch)))
                return true
            }
            state.cache.removeValue(forKey: subject)
            if changed { try compact(&state) }
            return changed
        }
    }

    /// Rewraps every data key under `newMaster`, then rewrites the store so no key wrapped
    /// by the old master remains in the file.
    public func rotate(to newMaster: MasterKey) throws {
        try state.withLock { state in
            let old = state.master
            try state.env.write { txn in
                var rewrapped: [([UInt8], [UInt8])] = []
                let cursor = try txn.cursor(state.keys)
                var entry = try cursor.first()
                while let current = entry {
                    let subject = Array(current.key)
                    let key = try Self.unwrap(Array(current.value), String(decoding: subject, as: UTF8.self), old)
                    rewrapped.append((subject, AESGCM.seal(key, key: newMaster.bytes, authenticating: subject)))
                    entry = try cursor.next()
                }
                for (subject, wrapped) in rewrapped { try txn.put(state.keys, subject, wrapped) }
                try txn.put(state.meta, Self.masterIdKey, Array(newMaster.id.utf8))
            }
            state.master = newMaster
            try compact(&state)
        }
    }

    /// Subjects with a live key.
    public func subjectCount() throws -> Int {
        try state.withLock { state in try state.env.read { txn in try txn.count(state.keys) } }
    }

    private static func unwrap(_ wrapped: [UInt8], _ subject: String, _ master: MasterKey) throws -> [UInt8] {
        do { return try AESGCM.open(wrapped, key: master.bytes, authenticating: Array(subject.utf8)) } catch {
            throw DataKeyError(.wrongMasterKey, "the data key of \(subject) does not open with master key \(master.id)")
        }
    }

    /// Replaces the environment with a compacted copy of itself: freed pages — which may still
    /// hold destroyed keys, or keys wrapped by a retired master — are not copied.
    private func compact(_ state: inout State) throws {
        let fresh = directory + ".compacting"
        let retired = directory + ".retired"
        try? FileManager.default.removeItem(atPath: fresh)
        try? FileManager.default.removeItem(atPath: retired)
        try state.env.copy(to: fresh, compact: true)
        state.env.close()
        try FileManager.default.moveItem(atPath: directory, toPath: retired)
        try FileManager.default.moveItem(atPath: fresh, toPath: directory)
        try FileManager.default.removeItem(atPath: retired)
        let reopened = try Self.open(directory, state.master)
        state.env = reopened.env
        state.keys = reopened.keys
        state.destroyed = reopened.destroyed
        state.meta = reopened.meta
    }
}
