/// RFC 9162 Merkle tree hashing over the log's record hashes, and the checks anyone can run on
/// its proofs with nothing but the proof, the record hash and a tree head.
///
/// Leaf `m` (0-based) is the record at position `m + 1`; its entry is the record's 32-byte
/// chain hash, so the tree commits to the same bytes the chain does — for an erased subject,
/// the ciphertext — and erasure never breaks it.
public enum MerkleTree {
    /// `SHA-256(0x00 ‖ entry)`.
    public static func leafHash(_ entry: SHA256Digest) -> SHA256Digest {
        let hasher = SHA256Hasher()
        return leafHash(entry, hasher)
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        let hasher = SHA256Hasher()
        return nodeHash(left, right, hasher)
    }

    static func leafHash(_ entry: SHA256Digest, _ hasher: borrowing SHA256Hasher) -> SHA256Digest {
        var prefix: UInt8 = 0
        return withUnsafeBytes(of: &prefix) { p in entry.withUnsafeBytes { hasher.digest(p, $0) } }
    }

    static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest, _ hasher: borrowing SHA256Hasher) -> SHA256Digest {
        var prefix: UInt8 = 1
        return withUnsafeBytes(of: &prefix) { p in
            left.withUnsafeBytes { l in right.withUnsafeBytes { r in hasher.digest(p, l, r) } }
        }
    }

    /// The root of a complete subtree from its leaf hashes (a power of two of them), pairing
    /// neighbours level by level.
    static func completeRoot(_ leaves: [SHA256Digest], _ hasher: borrowing SHA256Hasher) -> SHA256Digest {
        var level = leaves
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { nodeHash(level[$0], level[$0 + 1], hasher) }
        }
        return level[0]
    }

    /// RFC 9162 §2.1.3.2: whether `path` proves that the leaf with `leafHash` is number
    /// `index` of the tree of `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: SHA256Digest, index: UInt64, treeSize: UInt64, path: [SHA256Digest], root: SHA256Digest
    ) -> Bool {
        guard index < treeSize else { return false }
        let hasher = SHA256Hasher()
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r, hasher)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                r = nodeHash(r, p, hasher)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `secondSize` leaves with root
    /// `secondRoot` extends the tree of `firstSize` leaves with root `firstRoot`.
    public static func verifyConsistency(
        firstSize: UInt64, secondSize: UInt64, proof: [SHA256Digest], firstRoot: SHA256Digest, secondRoot: SHA256Digest
    ) -> Bool {
        guard firstSize <= secondSize else { return false }
        if firstSize == secondSize { return proof.isEmpty && firstRoot == secondRoot }
        if firstSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        let hasher = SHA256Hasher()
        var path = proof[...]
        // When the first tree is a complete subtree of the second, its root is the first node.
        if firstSize & (firstSize - 1) == 0 { path = [firstRoot] + path }
        var fn = firstSize - 1
        var sn = secondSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path.first!
        var sr = path.first!
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr, hasher)
                sr = nodeHash(c, sr, hasher)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                sr = nodeHash(sr, c, hasher)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == firstRoot && sr == secondRoot
    }
}

/// The tree's stored nodes: every complete subtree of at least ``blockSize`` leaves, kept in
/// the log environment's `merkle` database (`level ‖ index` → hash) and extended in the same
/// transaction as the appends that complete them. Smaller subtrees are hashed from the records
/// when needed (at most ``blockSize`` of them).
struct MerkleNodes {
    /// Leaves per stored block: level 4, so the stored nodes number about an eighth of the
    /// records.
    static let blockLevel: UInt8 = 4
    static let blockSize: UInt64 = 1 << 4
    static let foldedKey = Array("merkle.leaves".utf8)

    let nodes: LMDBDatabase
    let events: LMDBDatabase
    let meta: LMDBDatabase

    static func key(level: UInt8, index: UInt64) -> [UInt8] {
        var key: [UInt8] = [level]
        key.reserveCapacity(9)
        key.appendBigEndian(index)
        return key
    }

    /// Leaves already folded into stored blocks (a multiple of ``blockSize``).
    func foldedLeaves(_ txn: borrowing some LMDBReading & ~Copyable) throws -> UInt64 {
        try txn.get(meta, Self.foldedKey).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
    }

    func stored(level: UInt8, index: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws -> SHA256Digest? {
        try txn.get(nodes, Self.key(level: level, index: index)).map { SHA256Digest(bytes: $0) }
    }

    /// The chain hash of the record at `position`.
    func recordHash(_ position: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws -> SHA256Digest {
        guard let record = try txn.get(events, position), record.count >= RecordLayout.hashSize else {
            throw EventLogError(.corruptRecord, "no record at position \(position) for the Merkle tree", position: position)
        }
        return SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: record[(record.count - RecordLayout.hashSize)...]))
    }

