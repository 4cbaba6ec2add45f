import Foundation
import Synchronization

/// Cairn's append-only event log, kept in LMDB.
///
/// Every event gets a global position — 1, 2, 3 … with no gap, in commit order — and a version
/// in its stream. Appends return only once durable; concurrent appends share one transaction
/// and one sync (group commit). Every record is chained to the previous one by SHA-256.
///
/// ```swift
/// let log = try EventLog(directory: "data/log")
/// let result = try await log.append(
///     [NewEvent(id: .v7(), type: "customers.CustomerRegistered", payload: Array(#"{"name":"Ada"}"#.utf8))],
///     to: "customer-42", expecting: .noStream)
/// for try await event in log.subscribe(from: 1) { … }
/// await log.close()
/// ```
public final class EventLog: Sendable {
    public enum Durability: Sendable {
        /// Every commit syncs data and metadata before the append returns (the default).
        case full
        /// Opt-in `MDB_NOMETASYNC`: the meta page is synced with the next commit, so a crash
        /// may lose the last acknowledged transaction, though never corrupt the log.
        case noMetaSync
    }

    public struct Options: Sendable {
        /// Initial size of the memory map; it grows by itself.
        public var initialMapSize = 1 << 30
        public var durability = Durability.full
        public var limits = EventLogLimits()
        public var clock: any WallClock = SystemClock()
        /// Open without a writer: appends fail with `readOnly`, and closing writes nothing. For
        /// tools that only read a log another process may be writing.
        public var readOnly = false
        /// Events indexed in memory before the writer folds their index entries into LMDB (see
        /// ``LogIndex``), an eighth of it per commit from then on: larger means bigger folds and
        /// more to scan after a restart. A fold's random keys dirty up to one page of each index
        /// tree per event, and LMDB keeps every page a transaction dirtied allocated until the
        /// environment closes, so this also bounds the writer's memory: at 32,768 it grew with
        /// the log (the trees' pages), at 4,096 it stays near 16 MB per index, with appends as
        /// fast or faster.
        public var indexFoldThreshold = 4_096
        /// Called on the writer thread after each commit with the new head (metrics: the
        /// difference between two heads is a commit's batch size). Must return quickly.
        public var commitObserver: (@Sendable (_ head: UInt64) -> Void)?

        public init() {}
    }

    public let directory: String
    public let limits: EventLogLimits
    /// The clock that stamps `recordedAt` and signed tree heads.
    public let clock: any WallClock
    let env: LMDBEnvironment
    let dbs: LogDatabases
    let index: LogIndex
    let watch: HeadWatch
    private let writer: LogWriter?

    /// Opened without a writer (see ``Options/readOnly``).
    public var isReadOnly: Bool { writer == nil }

    /// Opens the log in `directory`, creating it when absent.
    public init(directory: String, options: Options = Options()) throws {
        var envOptions = LMDBEnvironment.Options()
        envOptions.mapSize = options.initialMapSize
        envOptions.durability = options.durability == .full ? .full : .noMetaSync
        envOptions.readOnly = options.readOnly
        let env = try LMDBEnvironment(path: directory, options: envOptions)
        let dbs = try LogDatabases(env)
        let head = try env.read { txn in
            try dbs.lastPosition(txn)
        }
        let watch = HeadWatch(head: head)
        let index = LogIndex(dbs: dbs, foldThreshold: options.indexFoldThreshold)
        self.directory = directory
        self.limits = options.limits
        self.clock = options.clock
        self.env = env
        self.dbs = dbs
        self.index = index
        self.watch = watch
        self.writer =
            options.readOnly
            ? nil
            : LogWriter(
                engine: AppendEngine(env: env, dbs: dbs, index: index, clock: options.clock),
                onCommit: { [observer = options.commitObserver] head in
                    watch.publish(head)
                    observer?(head)
                })
    }

    /// A log dropped without ``close()`` still lets its writer finish and end.
    deinit { writer?.requestStop() }

    /// Finishes queued appends, ends subscriptions, and closes the environment.
    public func close() async {
        if let writer {
            try? await writer.fold()
            await writer.stop()
        }
        watch.close()
        env.close()
    }

    // MARK: Appending

    /// Appends `events` to one stream if its version matches `expected`.
    @discardableResult
    public func append(_ events: [NewEvent], to stream: String, expecting expected: ExpectedVersion = .any) async throws -> AppendResult {
        try await append([StreamAppend(stream: stream, expectedVersion: expected, events: events)])
    }

    /// Appends to several streams atomically: all land, or — when any stream's expected
    /// version does not hold — none. Positions follow the order given.
    @discardableResult
    public func append(_ appends: [StreamAppend]) async throws -> AppendResult {
        try limits.validate(appends)
        guard let writer else { throw EventLogError(.readOnly, "the log was opened read-only") }
        return try await writer.append(appends)
    }

    // MARK: Position

    /// The last committed position; every position up to it is durable and readable.
    public var committedThrough: UInt64 { watch.head }

    /// The last position stored, read from storage (sees appends by other processes too).
    public func head() throws -> UInt64 {
        try env.read { txn in
            try dbs.lastPosition(txn)
        }
    }

    /// Group commits so far and events they carried (this process only).
    public var commitCounts: (commits: UInt64, events: UInt64) {
        (writer?.commits.load(ordering: .relaxed) ?? 0, writer?.appendedEvents.load(ordering: .relaxed) ?? 0)
    }

    /// Runs `body` in a write transaction on the writer thread, ordered with appends.
    func perform(_ body: @escaping @Sendable (borrowing LMDBWriteTransaction) throws -> Void) async throws {
        guard let writer else { throw EventLogError(.readOnly, "the log was opened read-only") }
        try await writer.perform(body)
    }
}
