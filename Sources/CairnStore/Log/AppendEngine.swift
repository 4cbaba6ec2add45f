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
    /// named values: the verified prefix
    let meta: LMDBDatabase

    init(_ env: LMDBEnvironment) throws {
        events = try env.database("events")
        streams = try env.database("streams")
        heads = try env.database("heads")
        ids = try env.database("ids")
        subjects = try env.database("subjects")
        meta = try env.database("meta")
    }

    static func streamKey(_ stream: [UInt8], _ version: UInt64) -> [UInt8] {
        var key = stream
        key.reserveCapacity(stream.count + 9)
        key.append(0)
        key.appendBigEndian(version)
        return key
    }
}

/// The tail of the chain: what the next append builds on.
struct ChainTail: Sendable {
    var head: UInt64 = 0
    var hash: SHA256Digest = .zero
    var recordedAt = Timestamp(microsecondsSinceEpoch: 0)
}

/// Applies batches of appends inside one write transaction. Used only by the writer thread.
final class AppendEngine: @unchecked Sendable {
    private let env: LMDBEnvironment
    private let dbs: LogDatabases
    private let clock: any WallClock
    private let hasher = SHA256Hasher()
    private(set) var tail: ChainTail
    private(set) var lastCommitEvents: UInt64 = 0

    var head: UInt64 { tail.head }

    init(env: LMDBEnvironment, dbs: LogDatabases, clock: any WallClock, tail: ChainTail) {
        self.env = env
        self.dbs = dbs
        self.clock = clock
        self.tail = tail
    }

    /// Applies every job in one transaction and commits it with one sync. Returns each job's
    /// outcome; throws only when the transaction itself failed, in which case nothing changed.
    func commit(_ jobs: [LogWriter.Job]) throws -> [Result<AppendResult?, any Error>] {
        // `recordedAt` never decreases along positions, even when the wall clock steps back.
        let now = max(clock.now(), tail.recordedAt)
        let (results, newTail) = try env.write { txn in
            var working = tail
            var results: [Result<AppendResult?, any Error>] = []
            results.reserveCapacity(jobs.count)
            for job in jobs {
                switch job {
                case .append(let appends, _):
                    do {
                        results.append(.success(try apply(appends, txn, &working, now)))
                    } catch let error as EventLogError {
                        results.append(.failure(error))
                    }
                case .perform(let body, _):
                    try body(txn)
                    results.append(.success(nil))
                }
            }
            return (results, working)
        }
        lastCommitEvents = newTail.head - tail.head
        tail = newTail
        return results
    }

    /// One append. Refusals (`EventLogError`) are decided before anything is written; LMDB
    /// errors propagate and abort the whole transaction.
    private func apply(
        _ appends: [StreamAppend], _ txn: borrowing LMDBWriteTransaction, _ tail: inout ChainTail, _ now: Timestamp
    ) throws -> AppendResult {
        if let replay = try storedResult(of: appends, txn) { return replay }

        var versions: [UInt64] = []
        versions.reserveCapacity(appends.count)
        for append in appends {
            let current = try txn.get(dbs.heads, Array(append.stream.utf8)).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
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
            let stream = Array(append.stream.utf8)
            var version = start
            for event in append.events {
                version += 1
                tail.head += 1
                let position = tail.head
                let encoder = RecordEncoder(stream: stream, event: event)
                let record = try withUnsafeBytes(of: position.bigEndian) { key in
                    try txn.reserve(dbs.events, key, size: encoder.recordSize, flags: UInt32(MDB_APPEND))
                }
                encoder.encode(into: record, position: position, version: version, recordedAt: now)
                let canonical = UnsafeRawBufferPointer(rebasing: record[..<(record.count - RecordLayout.hashSize)])
                tail.hash = hasher.link(tail.hash, canonical)
                tail.hash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: record[(record.count - RecordLayout.hashSize)...]).copyMemory(from: $0) }

                let positionBytes = [UInt8].bigEndian(position)
                try txn.put(dbs.streams, LogDatabases.streamKey(stream, version), positionBytes)
                try withUnsafeBytes(of: event.id.uuid) { id in
                    try positionBytes.withUnsafeBytes { try txn.put(dbs.ids, id, $0) }
                }
                if let subject = event.subject {
                    try txn.put(dbs.subjects, LogDatabases.streamKey(Array(subject.utf8), position), [])
                }
                positions.append(position)
            }
            try txn.put(dbs.heads, stream, [UInt8].bigEndian(version))
            streamVersions[append.stream] = version
        }
        tail.recordedAt = now
        return AppendResult(positions: positions, streamVersions: streamVersions, wasAlreadyStored: false)
    }

    /// When the append's event ids are already stored with the same content, the original
    /// result (an idempotent retry); when some are stored or differ, a conflict; else nil.
    private func storedResult(of appends: [StreamAppend], _ txn: borrowing LMDBWriteTransaction) throws -> AppendResult? {
        var found: [(StreamAppend, NewEvent, UInt64)] = []
        var total = 0
        for append in appends {
            for event in append.events {
                total += 1
                let position = try withUnsafeBytes(of: event.id.uuid) { try txn.get(dbs.ids, $0) }
                if let position { found.append((append, event, position.loadBigEndian(at: 0))) }
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
