/// The outcome of walking the hash chain.
public struct VerificationReport: Sendable, Equatable {
    /// The first position checked (after the remembered verified prefix when resuming).
    public var checkedFrom: UInt64
    /// Every position up to this one is intact.
    public var verifiedThrough: UInt64
    /// Records checked in this run.
    public var recordsChecked: UInt64
    /// The first position whose record, hash or place in the chain is wrong.
    public var firstBadPosition: UInt64?
    /// What is wrong there.
    public var problem: String?

    public var isIntact: Bool { firstBadPosition == nil }
}

extension EventLog {
    private static let verifiedKey = Array("verified".utf8)

    /// Walks the chain: every record must sit at its own position with no gap, and its hash
    /// must equal SHA-256(previous hash ‖ canonical bytes). Resumes after the prefix verified
    /// last time unless `full`; remembers how far it got when everything checked out (unless
    /// the log was opened read-only).
    public func verify(
        full: Bool = false, progress: (@Sendable (_ checked: UInt64, _ head: UInt64) -> Void)? = nil
    ) async throws -> VerificationReport {
        let head = try self.head()
        var previous = SHA256Digest.zero
        var position: UInt64 = 0
        if !full, let remembered = try verifiedPrefix() {
            position = remembered.position
            previous = remembered.hash
            let stored = try event(at: position)
            guard stored?.hash == remembered.hash else {
                return VerificationReport(
                    checkedFrom: position, verifiedThrough: position - 1, recordsChecked: 0, firstBadPosition: position,
                    problem: "the record at \(position) no longer has the hash it had when it was verified")
            }
        }
        let checkedFrom = position + 1
        let chunk: UInt64 = 65_536
        while position < head {
            let end = min(head, position + chunk)
            let start = position
            let startHash = previous
            let outcome: (UInt64, SHA256Digest, String?) = try env.read { txn in
                let hasher = SHA256Hasher()
                var at = start
                var hash = startHash
                let cursor = try txn.cursor(dbs.events)
                var entry = try cursor.seek(atLeast: start + 1)
                while at < end {
                    guard let current = entry else { return (at, hash, "position \(at + 1) is missing: the log ends at \(at)") }
                    let key = current.key.loadBigEndian(at: 0, as: UInt64.self)
                    guard key == at + 1 else { return (at, hash, "position \(at + 1) is missing: the next stored is \(key)") }
                    do { _ = try RecordLayout(current.value) } catch { return (at, hash, "record is malformed: \(error)") }
                    let record = current.value
                    guard record.loadBigEndian(at: RecordLayout.positionOffset, as: UInt64.self) == key else {
                        return (at, hash, "record claims another position")
                    }
                    let canonical = UnsafeRawBufferPointer(rebasing: record[..<(record.count - RecordLayout.hashSize)])
                    let expected = hasher.link(hash, canonical)
                    let stored = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: record[(record.count - RecordLayout.hashSize)...]))
                    guard expected == stored else {
                        return (at, hash, "hash mismatch: stored \(stored.hex), computed \(expected.hex)")
                    }
                    hash = expected
                    at = key
                    entry = try cursor.next()
                }
                return (at, hash, nil)
            }
            position = outcome.0
            previous = outcome.1
            if let problem = outcome.2 {
                return VerificationReport(
                    checkedFrom: checkedFrom, verifiedThrough: position, recordsChecked: position + 1 - checkedFrom,
                    firstBadPosition: position + 1, problem: problem)
            }
            progress?(position, head)
        }
        if let problem = try verifyTree(fromPosition: checkedFrom) {
            return VerificationReport(
                checkedFrom: checkedFrom, verifiedThrough: problem.position - 1,
                recordsChecked: position + 1 - checkedFrom, firstBadPosition: problem.position, problem: problem.message)
        }
        if position > 0 && !isReadOnly {
            let value = [UInt8].bigEndian(position) + previous.bytes
            let dbs = self.dbs
            try await perform { txn in try txn.put(dbs.meta, Self.verifiedKey, value) }
        }
        return VerificationReport(
            checkedFrom: checkedFrom, verifiedThrough: position, recordsChecked: position + 1 - checkedFrom,
            firstBadPosition: nil, problem: nil)
    }

    /// Recomputes the stored Merkle nodes of every block from the one holding `fromPosition`
    /// on, from the (already verified) record hashes, and every parent those blocks complete
    /// (from its stored left sibling, checked by an earlier block or run). Returns the first
    /// block whose subtree disagrees with the chain.
    private func verifyTree(fromPosition: UInt64) throws -> (position: UInt64, message: String)? {
        guard let nodes = dbs.merkleNodes else { return nil }
        let blockSize = MerkleNodes.blockSize
        let chunkBlocks: UInt64 = 4096
        var block = (max(fromPosition, 1) - 1) / blockSize
        while true {
            let outcome: (next: UInt64?, problem: (UInt64, String)?) = try env.read { txn in
                let folded = try nodes.foldedLeaves(txn)
                let hasher = SHA256Hasher()
                let end = min(folded / blockSize, block + chunkBlocks)
                guard block < end else { return (nil, nil) }
                let cursor = try txn.cursor(dbs.events)
                var entry = try cursor.seek(atLeast: block * blockSize + 1)
                for index in block..<end {
                    var leaves: [SHA256Digest] = []
                    for _ in 0..<blockSize {
                        guard let current = entry else { return (nil, (index * blockSize + 1, "records of a Merkle block are missing")) }
                        let stored = SHA256Digest(
                            bytes: UnsafeRawBufferPointer(rebasing: current.value[(current.value.count - RecordLayout.hashSize)...]))
                        leaves.append(MerkleTree.leafHash(stored, hasher))
                        entry = try cursor.next()
                    }
                    var computed = MerkleTree.completeRoot(leaves, hasher)
                    var level = MerkleNodes.blockLevel
                    var at = index
                    while true {
                        guard let stored = try nodes.stored(level: level, index: at, txn), stored == computed else {
                            let first = (at << UInt64(level)) + 1
                            return (
                                nil,
                                (first, "the Merkle tree disagrees with the chain: node \(level)/\(at), over the records from \(first)")
                            )
                        }
                        guard at & 1 == 1, let left = try nodes.stored(level: level, index: at - 1, txn) else { break }
                        computed = MerkleTree.nodeHash(left, computed, hasher)
                        level += 1
                        at >>= 1
                    }
                }
                return (end, nil)
            }
            if let problem = outcome.problem { return problem }
            guard let next = outcome.next else { return nil }
            block = next
        }
    }

    /// The prefix a previous verification found intact.
    public func verifiedPrefix() throws -> (position: UInt64, hash: SHA256Digest)? {
        try env.read { txn in
            guard let raw = try txn.get(dbs.meta, Self.verifiedKey), raw.count == 40 else { return nil }
            return (raw.loadBigEndian(at: 0, as: UInt64.self), SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: raw[8...])))
        }
    }
}
