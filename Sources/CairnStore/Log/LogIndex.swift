import CLMDB
import Foundation
import Synchronization

/// The log's secondary indexes — stream → versions, stream heads, event ids, subjects — and the
/// in-memory tail of them that is not yet written to LMDB.
///
/// Every index is derived from the records, so it need not be written in every commit. Writing
/// it there would dirty one B-tree page per stream per commit (each stream's entries live on
/// their own page), which made index pages most of every sync. Instead the commit writes only
/// the records — consecutive pages — and the index entries of the records after
/// `indexedThrough` live in memory (the *overlay*). Now and then the writer folds the overlay
/// into LMDB within an ordinary commit and advances `indexedThrough` in the same transaction.
///
/// The overlay is a cache, never the truth: any reader, in any process, that finds it behind
/// the snapshot it reads simply scans the missing records into it. So a crash loses nothing,
/// a restart needs no recovery step, and another process reading (or writing) the same log
/// stays correct.
final class LogIndex: Sendable {
    struct Entry {
        var position: UInt64
        var stream: String
        var version: UInt64
        var id: UUID
        var subject: String?
    }

    struct Overlay {
        /// Entries cover positions (base, coveredThrough], in position order.
        var base: UInt64 = 0
        var coveredThrough: UInt64 = 0
        var entries: [Entry] = []
        var streams: [String: [(version: UInt64, position: UInt64)]] = [:]
        var ids: [UUID: UInt64] = [:]
        var subjects: [String: [UInt64]] = [:]

        mutating func add(_ entry: Entry) {
            entries.append(entry)
            streams[entry.stream, default: []].append((entry.version, entry.position))
            ids[entry.id] = entry.position
            if let subject = entry.subject { subjects[subject, default: []].append(entry.position) }
            coveredThrough = entry.position
        }

        /// Forgets entries at or below `position`, which LMDB's indexes now hold.
        mutating func drop(through position: UInt64) {
            guard position > base else { return }
            if position >= coveredThrough {
                self = Overlay(base: position, coveredThrough: position)
                return
            }
            let count = entries.prefix { $0.position <= position }.count
            // Count per key first: removing one element at a time from the front of a long
            // per-stream list would be quadratic.
            var perStream: [String: Int] = [:]
            var perSubject: [String: Int] = [:]
            for entry in entries[..<count] {
                perStream[entry.stream, default: 0] += 1
                if let subject = entry.subject { perSubject[subject, default: 0] += 1 }
                ids.removeValue(forKey: entry.id)
            }
            for (stream, k) in perStream {
                if streams[stream]!.count == k { streams.removeValue(forKey: stream) } else { streams[stream]!.removeFirst(k) }
            }
            for (subject, k) in perSubject {
                if subjects[subject]!.count == k { subjects.removeValue(forKey: subject) } else { subjects[subject]!.removeFirst(k) }
            }
            entries.removeFirst(count)
            base = position
        }
    }

    /// Snapshot bounds: LMDB's indexes hold positions ≤ `indexed`; the overlay supplies
    /// (`indexed`, `head`].
    struct Bounds {
        var indexed: UInt64
        var head: UInt64
    }

    private static let indexedThroughKey = Array("indexedThrough".utf8)
    /// Overlay size (events) at which the writer starts folding it into LMDB, and how many of
    /// its oldest entries one commit folds.
    private let foldThreshold: Int
    private let foldSlice: Int
    private let dbs: LogDatabases
    private let overlay = Mutex(Overlay())

    init(dbs: LogDatabases, foldThreshold: Int) {
        self.dbs = dbs
        self.foldThreshold = max(1, foldThreshold)
        self.foldSlice = max(1, foldThreshold / 8)
    }

    var overlayCount: Int { overlay.withLock { $0.entries.count } }

    // MARK: Reading through a snapshot

    /// Brings the overlay up to the snapshot `txn` sees and runs `body` on it. Returns nil when
    /// the overlay has already moved past this snapshot's `indexedThrough` (a newer fold
    /// committed); the caller retries with a fresh snapshot.
    private func withOverlay<T>(
        _ txn: borrowing some LMDBReading & ~Copyable, _ body: (borrowing Overlay, Bounds) throws -> T
    ) throws -> T? {
        let indexed = try txn.get(dbs.meta, Self.indexedThroughKey).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
        let head = try dbs.lastPosition(txn)
        let bounds = Bounds(indexed: indexed, head: head)
        return try overlay.withLock { (overlay: inout Overlay) throws -> T? in
            if overlay.base > indexed { return nil }
            overlay.drop(through: indexed)
            if overlay.coveredThrough < indexed { overlay = Overlay(base: indexed, coveredThrough: indexed) }
            if overlay.coveredThrough < head { try scan(into: &overlay, through: head, txn) }
            return try body(overlay, bounds)
        }
    }

