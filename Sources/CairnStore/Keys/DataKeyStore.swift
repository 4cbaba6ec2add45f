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
        public static let missing = Code("key_missing")
        public static let busy = Code("keys_busy")
        public static let storage = Code("storage")
    }

    public let code: Code
    public let message: String
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// Names a data key: the data subject that owns it and the kind of data it protects.
public struct DataKeyID: Hashable, Sendable, CustomStringConvertible {
    /// The data subject (a customer id, or the stream of data that has no customer yet).
    public let owner: String
    /// The kind of data (for example `customer`, `activity`), so each kind can be kept for its
    /// own retention period.
    public let scope: String

    public init(owner: String, scope: String) {
        self.owner = owner
        self.scope = scope
    }

    /// `owner/scope`; owners and scopes never contain `/`.
    public init?(_ text: String) { self.init(Substring(text)) }

    public init?(_ text: Substring) {
        // Found on the UTF-8 bytes: each sealed key id met for the first time is parsed.
        let utf8 = text.utf8
        guard let slash = utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let scopeStart = utf8.index(after: slash)
        guard slash != utf8.startIndex, scopeStart != utf8.endIndex, !utf8[scopeStart...].contains(UInt8(ascii: "/"))
        else { return nil }
        owner = String(text[..<slash])
        scope = String(text[scopeStart...])
    }

    public var description: String { owner + "/" + scope }
    var bytes: [UInt8] { Array(description.utf8) }
}

/// A calendar month (UTC), counted from January 1970: the granularity at which data keys are
/// evolved, and so at which retention erases.
public struct KeyMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(index: Int) { self.index = index }

    public init(_ time: Timestamp) {
        // The UTC calendar date the same way `Timestamp.rfc3339` finds it.
        let micros = time.microsecondsSinceEpoch
        var seconds = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        index = (Int(parts.tm_year) + 1900 - 1970) * 12 + Int(parts.tm_mon)
    }

    /// `yyyy-mm`.
    public init?(_ text: String) { self.init(Substring(text)) }

    public init?(_ text: Substring) {
        // `dddd-dd`, read in place on the UTF-8 bytes.
        var year = 0
        var month = 0
        var count = 0
        for byte in text.utf8 {
            let digit = Int(byte) - Int(UInt8(ascii: "0"))
            switch count {
            case 4: guard byte == UInt8(ascii: "-") else { return nil }
            case 0..<4, 5, 6:
                guard (0...9).contains(digit) else { return nil }
                if count < 4 { year = year * 10 + digit } else { month = month * 10 + digit }
            default: return nil
            }
            count += 1
        }
        guard count == 7 else { return nil }
        guard (1...12).contains(month) else { return nil }
        index = (year - 1970) * 12 + (month - 1)
    }

    public var description: String {
        let years = index >= 0 ? index / 12 : (index - 11) / 12
        let year = 1970 + years
        let month = index - years * 12 + 1
        let yearText = String(year)
        return String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText + (month < 10 ? "-0" : "-") + String(month)
    }

    public func adding(months: Int) -> KeyMonth { KeyMonth(index: index + months) }
    public static func < (a: KeyMonth, b: KeyMonth) -> Bool { a.index < b.index }
}

/// Data keys, kept wrapped (AES-256-GCM under the master key, bound to the key's id) in an LMDB
/// environment of their own (`<data>/keys`), plus what erasure and retention need beside them:
/// which owners were erased, which are under legal hold, and the suppression fingerprints.
///
/// Each stored key is the start of a one-way chain: the key for a month is the stored key
/// stepped forward (HMAC) once per month since the month it was stored for. Retention replaces
/// the stored key with the one for the first month it keeps — the earlier months' keys can no
/// longer be computed, and that data is erased — while later months stay readable; a legal
/// hold simply keeps the store from advancing. Erasing an owner deletes every key it has.
///
/// Erased key bytes must not linger in the file either — LMDB leaves freed pages as they were —
/// so erasure, retention and master-key rotation rewrite the environment as a compacted copy
/// and swap it in.
public final class DataKeyStore: @unchecked Sendable {
    /// The open environment and what is read with it. Replaced only by a rewrite (erasure,
    /// retention, rotation), which holds `access` exclusively; everything else holds it shared
    /// for as long as it uses the environment, so no thread waits on another's disk flush
    /// except where LMDB itself serialises writers.
    private struct Store {
        var env: LMDBEnvironment
        var dbs: Databases
        var master: MasterKey
        var salt: [UInt8]
    }