    /// Stores the blocks (and the larger subtrees they complete) of every full block of leaves
    /// up to `head`. `recent` holds the chain hashes of the positions from `recentFrom` on, as
    /// the transaction just wrote them; older ones are read back.
    func extend(
        through head: UInt64, recentFrom: UInt64, recent: [SHA256Digest], _ txn: borrowing LMDBWriteTransaction,
        _ hasher: borrowing SHA256Hasher
    ) throws {
        let folded = try foldedLeaves(txn)
        let target = head / Self.blockSize * Self.blockSize
        guard target > folded else { return }
        var leaves: [SHA256Digest] = []
        leaves.reserveCapacity(Int(Self.blockSize))
        var block = folded / Self.blockSize
        var position = folded + 1
        while position <= target {
            let entry = position >= recentFrom ? recent[Int(position - recentFrom)] : try recordHash(position, txn)
            leaves.append(MerkleTree.leafHash(entry, hasher))
            if leaves.count == Int(Self.blockSize) {
                try store(MerkleTree.completeRoot(leaves, hasher), level: Self.blockLevel, index: block, txn, hasher)
                leaves.removeAll(keepingCapacity: true)
                block += 1
            }
            position += 1
        }
        try txn.put(meta, Self.foldedKey, .bigEndian(target))
    }

    /// Stores a node and every parent it completes (a right child completes its parent).
    private func store(
        _ hash: SHA256Digest, level: UInt8, index: UInt64, _ txn: borrowing LMDBWriteTransaction, _ hasher: borrowing SHA256Hasher
    ) throws {
        var hash = hash
        var level = level
        var index = index
        while true {
            try hash.withUnsafeBytes { bytes in
                try Self.key(level: level, index: index).withUnsafeBytes { try txn.put(nodes, $0, bytes) }
            }
            guard index & 1 == 1 else { return }
            guard let left = try stored(level: level, index: index - 1, txn) else {
                throw EventLogError(.corruptRecord, "Merkle node \(level)/\(index - 1) is missing")
            }
            hash = MerkleTree.nodeHash(left, hash, hasher)
            level += 1
            index >>= 1
        }
    }
}

/// Hashes of subtrees of the tree as one read transaction sees it.
struct MerkleReader: ~Copyable {
    let nodes: MerkleNodes
    let hasher = SHA256Hasher()

    /// The hash of the complete subtree with 2^`level` leaves starting at leaf
    /// `index × 2^level`: stored when it is a block or larger and already folded, else hashed
    /// from its halves.
    func subtree(level: UInt8, index: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws -> SHA256Digest {
        if level == 0 { return MerkleTree.leafHash(try nodes.recordHash(index + 1, txn), hasher) }
        if level >= MerkleNodes.blockLevel, let stored = try nodes.stored(level: level, index: index, txn) { return stored }
        let left = try subtree(level: level - 1, index: index * 2, txn)
        let right = try subtree(level: level - 1, index: index * 2 + 1, txn)
        return MerkleTree.nodeHash(left, right, hasher)
    }

    /// MTH(D[start : start + count]) (RFC 9162 §2.1.1).
    func hash(start: UInt64, count: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws -> SHA256Digest {
        precondition(count > 0)
        if count & (count - 1) == 0, start % count == 0 {
            return try subtree(level: UInt8(count.trailingZeroBitCount), index: start / count, txn)
        }
        let k = Self.largestPowerOfTwo(below: count)
        return MerkleTree.nodeHash(try hash(start: start, count: k, txn), try hash(start: start + k, count: count - k, txn), hasher)
    }

    /// PATH(m, D[start : start + count]) (RFC 9162 §2.1.3.1), leaf first.
    func inclusionPath(
        leaf m: UInt64, start: UInt64, count: UInt64, _ txn: borrowing some LMDBReading & ~Copyable
    ) throws -> [SHA256Digest] {
        guard count > 1 else { return [] }
        let k = Self.largestPowerOfTwo(below: count)
        if m < k {
            return try inclusionPath(leaf: m, start: start, count: k, txn) + [try hash(start: start + k, count: count - k, txn)]
        }
        return try inclusionPath(leaf: m - k, start: start + k, count: count - k, txn) + [try hash(start: start, count: k, txn)]
    }

    /// SUBPROOF(m, D[start : start + count], b) (RFC 9162 §2.1.4.1).
    func consistencyPath(
        first m: UInt64, start: UInt64, count: UInt64, complete b: Bool, _ txn: borrowing some LMDBReading & ~Copyable
    ) throws -> [SHA256Digest] {
        if m == count { return b ? [] : [try hash(start: start, count: count, txn)] }
        let k = Self.largestPowerOfTwo(below: count)
        if m <= k {
            return try consistencyPath(first: m, start: start, count: k, complete: b, txn)
                + [try hash(start: start + k, count: count - k, txn)]
        }
        return try consistencyPath(first: m - k, start: start + k, count: count - k, complete: false, txn)
            + [try hash(start: start, count: k, txn)]
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        1 << (63 - UInt64((n - 1).leadingZeroBitCount))
    }
}
