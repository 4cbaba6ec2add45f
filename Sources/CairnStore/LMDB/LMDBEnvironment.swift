import CLMDB
import Foundation

/// An LMDB environment: one memory-mapped file holding named databases.
///
/// Reads may run on any thread, each in a short read-only transaction (`MDB_NOTLS`). Writes must
/// come from one thread at a time; ``EventLog`` gives them a thread of their own. When a write
/// fills the map, the transaction is aborted, the map grows and the write is retried, so callers
/// never see `MDB_MAP_FULL`.
package final class LMDBEnvironment: @unchecked Sendable {
    package enum Durability: Sendable {
        /// Every commit syncs data and metadata (the default).
        case full
        /// `MDB_NOMETASYNC`: data is synced at commit, the meta page at the next commit. A crash
        /// can lose the last transaction, never corrupt the database.
        case noMetaSync
        /// `MDB_NOSYNC`: nothing is synced at commit. For scratch environments that can be
        /// rebuilt (never the log).
        case none
    }

    package struct Options: Sendable {
        package var mapSize: Int = 1 << 30
        package var maxDatabases: UInt32 = 16
        package var maxReaders: UInt32 = 1024
        package var durability: Durability = .full
        package var readOnly = false

        package init() {}
    }

    private let env: OpaquePointer
    private let gate = MapGate()
    /// Read and written only while holding `gate` (shared to read, exclusively to write).
    private var isClosed = false
    package let path: String
    package let isReadOnly: Bool
    /// Reader slots of dead processes cleared when the environment was opened.
    package let staleReadersCleared: Int32

    /// Opens (creating when needed) the environment in directory `path`.
    package init(path: String, options: Options = Options()) throws {
        if !options.readOnly {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        var raw: OpaquePointer?
        try lmdbCheck(mdb_env_create(&raw))
        let env = raw!
        do {
            try lmdbCheck(mdb_env_set_maxdbs(env, options.maxDatabases))
            try lmdbCheck(mdb_env_set_maxreaders(env, options.maxReaders))
            try lmdbCheck(mdb_env_set_mapsize(env, options.mapSize))
            var flags = UInt32(MDB_NOTLS)
            switch options.durability {
            case .full: break
            case .noMetaSync: flags |= UInt32(MDB_NOMETASYNC)
            case .none: flags |= UInt32(MDB_NOSYNC)
            }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try lmdbCheck(mdb_env_open(env, path, flags, 0o640))
            var dead: Int32 = 0
            try lmdbCheck(mdb_reader_check(env, &dead))
            staleReadersCleared = dead
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        self.path = path
        self.isReadOnly = options.readOnly
    }

    deinit { close() }

    /// Closes the environment once every open transaction has ended; later transactions fail
    /// with ``LMDBError/closed``.
    package func close() {
        gate.exclusively {
            guard !isClosed else { return }
            isClosed = true
            mdb_env_close(env)
        }
    }

    /// Opens (creating when `create` and the environment is writable) a named database. Call
    /// once at start-up.
    package func database(_ name: String, create: Bool = true) throws -> LMDBDatabase {
        guard isReadOnly else {
            return try write { txn in
                var dbi = MDB_dbi()
                try lmdbCheck(mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi))
                return LMDBDatabase(dbi: dbi)
            }
        }
        // A handle opened in a read-only transaction survives only if that transaction commits.
        let handle = try begin(flags: UInt32(MDB_RDONLY))
        var dbi = MDB_dbi()
        let rc = mdb_dbi_open(handle, name, 0, &dbi)
        if rc != 0 {
            mdb_txn_abort(handle)
            gate.leave()
            throw LMDBError(code: rc)
        }
        let committed = mdb_txn_commit(handle)
        gate.leave()
        try lmdbCheck(committed)
        return LMDBDatabase(dbi: dbi)
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot. Keep it short: a long read pins old pages.
    package func read<T>(_ body: (borrowing LMDBReadTransaction) throws -> T) throws -> T {
        let handle = try begin(flags: UInt32(MDB_RDONLY))
        defer {
            mdb_txn_abort(handle)
            gate.leave()
        }
        return try body(LMDBReadTransaction(handle: handle))
    }

    /// Runs `body` in a write transaction and commits it. If the map fills, the transaction is
    /// aborted, the map grows, and `body` runs again from the start — so `body` must derive
    /// everything it writes from its inputs and the transaction, not from state it mutated on
    /// an earlier attempt. Call from one thread at a time.
    @discardableResult
    package func write<T>(_ body: (borrowing LMDBWriteTransaction) throws -> T) throws -> T {
        while true {
            let handle = try begin(flags: 0)
            let value: T
            do {
                value = try body(LMDBWriteTransaction(handle: handle))
            } catch {
                mdb_txn_abort(handle)
                gate.leave()
                if LMDBError.mapFull ~= error {
                    try grow()
                    continue
                }
                throw error
            }
            let rc = mdb_txn_commit(handle)
            gate.leave()
            if rc == MDB_MAP_FULL {
                try grow()
                continue
            }
            try lmdbCheck(rc)
            return value
        }
    }

    private func begin(flags: UInt32) throws -> OpaquePointer {
        while true {
            gate.enter()
            if isClosed {
                gate.leave()
                throw LMDBError.closed
            }
            var raw: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, flags, &raw)
            if rc == 0 { return raw! }
            gate.leave()
            guard rc == MDB_MAP_RESIZED else { throw LMDBError(code: rc) }
            // Another process grew the map: adopt its size, then try again.
            try gate.exclusively { () in
                if !isClosed { try lmdbCheck(mdb_env_set_mapsize(env, 0)) }
            }
        }
    }

    /// Doubles the map (by at most 8 GiB at a time).
    package func grow() throws {
        try gate.exclusively { () in
            guard !isClosed else { throw LMDBError.closed }
            let current = unguardedInfo.mapSize
            let step = Swift.min(current, 8 << 30)
            try lmdbCheck(mdb_env_set_mapsize(env, current + step))
        }
    }

    // MARK: Maintenance

    package struct Info: Sendable {
        package var mapSize: Int
        package var pageSize: Int
        package var lastPage: Int
        package var readersUsed: Int
        package var maxReaders: Int
        /// Bytes of the map in use.
        package var usedBytes: Int { (lastPage + 1) * pageSize }
    }

    /// Map and reader figures; nil once the environment is closed.
    package var info: Info? {
        gate.enter()
        defer { gate.leave() }
        return isClosed ? nil : unguardedInfo
    }

    /// Call with the gate held.
    private var unguardedInfo: Info {
        var i = MDB_envinfo()
        mdb_env_info(env, &i)
        var s = MDB_stat()
        mdb_env_stat(env, &s)
        return Info(
            mapSize: i.me_mapsize, pageSize: Int(s.ms_psize), lastPage: i.me_last_pgno,
            readersUsed: Int(i.me_numreaders), maxReaders: Int(i.me_maxreaders))
    }

    /// Flushes buffers to disk, even when the environment was opened without sync.
    package func sync() throws {
        try lmdbCheck(mdb_env_sync(env, 1))
    }

    /// Writes a consistent copy of the environment into the empty directory `directory`,
    /// compacting it (free pages omitted) when asked. Safe while writers run.
    package func copy(to directory: String, compact: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        gate.enter()
        defer { gate.leave() }
        guard !isClosed else { throw LMDBError.closed }
        try lmdbCheck(mdb_env_copy2(env, directory, compact ? UInt32(MDB_CP_COMPACT) : 0))
    }
}
