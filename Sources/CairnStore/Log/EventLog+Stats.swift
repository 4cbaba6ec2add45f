import Foundation

/// What the log holds and how much room it takes.
public struct LogStats: Sendable {
    public var head: UInt64
    public var events: Int
    public var streams: Int
    /// Positions whose index entries are in LMDB; later ones are indexed in memory.
    public var indexedThrough: UInt64
    public var firstRecordedAt: Timestamp?
    public var lastRecordedAt: Timestamp?
    public var verifiedThrough: UInt64
    /// Bytes of the memory map in use, and its current size.
    public var usedBytes: Int
    public var mapSize: Int
    /// Size of the data file on disk.
    public var fileBytes: Int
    public var readers: Int
}

extension EventLog {
    public func stats() throws -> LogStats {
        let verified = try verifiedPrefix()?.position ?? 0
        var stats = try env.read { txn in
            let cursor = try txn.cursor(dbs.events)
            let first = try cursor.first().map { try RecordedEvent(record: Array($0.value)) }
            let last = try cursor.last().map { try RecordedEvent(record: Array($0.value)) }
            return LogStats(
                head: last?.position ?? 0, events: try txn.count(dbs.events), streams: try txn.count(dbs.heads),
                indexedThrough: try index.indexedThrough(txn), firstRecordedAt: first?.recordedAt,
                lastRecordedAt: last?.recordedAt, verifiedThrough: verified, usedBytes: 0, mapSize: 0, fileBytes: 0,
                readers: 0)
        }
        // Streams created since the last fold are only in the overlay.
        stats.streams += try index.read(env) { _, overlay, _ in
            overlay.streams.values.filter { $0.first?.version == 1 }.count
        } fetch: { _, count in
            count
        }
        if let info = env.info {
            stats.usedBytes = info.usedBytes
            stats.mapSize = info.mapSize
            stats.readers = info.readersUsed
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")
        stats.fileBytes = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        return stats
    }
}