    /// Chain starts by key id; month keys by id and month. Bounded. Its lock is held for
    /// dictionary operations only, never across I/O or cryptography.
    private struct Caches {
        var chains: BoundedCache<DataKeyID, (start: KeyMonth, key: [UInt8])>
        var monthKeys: BoundedCache<MonthKeyName, [UInt8]>

        init(limit: Int) {
            chains = BoundedCache(limit: limit)
            monthKeys = BoundedCache(limit: limit)
        }

        mutating func removeAll() {
            chains.removeAll()
            monthKeys.removeAll()
        }
    }

    private struct Databases {
        /// `owner/scope` → start month (u32 BE) ‖ wrapped chain key.
        var keys: LMDBDatabase
        /// owner → time of erasure (u64 BE µs).
        var erased: LMDBDatabase
        /// owner → hold ids, newline-separated.
        var holds: LMDBDatabase
        /// HMAC(salt, value) → time added.
        var fingerprints: LMDBDatabase
        /// HMAC(salt, "contact" ‖ 0 ‖ address) ‖ owner → empty: finds the customers holding an
        /// email address without keeping the address (one entry per holder, so a shared address
        /// costs a lookup no more than a private one).
        var contacts: LMDBDatabase
        var meta: LMDBDatabase
    }

    private struct MonthKeyName: Hashable {
        let id: DataKeyID
        let month: KeyMonth
    }

    public let directory: String
    private let access = ReadWriteLock()
    /// Guarded by `access`.
    private var store: Store
    private let caches: Mutex<Caches>
    /// Key-making requests from tasks, written together on a thread of their own.
    private let keyRequests = BatchQueue<KeyRequest>(label: "cairn.keys.writer")

    private struct KeyRequest: Sendable {
        let ids: [DataKeyID]
        let month: KeyMonth
        let links: [[UInt8]]
        let done: CheckedContinuation<Void, any Error>
    }
    /// Whether any fingerprint is stored: most checks then need no hashing, no read and no
    /// lock. Only this process can add one while it has the store open (adding goes with
    /// erasure, which needs the store to itself), so it stays true to the file.
    private let anyFingerprint = Atomic<Bool>(false)
    /// Shared while open; exclusive while erasing, expiring or rotating, which rewrite the
    /// environment — so those never run while another process has the keys open.
    private let lock: ProcessLock
    private let changes = Atomic<UInt64>(0)

    /// Counts the rewrites (erasure, retention, rotation) this store has made: a cache of keys
    /// taken from it is good while this has not moved.
    public var generation: UInt64 { changes.load(ordering: .acquiring) }
    private static let masterIdKey = Array("master.id".utf8)
    private static let saltKey = Array("fingerprint.salt".utf8)
    /// Entries per cache (each a ``BoundedCache``, which keeps the keys in use when a stream of
    /// others passes through): bounded so memory stays flat however many subjects pass through,
    /// and the working set of subjects being written to. An entry costs about 200 bytes. At 65,536
    /// the two caches held 16 MB that an import of new customers filled with keys it never asks
    /// for again, and emptying them when full left the allocator holding more: an import's
    /// memory rose from 39 to 71 MB between 100,000 and 400,000 rows, against 25 to 28 MB at
    /// 8,192. The price is paid by larger working sets: a miss costs a read and an unwrap, and
    /// `bench compliance` (about 77,000 keys of known customers) lost 13.3 % to sealing instead
    /// of 10.1 %, within its 15 % target.
    public static let defaultCacheLimit = 8_192

