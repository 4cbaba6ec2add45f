import CLMDB
import Foundation

/// The log's databases inside its LMDB environment.
struct LogDatabases: Sendable {
    /// position (u64 BE) → record
    let events: LMDBDatabase
    /// stream ‖ 0x00 ‖ version (u64 BE) → position (u64 BE)
    let streams: LMDBDatabase
    /// stream → current version (u64 BE)
    let heads: LMDBDatabase
    /// event id (16 bytes) → position (u64 BE)
    let ids: LMDBDatabase
    /// subject ‖ 0x00 ‖ position (u64 BE) → empty
    let subjects: LMDBDatabase
    /// named values: the verified prefix, the Merkle tree's folded leaves
    let meta: LMDBDatabase
    /// level (u8) ‖ index (u64 BE) → hash of a complete Merkle subtree of ≥ 16 leaves; nil in
    /// a log made before the tree existed and opened read-only (a writable open builds it)
    let merkle: LMDBDatabase?
    /// tree size (u64 BE) → signed tree head (root ‖ time ‖ signature ‖ key id); nil like `merkle`
    let treeHeads: LMDBDatabase?

    init(_ env: LMDBEnvironment) throws {
        events = try env.database("events")
        streams = try env.database("streams")
        heads = try env.database("heads")
        ids = try env.database("ids")
        subjects = try env.database("subjects")
        meta = try env.database("meta")
        merkle = env.isReadOnly ? try? env.database("merkle", create: false) : try env.database("merkle")
        treeHeads = env.isReadOnly ? try? env.database("treeheads", create: false) : try env.database("treeheads")
    }

    /// The Merkle tree's stored nodes, when the log has them.
    var merkleNodes: MerkleNodes? {
        merkle.map { MerkleNodes(nodes: $0, events: events, meta: meta) }
    }

    /// The last position stored in the snapshot `txn` sees (0 for an empty log).
    func lastPosition(_ txn: borrowing some LMDBReading & ~Copyable) throws -> UInt64 {
        try txn.cursor(events).last().map { $0.key.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
    }

    static func streamKey(_ stream: [UInt8], _ version: UInt64) -> [UInt8] {
        var key = stream
        key.reserveCapacity(stream.count + 9)
        key.append(0)
        key.appendBigEndian(version)
        return key
    }
}

/// Applies batches of appends inside one write transaction. Used only by the writer thread.
///
/// Everything it builds on — the last position, the last hash, the last `recordedAt`, stream
/// versions — is read from the transaction's own snapshot, so a second process appending to
/// the same log (LMDB serialises their transactions) cannot make it assign a position twice.
final class AppendEngine: @unchecked Sendable {
    private let env: LMDBEnvironment
    private let dbs: LogDatabases
    private let index: LogIndex
    private let clock: any WallClock
    private let hasher = SHA256Hasher()
    /// The head after the last commit, and how many events that commit appended.
    private(set) var head: UInt64 = 0
    private(set) var lastCommitEvents: UInt64 = 0

    init(env: LMDBEnvironment, dbs: LogDatabases, index: LogIndex, clock: any WallClock) {
        self.env = env
        self.dbs = dbs
        self.index = index
        self.clock = clock
    }

    /// What one transaction has written so far, consulted before the indexes.
    private struct Batch {
        var head: UInt64
        var hash: SHA256Digest
        var recordedAt: Timestamp
        var versions: [String: UInt64] = [:]
        var ids: [UUID: UInt64] = [:]
        var entries: [LogIndex.Entry] = []
        /// Chain hashes of the records written, in position order, for the Merkle tree.
        var hashes: [SHA256Digest] = []
    }

    /// Applies `jobs` — and those `joining` hands over while the transaction is open — in one
    /// transaction, and commits it with one sync. On return `jobs` holds every job applied, in
    /// order, matching the outcomes. Throws only when the transaction itself failed, in which
    /// case nothing changed.
    func commit(
        _ jobs: inout [LogWriter.Job], joining: (_ events: Int, _ bytes: Int) -> [LogWriter.Job]
    ) throws -> [Result<AppendResult?, any Error>] {
        let (results, batch, start) = try env.write { txn in
            let fold = jobs.contains { if case .fold = $0 { true } else { false } }
            let bounds = try index.prepareWrite(txn, fold: fold)
            var batch = Batch(head: bounds.head, hash: .zero, recordedAt: Timestamp(microsecondsSinceEpoch: 0))
            if let last = try txn.cursor(dbs.events).last() {
                let record = try RecordedEvent(record: Array(last.value))
                batch.hash = record.hash
                batch.recordedAt = record.recordedAt
            }
            // `recordedAt` never decreases along positions, even when the wall clock steps back.
            let now = max(clock.now(), batch.recordedAt)
            var results: [Result<AppendResult?, any Error>] = []
            results.reserveCapacity(jobs.count)
            var weight = (events: 0, bytes: 0)
            var next = 0
            while true {
                while next < jobs.count {
                    let job = jobs[next]
                    next += 1
                    weight.events += job.weight.events
                    weight.bytes += job.weight.bytes
                    switch job {
                    case .append(let appends, _):
                        do {
                            results.append(.success(try apply(appends, txn, &batch, now)))
                        } catch let error as EventLogError {
                            results.append(.failure(error))
                        }
                    case .perform(let body, _):
                        try body(txn)
                        results.append(.success(nil))
                    case .fold:
                        results.append(.success(nil))
                    }
                }
                let joined = joining(weight.events, weight.bytes)
                if joined.isEmpty { break }
                jobs += joined
            }
            // The tree's blocks that these records complete (and, once, the whole tree of a log
            // written before it existed) are stored with them.
            try dbs.merkleNodes?.extend(through: batch.head, recentFrom: bounds.head + 1, recent: batch.hashes, txn, hasher)
            return (results, batch, bounds.head)
        }
        index.committed(batch.entries)
        lastCommitEvents = batch.head - start
        head = batch.head
        return results
    }

