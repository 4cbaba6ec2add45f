/// The root of the log's Merkle tree at one size.
public struct TreeHead: Sendable, Hashable {
    public var treeSize: UInt64
    public var rootHash: SHA256Digest

    public init(treeSize: UInt64, rootHash: SHA256Digest) {
        self.treeSize = treeSize
        self.rootHash = rootHash
    }
}

/// Proof that the record at `position` is leaf `position - 1` of the tree of `treeSize` leaves.
public struct InclusionProof: Sendable, Hashable {
    public var position: UInt64
    public var treeSize: UInt64
    /// The record's chain hash: the leaf's entry.
    public var recordHash: SHA256Digest
    /// Sibling hashes from the leaf up (RFC 9162 inclusion path).
    public var path: [SHA256Digest]

    public init(position: UInt64, treeSize: UInt64, recordHash: SHA256Digest, path: [SHA256Digest]) {
        self.position = position
        self.treeSize = treeSize
        self.recordHash = recordHash
        self.path = path
    }

    /// Whether the proof ties the record hash to `root`, a tree head of ``treeSize`` leaves.
    public func verify(root: SHA256Digest) -> Bool {
        position >= 1
            && MerkleTree.verifyInclusion(
                leafHash: MerkleTree.leafHash(recordHash), index: position - 1, treeSize: treeSize, path: path, root: root)
    }
}

/// Proof that the tree of `secondSize` leaves extends the tree of `firstSize` leaves.
public struct ConsistencyProof: Sendable, Hashable {
    public var firstSize: UInt64
    public var secondSize: UInt64
    public var path: [SHA256Digest]

    public init(firstSize: UInt64, secondSize: UInt64, path: [SHA256Digest]) {
        self.firstSize = firstSize
        self.secondSize = secondSize
        self.path = path
    }

    public func verify(firstRoot: SHA256Digest, secondRoot: SHA256Digest) -> Bool {
        MerkleTree.verifyConsistency(
            firstSize: firstSize, secondSize: secondSize, proof: path, firstRoot: firstRoot, secondRoot: secondRoot)
    }
}

extension EventLog {
    /// The tree head at `size` leaves (the head when nil).
    public func treeHead(size: UInt64? = nil) throws -> TreeHead {
        try withTree { reader, head, txn in
            let size = try Self.checkedSize(size ?? head, head: head, allowingEmpty: true)
            guard size > 0 else { return TreeHead(treeSize: 0, rootHash: SHA256Digest(emptyTree: ())) }
            return TreeHead(treeSize: size, rootHash: try reader.hash(start: 0, count: size, txn))
        }
    }

    /// Proof that the record at `position` is in the tree of `treeSize` leaves (the head when nil).
    public func inclusionProof(position: UInt64, treeSize: UInt64? = nil) throws -> InclusionProof {
        try withTree { reader, head, txn in
            let size = try Self.checkedSize(treeSize ?? head, head: head, allowingEmpty: false)
            guard position >= 1, position <= size else {
                throw EventLogError(.outOfRange, "position \(position) is not in a tree of \(size) records", position: position)
            }
            return InclusionProof(
                position: position, treeSize: size, recordHash: try reader.nodes.recordHash(position, txn),
                path: try reader.inclusionPath(leaf: position - 1, start: 0, count: size, txn))
        }
    }

    /// Proof that the tree of `secondSize` leaves (the head when nil) extends that of `firstSize`.
    public func consistencyProof(from firstSize: UInt64, to secondSize: UInt64? = nil) throws -> ConsistencyProof {
        try withTree { reader, head, txn in
            let second = try Self.checkedSize(secondSize ?? head, head: head, allowingEmpty: true)
            guard firstSize <= second else {
                throw EventLogError(.outOfRange, "a tree of \(firstSize) records cannot precede one of \(second)")
            }
            let path =
                firstSize == 0 || firstSize == second
                ? [] : try reader.consistencyPath(first: firstSize, start: 0, count: second, complete: true, txn)
            return ConsistencyProof(firstSize: firstSize, secondSize: second, path: path)
        }
    }

    private static func checkedSize(_ size: UInt64, head: UInt64, allowingEmpty: Bool) throws -> UInt64 {
        guard size <= head, allowingEmpty || size > 0 else {
            throw EventLogError(.outOfRange, "the log holds \(head) records; there is no tree of \(size)")
        }
        return size
    }

    private func withTree<T>(_ body: (borrowing MerkleReader, UInt64, borrowing LMDBReadTransaction) throws -> T) throws -> T {
        guard let nodes = dbs.merkleNodes else {
            throw EventLogError(
                .storage, "this log was written before it kept a Merkle tree; open it writable once to build the tree")
        }
        return try env.read { txn in
            let reader = MerkleReader(nodes: nodes)
            return try body(reader, try dbs.lastPosition(txn), txn)
        }
    }
}

extension SHA256Digest {
    /// MTH({}) = SHA-256 of nothing (RFC 9162 §2.1.1).
    init(emptyTree: Void) {
        let hasher = SHA256Hasher()
        self = hasher.digest()
    }
}
