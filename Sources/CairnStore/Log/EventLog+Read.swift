public import Foundation

/// A page of the global log.
public struct LogPage: Sendable {
    public var events: [RecordedEvent]
    /// Where the next read should start: one past the last position examined.
    public var next: UInt64
}

public enum ReadDirection: Sendable {
    case forwards
    case backwards
}

extension EventLog {
    /// Events of `stream` starting at `version` (inclusive), forwards or backwards. Reading
    /// backwards from `UInt64.max` starts at the stream's last event.
    public func readStream(
        _ stream: String, from version: UInt64 = 1, direction: ReadDirection = .forwards, limit: Int = 1000
    ) throws -> [RecordedEvent] {
        try limits.validate(streamId: stream)
        return try index.read(env) { txn, overlay, bounds in
            try index.streamPositions(stream, from: version, direction, limit: limit, txn, overlay, bounds)
        } fetch: { txn, positions in
            try positions.map { try event(at: $0, txn) }
        }
    }

    /// The stream's current version: its number of events, 0 when it does not exist.
    public func streamVersion(_ stream: String) throws -> UInt64 {
        try limits.validate(streamId: stream)
        return try index.read(env) { txn, overlay, bounds in
            try index.streamVersion(stream, txn, overlay, bounds)
        } fetch: { _, version in
            version
        }
    }

    /// Reads the global log from `position` (inclusive). Returns at most `limit` matching
    /// events and examines at most `maxScanned` records, so a rare filter cannot hold a read
    /// open for long; continue from the page's `next`.
    public func read(
        from position: UInt64, limit: Int = 1000, filter: EventFilter = .all, maxScanned: Int = 100_000
    ) throws -> LogPage {
        let matcher = FilterMatcher(filter)
        return try env.read { txn in
            var packer = RecordPacker(expected: min(limit, 4096))
            var matched = 0
            var next = max(position, 1)
            var scanned = 0
            let cursor = try txn.cursor(dbs.events)
            var entry = try cursor.seek(atLeast: next)
            while let current = entry, matched < limit, scanned < maxScanned {
                let at = current.key.loadBigEndian(at: 0, as: UInt64.self)
                let layout: RecordLayout
                do { layout = try RecordLayout(current.value) } catch {
                    throw EventLogError(.corruptRecord, "record at position \(at): \(error)", position: at)
                }
                if matcher.matches(current.value, layout) {
                    packer.add(current.value, layout)
                    matched += 1
                }
                scanned += 1
                next = at + 1
                entry = try cursor.next()
            }
            return LogPage(events: packer.finish(), next: next)
        }
    }

    /// The event stored at `position`.
    public func event(at position: UInt64) throws -> RecordedEvent? {
        try env.read { txn in
            guard try txn.get(dbs.events, position) != nil else { return nil }
            return try event(at: position, txn)
        }
    }

    /// The event with this id.
    public func event(id: UUID) throws -> RecordedEvent? {
        try index.read(env) { txn, overlay, bounds in
            try index.position(of: id, txn, overlay, bounds)
        } fetch: { txn, position in
            try position.map { try event(at: $0, txn) }
        }
    }

    /// Positions of the events whose subject is `subject`, from `position` on.
    public func positions(subject: String, from position: UInt64 = 1, limit: Int = 10_000) throws -> [UInt64] {
        try index.read(env) { txn, overlay, bounds in
            try index.subjectPositions(subject, from: position, limit: limit, txn, overlay, bounds)
        } fetch: { _, positions in
            positions
        }
    }

    func event(at position: UInt64, _ txn: borrowing some LMDBReading & ~Copyable) throws -> RecordedEvent {
        guard let raw = try txn.get(dbs.events, position) else {
            throw EventLogError(.corruptRecord, "an index points at position \(position), which is not stored", position: position)
        }
        do { return try RecordedEvent(record: Array(raw)) } catch {
            throw EventLogError(.corruptRecord, "record at position \(position): \(error)", position: position)
        }
    }

    /// Follows the log from `position` (inclusive): first what is stored, then each append as
    /// it commits. See ``EventSubscription``.
    public func subscribe(
        from position: UInt64, filter: EventFilter = .all, batchSize: Int = 1024, pollInterval: Duration? = nil
    ) -> EventSubscription {
        EventSubscription(log: self, from: position, filter: filter, batchSize: batchSize, pollInterval: pollInterval)
    }
}

/// Matches a stored record against a filter without copying or decoding it.
struct FilterMatcher {
    let typePrefixes: [[UInt8]]
    let categories: [[UInt8]]

    init(_ filter: EventFilter) {
        typePrefixes = filter.typePrefixes.map { Array($0.utf8) }
        categories = filter.categories.map { Array($0.utf8) }
    }

    func matches(_ record: UnsafeRawBufferPointer, _ layout: RecordLayout) -> Bool {
        if !typePrefixes.isEmpty {
            let type = UnsafeRawBufferPointer(rebasing: record[layout.type])
            guard typePrefixes.contains(where: { type.starts(with: $0) }) else { return false }
        }
        if !categories.isEmpty {
            let stream = UnsafeRawBufferPointer(rebasing: record[layout.stream])
            let end = stream.firstIndex(of: UInt8(ascii: "-")) ?? stream.endIndex
            let category = UnsafeRawBufferPointer(rebasing: stream[..<end])
            guard categories.contains(where: { category.elementsEqual($0) }) else { return false }
        }
        return true
    }
}