    /// One append. Refusals (`EventLogError`) are decided before anything is written; LMDB
    /// errors propagate and abort the whole transaction.
    private func apply(
        _ appends: [StreamAppend], _ txn: borrowing LMDBWriteTransaction, _ batch: inout Batch, _ now: Timestamp
    ) throws -> AppendResult {
        if let replay = try storedResult(of: appends, txn, batch) { return replay }

        var versions: [UInt64] = []
        versions.reserveCapacity(appends.count)
        for append in appends {
            let current = try batch.versions[append.stream] ?? index.streamVersion(append.stream, txn)
            guard append.expectedVersion.admits(current) else {
                throw EventLogError(
                    .wrongExpectedVersion,
                    "stream \(append.stream) is at version \(current); the append expected \(append.expectedVersion)",
                    stream: append.stream, actualVersion: current)
            }
            versions.append(current)
        }

        var positions: [UInt64] = []
        positions.reserveCapacity(appends.reduce(0) { $0 + $1.events.count })
        var streamVersions: [String: UInt64] = [:]
        for (append, start) in zip(appends, versions) {
            var version = start
            for event in append.events {
                version += 1
                batch.head += 1
                let position = batch.head
                let encoder = RecordEncoder(stream: append.stream, event: event)
                let record = try withUnsafeBytes(of: position.bigEndian) { key in
                    try txn.reserve(dbs.events, key, size: encoder.recordSize, flags: UInt32(MDB_APPEND))
                }
                encoder.encode(into: record, position: position, version: version, recordedAt: now)
                let canonical = UnsafeRawBufferPointer(rebasing: record[..<(record.count - RecordLayout.hashSize)])
                batch.hash = hasher.link(batch.hash, canonical)
                batch.hash.withUnsafeBytes {
                    UnsafeMutableRawBufferPointer(rebasing: record[(record.count - RecordLayout.hashSize)...]).copyMemory(from: $0)
                }
                batch.hashes.append(batch.hash)
                batch.ids[event.id] = position
                batch.entries.append(
                    LogIndex.Entry(
                        position: position, stream: append.stream, version: version, id: event.id, subject: event.subject))
                positions.append(position)
            }
            guard !append.events.isEmpty else { continue }
            batch.versions[append.stream] = version
            streamVersions[append.stream] = version
        }
        batch.recordedAt = now
        return AppendResult(positions: positions, streamVersions: streamVersions, wasAlreadyStored: false)
    }

    /// When the append's event ids are already stored with the same content, the original
    /// result (an idempotent retry); when some are stored or differ, a conflict; else nil.
    private func storedResult(
        of appends: [StreamAppend], _ txn: borrowing LMDBWriteTransaction, _ batch: Batch
    ) throws -> AppendResult? {
        var found: [(StreamAppend, NewEvent, UInt64)] = []
        var total = 0
        for append in appends {
            for event in append.events {
                total += 1
                if let position = try batch.ids[event.id] ?? index.position(of: event.id, txn) {
                    found.append((append, event, position))
                }
            }
        }
        guard !found.isEmpty else { return nil }
        guard found.count == total else {
            let (_, event, position) = found[0]
            throw EventLogError(
                .idempotencyConflict,
                "event \(event.id) is already stored at position \(position) but other events of this append are not",
                position: position)
        }
        var positions: [UInt64] = []
        var versions: [String: UInt64] = [:]
        for (append, event, position) in found {
            guard let raw = try txn.get(dbs.events, position) else {
                throw EventLogError(.corruptRecord, "event id index points at missing position \(position)", position: position)
            }
            let stored: RecordedEvent
            do { stored = try RecordedEvent(record: Array(raw)) } catch {
                throw EventLogError(.corruptRecord, "record at position \(position): \(error)", position: position)
            }
            guard stored.stream == append.stream, stored.type == event.type, stored.schemaVersion == event.schemaVersion,
                stored.subject == event.subject, stored.occurredAt == event.occurredAt,
                stored.withPayload({ $0.elementsEqual(event.payload) })
            else {
                throw EventLogError(
                    .idempotencyConflict,
                    "event id \(event.id) is already stored at position \(position) with different content",
                    stream: append.stream, position: position)
            }
            positions.append(position)
            versions[append.stream] = max(versions[append.stream] ?? 0, stored.streamVersion)
        }
        return AppendResult(positions: positions, streamVersions: versions, wasAlreadyStored: true)
    }
}
