import CLMDB
import Foundation
import Testing

@testable import CairnStore

@Suite("Merkle tree over the log (RFC 9162)")
struct MerkleTreeTests {
    /// The tree as RFC 9162 §2.1.1 defines it, straight from the record hashes.
    static func referenceRoot(_ entries: ArraySlice<SHA256Digest>) -> SHA256Digest {
        switch entries.count {
        case 0: return SHA256Digest(emptyTree: ())
        case 1: return MerkleTree.leafHash(entries.first!)
        default:
            let k = MerkleReader.largestPowerOfTwo(below: UInt64(entries.count))
            let split = entries.startIndex + Int(k)
            return MerkleTree.nodeHash(referenceRoot(entries[..<split]), referenceRoot(entries[split...]))
        }
    }

    /// Appends `count` events in uneven batches (so blocks complete across commits) and returns
    /// every record's chain hash.
    static func fill(_ log: EventLog, _ count: Int) async throws -> [SHA256Digest] {
        var appended = 0
        var size = 1
        while appended < count {
            let n = min(size, count - appended)
            try await log.append((0..<n).map { _ in event() }, to: "s-\(appended % 7)")
            appended += n
            size = size % 23 + 3
        }
        return try log.read(from: 1, limit: count).events.map(\.hash)
    }

