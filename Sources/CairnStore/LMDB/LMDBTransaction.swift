import CLMDB

/// A named LMDB database (a B-tree) inside an environment.
package struct LMDBDatabase: Sendable {
    let dbi: MDB_dbi
}

/// Operations every transaction offers. Transactions are non-copyable and are only handed to
/// synchronous closures, so they can neither be copied, escape, nor live across an `await`
/// (a Swift task may resume on another thread; an LMDB transaction must not).
package protocol LMDBReading: ~Copyable {
    var handle: OpaquePointer { get }
}

extension LMDBReading where Self: ~Copyable {
    /// The value stored under `key`, valid only until the transaction ends.
    package func get(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc)
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    package func get(_ db: LMDBDatabase, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { (k) in try get(db, k) }
    }

    package func get(_ db: LMDBDatabase, _ key: UInt64) throws -> UnsafeRawBufferPointer? {
        try withUnsafeBytes(of: key.bigEndian) { (k) in try get(db, k) }
    }

    package func cursor(_ db: LMDBDatabase) throws -> LMDBCursor {
        var raw: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(handle, db.dbi, &raw))
        return LMDBCursor(raw: raw!)
    }

    /// Entries in the database.
    package func count(_ db: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(handle, db.dbi, &stat))
        return stat.ms_entries
    }
}

/// A read-only snapshot of the environment.
package struct LMDBReadTransaction: LMDBReading, ~Copyable {
    package let handle: OpaquePointer
}

/// The one write transaction of the environment.
package struct LMDBWriteTransaction: LMDBReading, ~Copyable {
    package let handle: OpaquePointer

    package func put(
        _ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, flags: UInt32 = 0
    ) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try lmdbCheck(mdb_put(handle, db.dbi, &k, &v, flags))
    }

    package func put(_ db: LMDBDatabase, _ key: [UInt8], _ value: [UInt8], flags: UInt32 = 0) throws {
        try key.withUnsafeBytes { (k) in
            try value.withUnsafeBytes { (v) in try put(db, k, v, flags: flags) }
        }
    }

    /// Stores `value` under `key` unless the key is there already, and then hands back the
    /// value stored instead (valid until the transaction's next write): a get and a put in one
    /// descent of the tree.
    package func insert(_ db: LMDBDatabase, _ key: [UInt8], _ value: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var key = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var data = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                let rc = mdb_put(handle, db.dbi, &key, &data, UInt32(MDB_NOOVERWRITE))
                if rc == MDB_KEYEXIST { return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size) }
                try lmdbCheck(rc)
                return nil
            }
        }
    }

    /// Reserves `size` bytes for `key` and returns them to be filled in before the next write.
    package func reserve(
        _ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, size: Int, flags: UInt32 = 0
    ) throws -> UnsafeMutableRawBufferPointer {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: size, mv_data: nil)
        try lmdbCheck(mdb_put(handle, db.dbi, &k, &v, flags | UInt32(MDB_RESERVE)))
        return UnsafeMutableRawBufferPointer(start: v.mv_data, count: size)
    }

    @discardableResult
    package func delete(_ db: LMDBDatabase, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { (kb) throws -> Bool in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            let rc = mdb_del(handle, db.dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try lmdbCheck(rc)
            return true
        }
    }

    /// Removes every entry of the database, keeping the database itself.
    package func clear(_ db: LMDBDatabase) throws {
        try lmdbCheck(mdb_drop(handle, db.dbi, 0))
    }
}

/// A cursor over one database; closed when it goes out of scope, which is always before its
/// transaction ends because both live inside the transaction's closure.
package struct LMDBCursor: ~Copyable {
    let raw: OpaquePointer

    deinit { mdb_cursor_close(raw) }

    package typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    private func op(_ operation: MDB_cursor_op, _ key: inout MDB_val) throws -> Entry? {
        var v = MDB_val()
        let rc = mdb_cursor_get(raw, &key, &v, operation)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc)
        return (
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        )
    }

    package func first() throws -> Entry? { var k = MDB_val(); return try op(MDB_FIRST, &k) }
    package func last() throws -> Entry? { var k = MDB_val(); return try op(MDB_LAST, &k) }
    package func next() throws -> Entry? { var k = MDB_val(); return try op(MDB_NEXT, &k) }
    package func previous() throws -> Entry? { var k = MDB_val(); return try op(MDB_PREV, &k) }

    /// Positions at the first key greater than or equal to `key`.
    package func seek(atLeast key: UnsafeRawBufferPointer) throws -> Entry? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        return try op(MDB_SET_RANGE, &k)
    }

    package func seek(atLeast key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { (k) in try seek(atLeast: k) }
    }

    package func seek(atLeast key: UInt64) throws -> Entry? {
        try withUnsafeBytes(of: key.bigEndian) { (k) in try seek(atLeast: k) }
    }
}