    /// Opens (creating) the store; refuses a master key other than the one its keys are wrapped
    /// with. `cacheLimit` bounds each of its two key caches (entries).
    public init(directory: String, master: MasterKey, cacheLimit: Int = DataKeyStore.defaultCacheLimit) throws {
        self.directory = directory
        self.caches = Mutex(Caches(limit: cacheLimit))
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        self.lock = try ProcessLock(path: directory + ".lock")
        let (store, anyFingerprint) = try Self.open(directory, master)
        self.store = store
        self.anyFingerprint.store(anyFingerprint, ordering: .relaxed)
    }

    private static func open(_ directory: String, _ master: MasterKey) throws -> (Store, anyFingerprint: Bool) {
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
        options.mapSize = 1 << 30
        let env = try LMDBEnvironment(path: directory, options: options)
        do {
            let dbs = Databases(
                keys: try env.database("keys"), erased: try env.database("erased"), holds: try env.database("holds"),
                fingerprints: try env.database("fingerprints"), contacts: try env.database("contacts"), meta: try env.database("meta"))
            let (stored, salt) = try env.read { txn in
                (
                    try txn.get(dbs.meta, masterIdKey).map { String(decoding: $0, as: UTF8.self) },
                    try txn.get(dbs.meta, saltKey).map { Array($0) }
                )
            }
            if let stored, stored != master.id {
                throw DataKeyError(.wrongMasterKey, "the data keys in \(directory) are wrapped by master key \(stored), not \(master.id)")
            }
            if let salt {
                let any = try env.read { txn in try txn.count(dbs.fingerprints) > 0 }
                return (Store(env: env, dbs: dbs, master: master, salt: salt), any)
            }
            let fresh = SecureRandom.bytes(32)
            try env.write { txn in
                try txn.put(dbs.meta, masterIdKey, Array(master.id.utf8))
                try txn.put(dbs.meta, saltKey, fresh)
            }
            return (Store(env: env, dbs: dbs, master: master, salt: fresh), false)
        } catch {
            env.close()
            throw error
        }
    }

    public func close() {
        access.exclusive { store.env.close() }
        lock.release()
    }

    // MARK: Keys

    /// The key to seal data of `id` recorded in `month`, and the month it is for: a key is made
    /// (and stored durably) the first time; data recorded in a month retention has already
    /// passed is sealed for the first month still kept. Throws `key_destroyed` once the owner
    /// was erased: no key is ever made for it again.
    public func sealingKey(for id: DataKeyID, month: KeyMonth) throws -> (key: [UInt8], month: KeyMonth) {
        guard let key = try sealingKeys(for: [id], month: month)[id] ?? nil else {
            throw DataKeyError(.destroyed, "the data of \(id.owner) was erased")
        }
        return key
    }

    /// ``sealingKey(for:month:)`` for many ids at once — nil for an id whose owner was erased —
    /// making those that do not exist yet in one durable write, so that sealing a batch of
    /// events costs at most one disk flush. Keys met before come from memory.
    ///
    /// `linking` records which owner holds which contact address (see ``contactOwners(of:)``),
    /// in the same write when one is needed anyway.
    public func sealingKeys(
        for ids: Set<DataKeyID>, month: KeyMonth, linking links: [(address: String, owner: String)] = []
    ) throws -> [DataKeyID: (key: [UInt8], month: KeyMonth)?] {
        let lookup = try lookUp(ids, month, links)
        if lookup.needsWrite { try access.shared { try create([(lookup.missing, month)], linking: lookup.newLinks, store) } }
        return try complete(lookup, month)
    }

