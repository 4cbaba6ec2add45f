import CairnStore
import Foundation
import Synchronization

/// Keeps one read-model version — one LMDB environment — folded up to the log's head.
///
/// It catches up from its checkpoint in batches, then follows appends as they commit. Each batch
/// is folded and its checkpoint recorded in one write transaction, so after any crash the model
/// and the checkpoint agree and no event is folded twice or missed.
final class ProjectionRunner: Sendable {
    enum Role: Sendable {
        case serving
        case building
    }

    enum WaitOutcome: Sendable {
        case reached
        /// The runner was stopped (replaced by a rebuild, or the engine closed): ask the engine
        /// which runner serves now.
        case retired
    }

    private struct State {
        var checkpoint: UInt64
        var role: Role
        var caughtUp = false
        var failure: (position: UInt64, message: String)?
        var retired = false
        var task: Task<Void, Never>?
        var nextWaiter = 0
        var waiters: [Int: (position: UInt64, continuation: CheckedContinuation<WaitOutcome, any Error>)] = [:]
        /// Recent (instant, checkpoint) pairs, for the fold rate.
        var samples: [(at: ContinuousClock.Instant, checkpoint: UInt64)] = []
    }

    static let metaDatabase = "$projection"
    private static let checkpointKey = Array("checkpoint".utf8)
    private static let databasesKey = Array("databases".utf8)
    private static let rateWindow = Duration.seconds(10)

    let name: String
    let version: Int
    /// Nil for a serving version whose projector is no longer registered (``ProjectionState/frozen``).
    let projector: (any Projector)?
    /// The environment's directory name under the engine's root.
    let directory: String
    let env: LMDBEnvironment
    let model: ReadModel
    let log: EventLog
    /// The engine's decoded pages of the log, shared with its other runners.
    let feed: ProjectionFeed
    let filter: EventFilter
    let batchSize: Int
    let writer: SerialWriter
    private let meta: LMDBDatabase
    private let state: Mutex<State>
    /// The checkpoint last committed to the environment. A batch with nothing this projector
    /// folds moves ``checkpoint`` on without a commit (and its fsync), so this can trail it by
    /// events the projector skips; the next batch it folds, a step after ``maxStepSpan``
    /// positions without one, or ``stop()`` records it. After a crash the runner passes those
    /// events again, which changes nothing: exactly once holds for every event it folds.
    /// Touched only on the writer queue (and by ``stop()`` once the task is done).
    private let persisted: Atomic<UInt64>

    /// Opens (creating when needed) the environment at `root/directory`. Without a projector the
    /// database names are read from the environment itself.
    init(
        root: String, directory: String, name: String, version: Int, projector: (any Projector)?,
        role: Role, log: EventLog, feed: ProjectionFeed, batchSize: Int, initialMapSize: Int
    ) throws {
        var options = LMDBEnvironment.Options()
        options.mapSize = initialMapSize
        options.maxDatabases = UInt32((projector?.databaseNames.count ?? 64) + 1)
        // `.noMetaSync`: a commit syncs the model's pages, and the meta page that makes them
        // current is synced with the next commit. A crash can thus roll back the last batch —
        // model and checkpoint together, since they share the transaction — and the runner
        // simply folds it again from the log; it can never corrupt the environment (as
        // `MDB_NOSYNC` can on a power cut). That halves the fsyncs of a batch, and the log, not
        // the read model, is what must be durable. The engine syncs fully before it switches
        // queries to a rebuilt model.
        options.durability = .noMetaSync
        let env = try LMDBEnvironment(path: root + "/" + directory, options: options)
        do {
            let meta = try env.database(Self.metaDatabase)
            let names: [String]
            if let projector {
                names = projector.databaseNames
                precondition(!names.contains { $0.hasPrefix("$") }, "database names starting with $ are the engine's")
                let joined = Array(names.joined(separator: "\n").utf8)
                try env.write { txn in try txn.put(meta, Self.databasesKey, joined) }
            } else {
                names = try env.read { txn in
                    try txn.get(meta, Self.databasesKey).map { String(decoding: $0, as: UTF8.self) } ?? ""
                }.split(separator: "\n").map(String.init)
            }
            var databases: [String: LMDBDatabase] = [:]
            for databaseName in names { databases[databaseName] = try env.database(databaseName) }
            let checkpoint = try env.read { txn in
                try txn.get(meta, Self.checkpointKey).map { $0.loadUnaligned(as: UInt64.self).bigEndian } ?? 0
            }
            self.meta = meta
            self.model = ReadModel(name: name, version: version, databases: databases)
            self.state = Mutex(State(checkpoint: checkpoint, role: role))
            self.persisted = Atomic(checkpoint)
        } catch {
            env.close()
            throw error
        }
        self.name = name
        self.version = version
        self.projector = projector
        self.directory = directory
        self.env = env
        self.log = log
        self.feed = feed
        self.filter = EventFilter(typePrefixes: projector?.eventTypePrefixes ?? [])
        self.batchSize = batchSize
        self.writer = SerialWriter(label: "cairn.projection.\(directory)")
    }

    /// Records the checkpoint inside the transaction that changes the model; ``persisted``
    /// follows once that transaction commits (``committedCheckpoint(_:)``).
    func writeCheckpoint(_ position: UInt64, _ txn: borrowing LMDBWriteTransaction) throws {
        try txn.put(meta, Self.checkpointKey, .bigEndianBytes(position))
    }

    /// The checkpoint last committed to the environment.
    var persistedCheckpoint: UInt64 { persisted.load(ordering: .relaxed) }

    /// A transaction that wrote `position` as the checkpoint committed.
    func committedCheckpoint(_ position: UInt64) {
        persisted.store(position, ordering: .relaxed)
    }

