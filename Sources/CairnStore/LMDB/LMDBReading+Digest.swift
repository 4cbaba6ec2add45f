extension LMDBReading where Self: ~Copyable {
    /// SHA-256 over the content of `databases`, in the order given, each walked in key order.
    ///
    /// Everything is length-framed, so no two different contents share a byte stream:
    /// for each database `u32 name length ‖ name ‖ u64 entry count`, then per entry
    /// `u32 key length ‖ key ‖ u32 value length ‖ value` (integers big-endian). Two environments
    /// holding the same entries give the same digest whatever their page layout or history.
    package func contentDigest(of databases: [(name: String, database: LMDBDatabase)]) throws -> SHA256Digest {
        let hasher = SHA256Hasher()
        hasher.begin()
        func feed(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }
        func feed<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { feed($0) }
        }
        for (name, database) in databases {
            let utf8 = Array(name.utf8)
            feed(UInt32(utf8.count))
            utf8.withUnsafeBytes { feed($0) }
            feed(UInt64(try count(database)))
            let cursor = try cursor(database)
            var entry = try cursor.first()
            while let current = entry {
                feed(UInt32(current.key.count))
                feed(current.key)
                feed(UInt32(current.value.count))
                feed(current.value)
                entry = try cursor.next()
            }
        }
        return hasher.finish()
    }
}
