import CLMDB

/// A failed LMDB call, carrying LMDB's own result code.
///
/// Match the conditions callers act on by value:
/// ```swift
/// do { try env.write { … } } catch LMDBError.mapFull { … }
/// ```
package struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LMDB's result code (`MDB_*`) or an `errno` value.
    package let code: Int32

    package init(code: Int32) { self.code = code }

    package static let notFound = LMDBError(code: MDB_NOTFOUND)
    package static let keyExists = LMDBError(code: MDB_KEYEXIST)
    package static let mapFull = LMDBError(code: MDB_MAP_FULL)
    package static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    package static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    package static let readersFull = LMDBError(code: MDB_READERS_FULL)
    package static let corrupted = LMDBError(code: MDB_CORRUPTED)
    package static let invalid = LMDBError(code: MDB_INVALID)
    /// The environment was closed (`EBADF`).
    package static let closed = LMDBError(code: 9)

    package var description: String {
        "LMDB error \(code): \(String(cString: mdb_strerror(code)))"
    }

    /// Lets `catch LMDBError.mapFull` match any thrown error by code.
    package static func ~= (pattern: LMDBError, error: any Error) -> Bool {
        (error as? LMDBError) == pattern
    }
}

@inline(__always)
func lmdbCheck(_ rc: Int32) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc) }
}