    @Test("Hashing follows RFC 9162: 0x00 before a leaf, 0x01 before two nodes, SHA-256 of nothing for no leaves")
    func hashing() {
        let leaf = MerkleTree.leafHash(.zero)
        #expect(leaf.hex == "7f9c9e31ac8256ca2f258583df262dbc7d6f68f2a03043d5c99a4ae5a7396ce9")
        #expect(MerkleTree.nodeHash(leaf, leaf).hex == "a4b8c7873a49d5d53af0b2a0202486483020d95935d763edc4ef2f602200d8de")
        #expect(SHA256Digest(emptyTree: ()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("The root at every size matches the RFC's definition, and proofs of inclusion and consistency check out")
    func rootsAndProofs() async throws {
        try await withLog { log, _ in
            let hashes = try await Self.fill(log, 300)
            #expect(try log.treeHead(size: 0).rootHash == SHA256Digest(emptyTree: ()))
            var roots: [UInt64: SHA256Digest] = [:]
            for size in 1...300 {
                let head = try log.treeHead(size: UInt64(size))
                #expect(head.rootHash == Self.referenceRoot(hashes[..<size]), "size \(size)")
                roots[UInt64(size)] = head.rootHash
            }
            #expect(try log.treeHead() == TreeHead(treeSize: 300, rootHash: roots[300]!))
            for size in [1, 2, 3, 15, 16, 17, 31, 32, 33, 64, 100, 255, 256, 257, 300] {
                for position in Set([1, 2, size / 2 + 1, size - 1, size].filter { $0 >= 1 && $0 <= size }) {
                    let proof = try log.inclusionProof(position: UInt64(position), treeSize: UInt64(size))
                    #expect(proof.recordHash == hashes[position - 1])
                    #expect(proof.verify(root: roots[UInt64(size)]!), "position \(position) of \(size)")
                    if size > 1 {
                        #expect(!proof.verify(root: roots[UInt64(size - 1)]!))
                        var wrongLeaf = proof
                        wrongLeaf.recordHash = hashes[position % size]
                        #expect(!wrongLeaf.verify(root: roots[UInt64(size)]!))
                        var wrongPath = proof
                        wrongPath.path[0] = MerkleTree.leafHash(wrongPath.path[0])
                        #expect(!wrongPath.verify(root: roots[UInt64(size)]!))
                    }
                }
                for first in Set([1, 2, 7, 16, size / 2, size - 1, size].filter { $0 >= 1 && $0 <= size }) {
                    let proof = try log.consistencyProof(from: UInt64(first), to: UInt64(size))
                    #expect(proof.verify(firstRoot: roots[UInt64(first)]!, secondRoot: roots[UInt64(size)]!), "\(first) → \(size)")
                    if first < size {
                        #expect(!proof.verify(firstRoot: roots[UInt64(size)]!, secondRoot: roots[UInt64(size)]!))
                    }
                }
            }
        }
    }

    @Test("Sizes and positions beyond the head are refused with out_of_range")
    func outOfRange() async throws {
        try await withLog { log, _ in
            _ = try await Self.fill(log, 20)
            for attempt in [
                { _ = try log.treeHead(size: 21) }, { _ = try log.inclusionProof(position: 0) },
                { _ = try log.inclusionProof(position: 21) }, { _ = try log.inclusionProof(position: 5, treeSize: 4) },
                { _ = try log.consistencyProof(from: 10, to: 5) },
            ] as [() throws -> Void] {
                #expect { try attempt() } throws: { ($0 as? EventLogError)?.code == .outOfRange }
            }
        }
    }

    @Test("A log written before the tree existed gets it on its first commit, and is correct before that")
    func existingLogsGainTheTree() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let log = try EventLog(directory: path)
            let hashes = try await Self.fill(log, 100)
            await log.close()
            // Remove the tree, as in a log written by an earlier version.
            let env = try LMDBEnvironment(path: path)
            let merkle = try env.database("merkle")
            let meta = try env.database("meta")
            try env.write { txn in
                try lmdbCheck(mdb_drop(txn.handle, merkle.dbi, 0))
                _ = try txn.delete(meta, MerkleNodes.foldedKey)
            }
            env.close()

            let reopened = try EventLog(directory: path)
            #expect(try reopened.treeHead().rootHash == Self.referenceRoot(hashes[...]))
            try await reopened.append([event()], to: "s-1")
            let stored = try reopened.env.read { txn in try txn.count(reopened.dbs.merkle!) }
            #expect(stored == 100 / 16 + 100 / 32 + 100 / 64)
            let proof = try reopened.inclusionProof(position: 40, treeSize: 100)
            #expect(proof.verify(root: Self.referenceRoot(hashes[...])))
            await reopened.close()
        }
    }

    @Test("verify checks the tree against the chain and names the first records under a changed node")
    func verifyChecksTheTree() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let log = try EventLog(directory: path)
            _ = try await Self.fill(log, 200)
            #expect(try await log.verify(full: true).isIntact)
            await log.close()
            for (level, index, first) in [(UInt8(4), UInt64(5), UInt64(81)), (UInt8(6), UInt64(1), UInt64(65))] {
                let env = try LMDBEnvironment(path: path)
                let merkle = try env.database("merkle")
                try env.write { txn in
                    try txn.put(merkle, MerkleNodes.key(level: level, index: index), Array(repeating: 7, count: 32))
                }
                env.close()
                let reopened = try EventLog(directory: path)
                let report = try await reopened.verify(full: true)
                #expect(report.firstBadPosition == first)
                #expect(report.problem?.contains("Merkle") == true)
                // Put it right again for the next case.
                let root = try reopened.env.read { txn in
                    try MerkleReader(nodes: reopened.dbs.merkleNodes!).subtree(level: 0, index: 0, txn)
                }
                #expect(root == MerkleTree.leafHash(try #require(try reopened.event(at: 1)).hash))
                await reopened.close()
                let repair = try LMDBEnvironment(path: path)
                let repairMerkle = try repair.database("merkle")
                let meta = try repair.database("meta")
                try repair.write { txn in
                    try lmdbCheck(mdb_drop(txn.handle, repairMerkle.dbi, 0))
                    _ = try txn.delete(meta, MerkleNodes.foldedKey)
                }
                repair.close()
                let rebuilt = try EventLog(directory: path)
                try await rebuilt.append([event()], to: "s-0")
                #expect(try await rebuilt.verify(full: true).isIntact)
                await rebuilt.close()
            }
        }
    }

    @Test("Signed tree heads: Ed25519 over size, time and root; any change fails; kept in the log; keys in PEM files")
    func signedTreeHeads() async throws {
        try await withTemporaryDirectory { dir in
            let (signer, created) = try TreeHeadSigner.load(orCreateAt: dir + "/keys/tree-signing.pem")
            #expect(created)
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/keys/tree-signing.pem")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let (again, createdAgain) = try TreeHeadSigner.load(orCreateAt: dir + "/keys/tree-signing.pem")
            #expect(!createdAgain)
            #expect(again.publicKey == signer.publicKey)
            #expect(throws: SigningKeyError.self) {
                try TreeHeadSigner(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            }

            let log = try EventLog(directory: dir + "/log")
            let hashes = try await Self.fill(log, 50)
            let first = try await log.signTreeHead(with: signer)
            #expect(first.treeSize == 50)
            #expect(first.rootHash == Self.referenceRoot(hashes[...]))
            #expect(first.keyId == signer.keyId)
            #expect(first.verify(publicKey: signer.publicKey))
            #expect(!first.verify(publicKey: try TreeHeadSigner.generate().publicKey))
            for change in [
                { (h: inout SignedTreeHead) in h.treeSize += 1 }, { $0.rootHash = .zero },
                { $0.timestamp = Timestamp(microsecondsSinceEpoch: $0.timestamp.microsecondsSinceEpoch + 1) },
                { $0.signature[10] ^= 1 },
            ] as [(inout SignedTreeHead) -> Void] {
                var altered = first
                change(&altered)
                #expect(!altered.verify(publicKey: signer.publicKey))
            }
            _ = try await Self.fill(log, 30)
            let second = try await log.signTreeHead(with: signer)
            #expect(second.treeSize == 80)
            #expect(try log.signedTreeHeads() == [first, second])
            #expect(try log.latestSignedTreeHead() == second)
            // A record of the first head is provably in the second, and the second extends the first.
            #expect(try log.inclusionProof(position: 17, treeSize: second.treeSize).verify(root: second.rootHash))
            #expect(
                try log.consistencyProof(from: first.treeSize, to: second.treeSize).verify(
                    firstRoot: first.rootHash, secondRoot: second.rootHash))
            await log.close()

            var options = EventLog.Options()
            options.readOnly = true
            let reader = try EventLog(directory: dir + "/log", options: options)
            #expect(try reader.latestSignedTreeHead() == second)
            await #expect { _ = try await reader.signTreeHead(with: signer) } throws: { ($0 as? EventLogError)?.code == .readOnly }
            await reader.close()
        }
    }
}