    /// Runs `lookup` (index work only, under the overlay's lock) and then `fetch` (reading
    /// records, outside it) in one consistent snapshot.
    func read<L, T>(
        _ env: LMDBEnvironment,
        lookup: (borrowing LMDBReadTransaction, borrowing Overlay, Bounds) throws -> L,
        fetch: (borrowing LMDBReadTransaction, L) throws -> T
    ) throws -> T {
        while true {
            let result: T? = try env.read { txn in
                guard let found = try withOverlay(txn, { overlay, bounds in try lookup(txn, overlay, bounds) }) else { return nil }
                return try fetch(txn, found)
            }
            if let result { return result }
        }
    }

    private func scan(into overlay: inout Overlay, through head: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws {
        let cursor = try txn.cursor(dbs.events)
        var entry = try cursor.seek(atLeast: overlay.coveredThrough + 1)
        while let current = entry {
            let position = current.key.loadBigEndian(at: 0, as: UInt64.self)
            guard position <= head else { break }
            let record: RecordedEvent
            do { record = try RecordedEvent(record: Array(current.value)) } catch {
                throw EventLogError(.corruptRecord, "record at position \(position): \(error)", position: position)
            }
            overlay.add(
                Entry(position: position, stream: record.stream, version: record.streamVersion, id: record.id, subject: record.subject))
            entry = try cursor.next()
        }
    }

    // MARK: Queries (the overlay and LMDB combined)

    // Every query ignores overlay entries past the snapshot's head: the writer may have added
    // entries for commits this reader's snapshot cannot see.

    func streamVersion(
        _ stream: String, _ txn: borrowing some LMDBReading & ~Copyable, _ overlay: borrowing Overlay, _ bounds: Bounds
    ) throws -> UInt64 {
        if let last = overlay.streams[stream]?.last(where: { $0.position <= bounds.head }) { return last.version }
        return try txn.get(dbs.heads, Array(stream.utf8)).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
    }

    func position(
        of id: UUID, _ txn: borrowing some LMDBReading & ~Copyable, _ overlay: borrowing Overlay, _ bounds: Bounds
    ) throws -> UInt64? {
        if let position = overlay.ids[id] { return position <= bounds.head ? position : nil }
        return try withUnsafeBytes(of: id.uuid) { try txn.get(dbs.ids, $0) }.map { $0.loadBigEndian(at: 0, as: UInt64.self) }
    }

    /// Positions of a stream's events from `version`, forwards or backwards.
    func streamPositions(
        _ stream: String, from version: UInt64, _ direction: ReadDirection, limit: Int,
        _ txn: borrowing some LMDBReading & ~Copyable, _ overlay: borrowing Overlay, _ bounds: Bounds
    ) throws -> [UInt64] {
        let tail = (overlay.streams[stream] ?? []).prefix { $0.position <= bounds.head }
        let firstInOverlay = tail.first?.version ?? .max
        let name = Array(stream.utf8)
        let prefix = name + [0]
        var out: [UInt64] = []
        func fromIndex(_ start: UInt64, forwards: Bool) throws {
            let cursor = try txn.cursor(dbs.streams)
            var entry: LMDBCursor.Entry?
            let key = LogDatabases.streamKey(name, start)
            entry = try cursor.seek(atLeast: key)
            if !forwards && (entry == nil || !entry!.key.elementsEqual(key)) { entry = try cursor.previous() }
            while let current = entry, out.count < limit, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                let v = current.key.loadBigEndian(at: prefix.count, as: UInt64.self)
                if v >= firstInOverlay { if forwards { break } } else { out.append(current.value.loadBigEndian(at: 0, as: UInt64.self)) }
                entry = forwards ? try cursor.next() : try cursor.previous()
            }
        }
        switch direction {
        case .forwards:
            if version < firstInOverlay { try fromIndex(version, forwards: true) }
            for item in tail where item.version >= version && out.count < limit { out.append(item.position) }
        case .backwards:
            for item in tail.reversed() where item.version <= version && out.count < limit { out.append(item.position) }
            if out.count < limit && firstInOverlay > 1 { try fromIndex(min(version, firstInOverlay - 1), forwards: false) }
        }
        return out
    }