    /// ``sealingKeys(for:month:linking:)`` for tasks: the durable write, when one is needed, is
    /// made on the key store's own writer thread — never blocking a thread of the task pool on
    /// a disk flush — and shared (group commit) with every other task waiting to make keys.
    public func sealingKeys(
        for ids: Set<DataKeyID>, month: KeyMonth, linking links: [(address: String, owner: String)] = []
    ) async throws -> [DataKeyID: (key: [UInt8], month: KeyMonth)?] {
        let lookup = try lookUp(ids, month, links)
        if lookup.needsWrite {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let request = KeyRequest(ids: lookup.missing, month: month, links: lookup.newLinks, done: continuation)
                keyRequests.add(request) { self.write($0) }
            }
        }
        return try complete(lookup, month)
    }

    private struct Lookup {
        var found: [DataKeyID: (key: [UInt8], month: KeyMonth)?] = [:]
        var missing: [DataKeyID] = []
        var newLinks: [[UInt8]] = []
        var needsWrite: Bool { !missing.isEmpty || !newLinks.isEmpty }
    }

    /// What memory and the file already hold: the keys known, the ids to make, the links to record.
    private func lookUp(_ ids: Set<DataKeyID>, _ month: KeyMonth, _ links: [(address: String, owner: String)]) throws -> Lookup {
        try access.shared {
            let store = self.store
            var lookup = Lookup()
            let hasher = SHA256Hasher()
            lookup.newLinks = try store.env.read { txn in
                try links.map { Self.contactKey($0.address, $0.owner, store.salt, hasher) }.filter {
                    try txn.get(store.dbs.contacts, $0) == nil
                }
            }
            for id in ids {
                if let known = try sealingKey(id, month, store) { lookup.found[id] = known } else { lookup.missing.append(id) }
            }
            return lookup
        }
    }

    /// `lookup` with the keys it was missing, once made (nil for an owner erased meanwhile).
    private func complete(_ lookup: Lookup, _ month: KeyMonth) throws -> [DataKeyID: (key: [UInt8], month: KeyMonth)?] {
        guard !lookup.missing.isEmpty else { return lookup.found }
        return try access.shared {
            let store = self.store
            var found = lookup.found
            for id in lookup.missing {
                guard let known = try sealingKey(id, month, store) else {
                    throw DataKeyError(.storage, "the data key \(id) was made but cannot be found")
                }
                found[id] = known
            }
            return found
        }
    }

    /// The key sealing `id`'s data of `month` (`.some(nil)`: its owner was erased); nil when
    /// no key exists yet. Callers hold `access`.
    private func sealingKey(_ id: DataKeyID, _ month: KeyMonth, _ store: Store) throws -> (key: [UInt8], month: KeyMonth)?? {
        // A month key in memory is one at or past its chain's start (the caches are emptied
        // whenever a chain starts later, or its owner is erased): the usual case, one lookup.
        if let cached = caches.withLock({ $0.monthKeys.value(for: MonthKeyName(id: id, month: month)) }) { return .some((cached, month)) }
        if let chain = try chain(id, store) {
            let sealed = max(month, chain.start)
            return .some((monthKey(id, sealed, chain), sealed))
        }
        if try store.env.read({ txn in try txn.get(store.dbs.erased, Array(id.owner.utf8)) != nil }) { return .some(nil) }
        return nil
    }

    /// Runs on the writer thread: makes the keys of a batch of waiting requests in one write.
    private func write(_ batch: [KeyRequest]) {
        do {
            try access.shared { try create(batch.map { ($0.ids, $0.month) }, linking: batch.flatMap(\.links), store) }
            for request in batch { request.done.resume() }
        } catch {
            for request in batch { request.done.resume(throwing: error) }
        }
    }

    /// The key that opens data of `id` sealed for `month`; nil when that data is erased (the
    /// owner was erased, or retention passed the month). Throws for a key that never existed.
    public func openingKey(for id: DataKeyID, month: KeyMonth) throws -> [UInt8]? {
        try access.shared {
            if let cached = caches.withLock({ $0.monthKeys.value(for: MonthKeyName(id: id, month: month)) }) { return cached }
            let store = self.store
            guard let chain = try chain(id, store) else {
                let erased = try store.env.read { txn in try txn.get(store.dbs.erased, Array(id.owner.utf8)) != nil }
                if erased { return nil }
                throw DataKeyError(.missing, "no data key \(id) exists")
            }
            guard month >= chain.start else { return nil }
            return monthKey(id, month, chain)
        }
    }

    /// The first month whose data of `id` can still be read (nil when the key does not exist).
    public func firstKeptMonth(of id: DataKeyID) throws -> KeyMonth? {
        try access.shared { try chain(id, store)?.start }
    }

    /// Whether the owner was erased, and when.
    public func erasure(of owner: String) throws -> Timestamp? {
        try access.shared {
            try store.env.read { txn in
                try txn.get(store.dbs.erased, Array(owner.utf8)).map {
                    Timestamp(microsecondsSinceEpoch: Int64(bitPattern: Array($0).loadBigEndian(at: 0, as: UInt64.self)))
                }
            }
        }
    }

    /// Erases each owner: deletes every key it has and records that it is erased (so none is
    /// made again), drops the contact links of `contacts` (its addresses), then rewrites the
    /// store without them. Returns the keys deleted.
    @discardableResult
    public func erase(owners: [String], contacts: [String] = [], at time: Timestamp) throws -> [DataKeyID] {
        try lock.exclusively {
            try access.exclusive {
                let dbs = store.dbs
                let salt = store.salt
                let deleted = try store.env.write { txn -> [DataKeyID] in
                    for address in contacts {
                        for owner in owners { _ = try txn.delete(dbs.contacts, Self.contactKey(address, owner, salt)) }
                    }
                    var deleted: [DataKeyID] = []
                    for owner in Set(owners).sorted() {
                        let prefix = Array((owner + "/").utf8)
                        var ids: [[UInt8]] = []
                        let cursor = try txn.cursor(dbs.keys)
                        var entry = try cursor.seek(atLeast: prefix)
                        while let current = entry, current.key.starts(with: prefix) {
                            ids.append(Array(current.key))
                            entry = try cursor.next()
                        }
                        for id in ids {
                            _ = try txn.delete(dbs.keys, id)
                            if let parsed = DataKeyID(String(decoding: id, as: UTF8.self)) { deleted.append(parsed) }
                        }
                        if try txn.get(dbs.erased, Array(owner.utf8)) == nil {
                            try txn.put(dbs.erased, Array(owner.utf8), .bigEndian(UInt64(bitPattern: time.microsecondsSinceEpoch)))
                        }
                    }
                    return deleted
                }
                forget(Set(owners))
                changes.add(1, ordering: .releasing)
                try compact()
                return deleted
            }
        }
    }

    /// Retention: for every key of `scope` whose chain starts before `keepFrom`, except those of
    /// `held` owners, replaces the stored key with the one for `keepFrom`, so data of `scope`
    /// recorded before that month can never be opened again. Returns the keys advanced.
    @discardableResult
    public func expire(scope: String, before keepFrom: KeyMonth, sparing held: Set<String>) throws -> [DataKeyID] {
        try lock.exclusively {
            try access.exclusive {
                let dbs = store.dbs
                let master = store.master
                let advanced = try store.env.write { txn -> [DataKeyID] in
                    var rewritten: [(DataKeyID, [UInt8])] = []
                    let cursor = try txn.cursor(dbs.keys)
                    var entry = try cursor.first()
                    while let current = entry {
                        if let id = DataKeyID(String(decoding: current.key, as: UTF8.self)), id.scope == scope, !held.contains(id.owner) {
                            let chain = try Self.unwrap(Array(current.value), id, master)
                            if chain.start < keepFrom {
                                let key = Self.step(chain.key, times: keepFrom.index - chain.start.index)
                                rewritten.append((id, Self.wrap(key, keepFrom, id, master)))
                            }
                        }
                        entry = try cursor.next()
                    }
                    for (id, value) in rewritten { try txn.put(dbs.keys, id.bytes, value) }
                    return rewritten.map(\.0)
                }
                if !advanced.isEmpty {
                    caches.withLock { $0.removeAll() }
                    changes.add(1, ordering: .releasing)
                    try compact()
                }
                return advanced
            }
        }
    }

    /// Rewraps every data key under `newMaster`, then rewrites the store so no key wrapped
    /// by the old master remains in the file.
    public func rotate(to newMaster: MasterKey) throws {
        try lock.exclusively {
            try access.exclusive {
                let old = store.master
                let dbs = store.dbs
                try store.env.write { txn in
                    var rewrapped: [(DataKeyID, [UInt8])] = []
                    let cursor = try txn.cursor(dbs.keys)
                    var entry = try cursor.first()
                    while let current = entry {
                        guard let id = DataKeyID(String(decoding: current.key, as: UTF8.self)) else {
                            throw DataKeyError(.storage, "malformed key id in \(directory)")
                        }
                        let chain = try Self.unwrap(Array(current.value), id, old)
                        rewrapped.append((id, Self.wrap(chain.key, chain.start, id, newMaster)))
                        entry = try cursor.next()
                    }
                    for (id, wrapped) in rewrapped { try txn.put(dbs.keys, id.bytes, wrapped) }
                    try txn.put(dbs.meta, Self.masterIdKey, Array(newMaster.id.utf8))
                }
                store.master = newMaster
                changes.add(1, ordering: .releasing)
                try compact()
            }
        }
    }

    /// Keys stored.
    public func keyCount() throws -> Int {
        try access.shared { try store.env.read { txn in try txn.count(store.dbs.keys) } }
    }

    // MARK: Legal holds

    /// Records (or, with `placed` false, releases) hold `holdId` on `owner`; retention spares
    /// held owners.
    public func setHold(_ holdId: String, on owner: String, placed: Bool) throws {
        try access.shared {
            let dbs = store.dbs
            try store.env.write { txn in
                let key = Array(owner.utf8)
                var holds = Set(
                    try txn.get(dbs.holds, key).map { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) } ?? [])
                if placed { holds.insert(holdId) } else { holds.remove(holdId) }
                if holds.isEmpty {
                    _ = try txn.delete(dbs.holds, key)
                } else {
                    try txn.put(dbs.holds, key, Array(holds.sorted().joined(separator: "\n").utf8))
                }
            }
        }
    }

    /// Owners with at least one hold.
    public func heldOwners() throws -> Set<String> {
        try access.shared {
            try store.env.read { txn in
                var owners: Set<String> = []
                let cursor = try txn.cursor(store.dbs.holds)
                var entry = try cursor.first()
                while let current = entry {
                    owners.insert(String(decoding: current.key, as: UTF8.self))
                    entry = try cursor.next()
                }
                return owners
            }
        }
    }

    // MARK: Fingerprints

    /// Keeps a keyed hash (HMAC-SHA-256 under this store's own random salt) of `value`, never
    /// the value: what a suppression list needs to recognise an address without holding it.
    public func addFingerprint(of value: String, at time: Timestamp) throws {
        try access.shared {
            let fingerprint = HMACSHA256.mac(key: store.salt, Array(value.utf8))
            let dbs = store.dbs
            try store.env.write { txn in
                if try txn.get(dbs.fingerprints, fingerprint) == nil {
                    try txn.put(dbs.fingerprints, fingerprint, .bigEndian(UInt64(bitPattern: time.microsecondsSinceEpoch)))
                }
            }
            anyFingerprint.store(true, ordering: .releasing)
        }
    }

    public func hasFingerprint(of value: String) throws -> Bool {
        guard anyFingerprint.load(ordering: .acquiring) else { return false }
        return try access.shared {
            let fingerprint = HMACSHA256.mac(key: store.salt, Array(value.utf8))
            return try store.env.read { txn in try txn.get(store.dbs.fingerprints, fingerprint) != nil }
        }
    }

    public func fingerprintCount() throws -> Int {
        try access.shared { try store.env.read { txn in try txn.count(store.dbs.fingerprints) } }
    }

    /// The owners recorded as holding contact address `address` (candidates: the caller checks
    /// them against what it knows).
    public func contactOwners(of address: String) throws -> [String] {
        try access.shared {
            let fingerprint = Self.contactFingerprint(address, store.salt)
            return try store.env.read { txn in
                var owners: [String] = []
                let cursor = try txn.cursor(store.dbs.contacts)
                var entry = try cursor.seek(atLeast: fingerprint)
                while let current = entry, current.key.count > fingerprint.count, current.key.starts(with: fingerprint) {
                    owners.append(String(decoding: current.key.dropFirst(fingerprint.count), as: UTF8.self))
                    entry = try cursor.next()
                }
                return owners
            }
        }
    }

    private static func contactFingerprint(_ address: String, _ salt: [UInt8], _ hasher: borrowing SHA256Hasher = SHA256Hasher()) -> [UInt8]
    {
        var address = address
        return address.withUTF8 { HMACSHA256.mac(key: salt, contactLabel, UnsafeRawBufferPointer($0), using: hasher) }
    }

    private static func contactKey(
        _ address: String, _ owner: String, _ salt: [UInt8], _ hasher: borrowing SHA256Hasher = SHA256Hasher()
    ) -> [UInt8] {
        contactFingerprint(address, salt, hasher) + Array(owner.utf8)
    }

    private static let contactLabel = Array("contact".utf8) + [0]

    // MARK: Internals

    /// `id`'s chain, from memory or the file (nil when no key exists). Callers hold `access`.
    private func chain(_ id: DataKeyID, _ store: Store) throws -> (start: KeyMonth, key: [UInt8])? {
        if let cached = caches.withLock({ $0.chains.value(for: id) }) { return cached }
        let stored = try store.env.read { txn in try txn.get(store.dbs.keys, id.bytes).map { Array($0) } }
        guard let stored else { return nil }
        let chain = try Self.unwrap(stored, id, store.master)
        caches.withLock { $0.chains.insert(chain, for: id) }
        return chain
    }

    /// Makes the keys of each (ids, month) and records `links`, in one durable write. Callers
    /// hold `access` shared, so threads making keys at once meet only in LMDB's writer lock; one
    /// finding a key made meanwhile keeps it, and no key is made for an owner erased meanwhile.
    private func create(_ requests: [(ids: [DataKeyID], month: KeyMonth)], linking links: [[UInt8]], _ store: Store) throws {
        let dbs = store.dbs
        let master = store.master
        let aes = AESGCM.Context()
        let made = try store.env.write { txn -> [(DataKeyID, KeyMonth, [UInt8])] in
            for link in links { try txn.put(dbs.contacts, link, []) }
            var made: [(DataKeyID, KeyMonth, [UInt8])] = []
            for (ids, month) in requests {
                for id in ids.sorted(by: { ($0.owner, $0.scope) < ($1.owner, $1.scope) }) {
                    if try txn.get(dbs.erased, Array(id.owner.utf8)) != nil { continue }
                    // Another thread or process may have made it since this one looked: keep theirs.
                    if let stored = try txn.get(dbs.keys, id.bytes) {
                        let chain = try Self.unwrap(Array(stored), id, master)
                        made.append((id, chain.start, chain.key))
                        continue
                    }
                    let key = AESGCM.randomKey()
                    try txn.put(dbs.keys, id.bytes, Self.wrap(key, month, id, master, aes))
                    made.append((id, month, key))
                }
            }
            return made
        }
        caches.withLock { caches in
            for (id, start, key) in made { caches.chains.insert((start, key), for: id) }
        }
    }

    private func monthKey(_ id: DataKeyID, _ month: KeyMonth, _ chain: (start: KeyMonth, key: [UInt8])) -> [UInt8] {
        let name = MonthKeyName(id: id, month: month)
        if let cached = caches.withLock({ $0.monthKeys.value(for: name) }) { return cached }
        let key = Self.step(chain.key, times: month.index - chain.start.index)
        caches.withLock { $0.monthKeys.insert(key, for: name) }
        return key
    }

    /// One month forward along the chain; it cannot be stepped back.
    private static let monthStepLabel = Array("cairn.month.v1".utf8)

    private static func step(_ key: [UInt8], times: Int) -> [UInt8] {
        var key = key
        for _ in 0..<max(0, times) { key = HMACSHA256.mac(key: key, monthStepLabel) }
        return key
    }

    private func forget(_ owners: Set<String>) {
        caches.withLock { caches in
            caches.chains.removeAll { owners.contains($0.owner) }
            caches.monthKeys.removeAll { owners.contains($0.id.owner) }
        }
    }

    private static func wrap(
        _ key: [UInt8], _ start: KeyMonth, _ id: DataKeyID, _ master: MasterKey, _ aes: borrowing AESGCM.Context = AESGCM.Context()
    ) -> [UInt8] {
        var month: [UInt8] = []
        month.appendBigEndian(UInt32(truncatingIfNeeded: start.index))
        return month + aes.seal(key, key: master.bytes, nonce: SecureRandom.bytes(AESGCM.nonceSize), authenticating: id.bytes + month)
    }

    private static func unwrap(_ stored: [UInt8], _ id: DataKeyID, _ master: MasterKey) throws -> (start: KeyMonth, key: [UInt8]) {
        guard stored.count > 4 else { throw DataKeyError(.storage, "the stored data key \(id) is truncated") }
        let month = Array(stored[0..<4])
        do {
            let key = try AESGCM.open(Array(stored[4...]), key: master.bytes, authenticating: id.bytes + month)
            return (KeyMonth(index: Int(Int32(bitPattern: month.loadBigEndian(at: 0, as: UInt32.self)))), key)
        } catch {
            throw DataKeyError(.wrongMasterKey, "the data key \(id) does not open with master key \(master.id)")
        }
    }

    /// Replaces the environment with a compacted copy of itself: freed pages — which may still
    /// hold erased keys, or keys wrapped by a retired master — are not copied.
    /// Callers hold `access` exclusively.
    private func compact() throws {
        let fresh = directory + ".compacting"
        let retired = directory + ".retired"
        try? FileManager.default.removeItem(atPath: fresh)
        try? FileManager.default.removeItem(atPath: retired)
        try store.env.copy(to: fresh, compact: true)
        store.env.close()
        try FileManager.default.moveItem(atPath: directory, toPath: retired)
        try FileManager.default.moveItem(atPath: fresh, toPath: directory)
        try FileManager.default.removeItem(atPath: retired)
        let (reopened, any) = try Self.open(directory, store.master)
        store = reopened
        anyFingerprint.store(any, ordering: .releasing)
    }
}