    /// How far the recorded checkpoint may trail: a step with nothing to fold commits its
    /// checkpoint once this many positions have gone by since the last commit (the span a
    /// step reads while catching up), so a crash leaves at most about this many to pass again.
    var maxStepSpan: UInt64 { UInt64(batchSize) * 4 }

    var checkpoint: UInt64 { state.withLock { $0.checkpoint } }

    var role: Role { state.withLock { $0.role } }

    var failure: (position: UInt64, message: String)? { state.withLock { $0.failure } }

    func becomeServing() {
        state.withLock { $0.role = .serving }
    }

    // MARK: Progress

    /// Moves the checkpoint on and wakes the waiters it satisfies.
    func advance(to checkpoint: UInt64) {
        let now = ContinuousClock.now
        let ready = state.withLock { state in
            state.checkpoint = checkpoint
            // One sample per tenth of a second is plenty for a rate, however small the batches.
            if let last = state.samples.last, now - last.at < .milliseconds(100), state.samples.count > 1 {
                state.samples[state.samples.count - 1] = (now, checkpoint)
            } else {
                state.samples.append((now, checkpoint))
            }
            Self.trim(&state.samples, now: now)
            var ready: [CheckedContinuation<WaitOutcome, any Error>] = []
            for (id, waiter) in state.waiters where waiter.position <= checkpoint {
                ready.append(waiter.continuation)
                state.waiters.removeValue(forKey: id)
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: .reached) }
    }

    /// Returns true the first time it is called.
    func markCaughtUp() -> Bool {
        state.withLock { state in
            defer { state.caughtUp = true }
            return !state.caughtUp
        }
    }

    /// Stops at `position`: waiters for it or later learn why.
    func fail(at position: UInt64, _ message: String) {
        let waiters = state.withLock { state in
            state.failure = (position, message)
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        let error = failedError(position, message)
        for continuation in waiters { continuation.resume(throwing: error) }
    }

    func failedError(_ position: UInt64, _ message: String) -> ProjectionError {
        ProjectionError(
            .failed, "projection \(name) v\(version) stopped at position \(position): \(message)",
            projection: name, position: position, checkpoint: position - 1)
    }

    private static func trim(_ samples: inout [(at: ContinuousClock.Instant, checkpoint: UInt64)], now: ContinuousClock.Instant) {
        let cutoff = now - rateWindow
        if let keep = samples.firstIndex(where: { $0.at >= cutoff }), keep > 0 { samples.removeFirst(keep) }
    }

    // MARK: Waiting

    /// Suspends until the checkpoint reaches `position`; throws when the runner failed before it.
    func wait(for position: UInt64) async throws -> WaitOutcome {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WaitOutcome, any Error>) in
                let immediate: Result<WaitOutcome, any Error>? = state.withLock { state in
                    if state.checkpoint >= position { return .success(.reached) }
                    if let failure = state.failure { return .failure(failedError(failure.position, failure.message)) }
                    if state.retired { return .success(.retired) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = (position, continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    // MARK: Lifecycle

    func setTask(_ task: Task<Void, Never>) {
        state.withLock { $0.task = task }
    }

    /// Stops folding (after the batch in hand commits) and sends waiters elsewhere.
    func stop() async {
        let (task, waiters) = state.withLock { state in
            state.retired = true
            defer { state.waiters.removeAll() }
            return (state.task, state.waiters.values.map(\.continuation))
        }
        for continuation in waiters { continuation.resume(returning: .retired) }
        task?.cancel()
        await task?.value
        feed.leave(ObjectIdentifier(self))
        // Record a checkpoint that skipped events moved on without a commit, so a clean
        // shutdown leaves nothing to pass again. Best effort: after a failure it is only
        // what a crash would leave.
        let checkpoint = self.checkpoint
        if projector != nil, checkpoint > persistedCheckpoint {
            _ = try? await writer.run { [self] in
                try env.write { txn in try writeCheckpoint(checkpoint, txn) }
                committedCheckpoint(checkpoint)
            }
        }
    }

    /// Closes the environment; call after ``stop()``.
    func close() {
        env.close()
    }

    // MARK: Status

    func status(head: UInt64) throws -> ProjectionStatus {
        let now = ContinuousClock.now
        let (checkpoint, role, caughtUp, failure, rate) = state.withLock { state in
            Self.trim(&state.samples, now: now)
            var rate = 0.0
            if let first = state.samples.first, state.checkpoint > first.checkpoint {
                let elapsed = now - first.at
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                if seconds > 0 { rate = Double(state.checkpoint - first.checkpoint) / seconds }
            }
            return (state.checkpoint, state.role, state.caughtUp, state.failure, rate)
        }
        let projectionState: ProjectionState
        if let failure {
            projectionState = .failed(position: failure.position, message: failure.message)
        } else if projector == nil {
            projectionState = .frozen
        } else if role == .building {
            projectionState = .rebuilding
        } else if caughtUp || checkpoint >= head {
            projectionState = .live
        } else {
            projectionState = .catchingUp
        }
        var lagSeconds = 0.0
        if head > checkpoint, let headEvent = try log.event(at: head),
            let folded = try log.event(at: Swift.max(checkpoint, 1))
        {
            lagSeconds = Double(headEvent.recordedAt.microsecondsSinceEpoch - folded.recordedAt.microsecondsSinceEpoch) / 1e6
        }
        return ProjectionStatus(
            name: name, version: version, directory: directory, isServing: role == .serving,
            state: projectionState, checkpoint: checkpoint, head: head, lagSeconds: lagSeconds,
            eventsPerSecond: rate)
    }
}

extension Array where Element == UInt8 {
    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        Swift.withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