    func subjectPositions(
        _ subject: String, from position: UInt64, limit: Int, _ txn: borrowing some LMDBReading & ~Copyable,
        _ overlay: borrowing Overlay, _ bounds: Bounds
    ) throws -> [UInt64] {
        let name = Array(subject.utf8)
        let prefix = name + [0]
        var out: [UInt64] = []
        if position <= bounds.indexed {
            let cursor = try txn.cursor(dbs.subjects)
            var entry = try cursor.seek(atLeast: LogDatabases.streamKey(name, position))
            while let current = entry, out.count < limit, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                let p = current.key.loadBigEndian(at: prefix.count, as: UInt64.self)
                if p > bounds.indexed { break }
                out.append(p)
                entry = try cursor.next()
            }
        }
        for p in overlay.subjects[subject] ?? [] where p >= position && p > bounds.indexed && p <= bounds.head && out.count < limit {
            out.append(p)
        }
        return out
    }

    // MARK: Writing (writer thread only)

    /// Brings the overlay up to the write transaction's snapshot and, when it has grown to the
    /// threshold, folds its oldest entries into LMDB within that transaction (all of them when
    /// `fold` asks). While the writer holds LMDB's write lock nobody else can commit, so the
    /// overlay stays as it is for the rest of the transaction and may be consulted entry by
    /// entry.
    ///
    /// A fold takes an eighth of the threshold at a time, as soon as the overlay holds the
    /// threshold, so it drains as fast as commits fill it while no commit pays for thousands of
    /// index writes at once: folding 4,096 entries in one commit held every append queued
    /// behind it for 5–8 ms, which made the log's append → subscriber p99 at 10,000 events/s.
    func prepareWrite(_ txn: borrowing LMDBWriteTransaction, fold: Bool) throws -> Bounds {
        guard
            let bounds = try withOverlay(
                txn,
                { overlay, bounds in
                    let count = overlay.entries.count
                    if fold {
                        try write(overlay.entries[...], txn)
                    } else if count >= foldThreshold {
                        try write(overlay.entries[..<(count - foldThreshold + foldSlice)], txn)
                    }
                    return bounds
                })
        else { throw EventLogError(.storage, "the index overlay is ahead of the writer's snapshot") }
        return bounds
    }

    func streamVersion(_ stream: String, _ txn: borrowing LMDBWriteTransaction) throws -> UInt64 {
        let inOverlay = overlay.withLock { $0.streams[stream]?.last?.version }
        if let inOverlay { return inOverlay }
        return try txn.get(dbs.heads, Array(stream.utf8)).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
    }

    func position(of id: UUID, _ txn: borrowing LMDBWriteTransaction) throws -> UInt64? {
        if let position = overlay.withLock({ $0.ids[id] }) { return position }
        return try withUnsafeBytes(of: id.uuid) { try txn.get(dbs.ids, $0) }.map { $0.loadBigEndian(at: 0, as: UInt64.self) }
    }

    /// Adds the entries of a committed batch so readers need not scan them.
    func committed(_ entries: [Entry]) {
        overlay.withLock { overlay in
            guard let first = entries.first, first.position == overlay.coveredThrough + 1 else { return }
            for entry in entries { overlay.add(entry) }
        }
    }

    /// Writes `entries` — the overlay's oldest, all past `indexedThrough` — into LMDB's indexes
    /// and advances `indexedThrough` to the last of them, inside the caller's transaction.
    /// Each index is written in key order, so consecutive puts land on the same pages.
    private func write(_ entries: ArraySlice<Entry>, _ txn: borrowing LMDBWriteTransaction) throws {
        guard let through = entries.last?.position else { return }
        // Streams: every (stream, version) → position, and each stream's last version → head.
        let byStream = entries.sorted { ($0.stream, $0.version) < ($1.stream, $1.version) }
        for (index, entry) in byStream.enumerated() {
            let name = Array(entry.stream.utf8)
            try txn.put(dbs.streams, LogDatabases.streamKey(name, entry.version), .bigEndian(entry.position))
            if index + 1 == byStream.count || byStream[index + 1].stream != entry.stream {
                try txn.put(dbs.heads, name, .bigEndian(entry.version))
            }
        }
        var ids = entries.map { entry in
            withUnsafeBytes(of: entry.id.uuid) {
                (hi: $0.loadBigEndian(at: 0, as: UInt64.self), lo: $0.loadBigEndian(at: 8, as: UInt64.self), id: entry.id, position: entry.position)
            }
        }
        ids.sort { ($0.hi, $0.lo) < ($1.hi, $1.lo) }
        for item in ids {
            try withUnsafeBytes(of: item.id.uuid) { id in
                try withUnsafeBytes(of: item.position.bigEndian) { try txn.put(dbs.ids, id, $0) }
            }
        }
        let bySubject = entries.compactMap { entry in entry.subject.map { (subject: $0, position: entry.position) } }
            .sorted { ($0.subject, $0.position) < ($1.subject, $1.position) }
        for item in bySubject {
            try txn.put(dbs.subjects, LogDatabases.streamKey(Array(item.subject.utf8), item.position), [])
        }
        try txn.put(dbs.meta, Self.indexedThroughKey, [UInt8].bigEndian(through))
    }

    func indexedThrough(_ txn: borrowing some LMDBReading & ~Copyable) throws -> UInt64 {
        try txn.get(dbs.meta, Self.indexedThroughKey).map { $0.loadBigEndian(at: 0, as: UInt64.self) } ?? 0
    }
}