/// `flock` on a file beside the key store: shared by every process that has the store open,
/// exclusive for the operations that rewrite it. Released by the kernel however the process ends.
final class ProcessLock: Sendable {
    private let descriptor: Mutex<Int32?>
    private let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DataKeyError(.storage, "cannot open \(path): \(String(cString: strerror(errno)))") }
        // Wait out another process's rewrite (seconds at most).
        var attempts = 0
        while flock(fd, LOCK_SH | LOCK_NB) != 0 {
            attempts += 1
            guard attempts < 1000 else {
                close(fd)
                throw DataKeyError(.busy, "the data keys beside \(path) are being rewritten by another process")
            }
            usleep(10_000)
        }
        descriptor = Mutex(fd)
    }

    /// Runs `body` holding the lock exclusively; refuses while another process has the store open.
    func exclusively<T>(_ body: () throws -> T) throws -> T {
        guard let fd = descriptor.withLock({ $0 }) else { throw DataKeyError(.storage, "the data keys are closed") }
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            // A failed conversion may have dropped the shared lock: take it back before anything else.
            _ = flock(fd, LOCK_SH)
            attempts += 1
            guard attempts < 50 else {
                throw DataKeyError(
                    .busy,
                    "the data keys are open in another process (a running cairn serve?): erasure, retention and rotation need them to themselves — stop it, or use its HTTP endpoints"
                )
            }
            usleep(10_000)
        }
        defer { _ = flock(fd, LOCK_SH) }
        return try body()
    }

    func release() {
        if let fd = descriptor.withLock({ fd in
            defer { fd = nil }
            return fd
        }) {
            close(fd)
        }
    }

    deinit { release() }
}
