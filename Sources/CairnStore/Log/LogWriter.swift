import CLMDB
import Foundation
import Synchronization

/// The log's one writer: a thread of its own that owns every write transaction.
///
/// Appends queue up while a commit syncs; the thread then takes everything waiting, applies it
/// in one LMDB transaction with one sync (group commit), and resumes each caller once its events
/// are durable. An LMDB write transaction must begin and commit on one OS thread, which a Swift
/// task cannot promise across an `await`; a dedicated thread can.
final class LogWriter: @unchecked Sendable {
    enum Job {
        case append([StreamAppend], CheckedContinuation<AppendResult, any Error>)
        case perform(@Sendable (borrowing LMDBWriteTransaction) throws -> Void, CheckedContinuation<Void, any Error>)
        /// Fold the index overlay into LMDB (see ``LogIndex``).
        case fold(CheckedContinuation<Void, any Error>)

        var weight: (events: Int, bytes: Int) {
            switch self {
            case .append(let appends, _):
                appends.reduce((0, 0)) { sum, a in
                    (sum.0 + a.events.count, sum.1 + a.events.reduce(0) { $0 + $1.payload.count + 256 })
                }
            case .perform, .fold: (1, 0)
            }
        }
    }

    /// Most events and bytes folded into one transaction.
    static let maxBatchEvents = 50_000
    static let maxBatchBytes = 64 << 20

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var closing = false
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    private let engine: AppendEngine
    private let onCommit: @Sendable (UInt64) -> Void

    /// Transactions committed and events appended, for stats and benchmarks.
    let commits = Atomic<UInt64>(0)
    let appendedEvents = Atomic<UInt64>(0)

    init(engine: AppendEngine, onCommit: @escaping @Sendable (UInt64) -> Void) {
        self.engine = engine
        self.onCommit = onCommit
        let thread = Thread { [self] in run() }
        thread.name = "cairn-writer"
        thread.start()
    }

    func append(_ appends: [StreamAppend]) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.append(appends, continuation))
        }
    }

    /// Runs `body` in a write transaction on the writer thread, ordered with appends.
    func perform(_ body: @escaping @Sendable (borrowing LMDBWriteTransaction) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.perform(body, continuation))
        }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if closing {
            condition.unlock()
            fail(job, EventLogError(.closed, "the log is closed"))
            return
        }
        queue.append(job)
        // The thread only waits while the queue is empty.
        if queue.count == 1 { condition.signal() }
        condition.unlock()
    }

    /// Folds the index overlay into LMDB, so the next open has nothing to scan.
    func fold() async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.fold(continuation))
        }
    }

    /// Lets the thread finish what is queued and end, without waiting for it.
    func requestStop() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
    }

    /// Finishes every queued job, then stops the thread.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            if stopped {
                condition.unlock()
                continuation.resume()
                return
            }
            stopWaiters.append(continuation)
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty {
                stopped = true
                let waiters = stopWaiters
                stopWaiters = []
                condition.unlock()
                for waiter in waiters { waiter.resume() }
                return
            }
            let batch = takeBatch(events: 0, bytes: 0)
            condition.unlock()
            commit(batch) { [self] events, bytes in join(events: events, bytes: bytes) }
        }
    }

    /// Jobs that arrived while a transaction was being built join it before it commits.
    ///
    /// The writer never waits for more: a commit costs little beside the sync, and whatever
    /// queues while one syncs makes the next batch anyway. Waiting for expected callers (an
    /// earlier design lingered up to 1 ms for as many as the last batch held) bought no
    /// measurable throughput with 1–256 appenders and put that wait on every append of a
    /// steady stream, doubling append → subscriber latency at 10,000 events/s.
    private func join(events: Int, bytes: Int) -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        guard !queue.isEmpty, events < Self.maxBatchEvents, bytes < Self.maxBatchBytes else { return [] }
        return takeBatch(events: events, bytes: bytes, atLeastOne: false)
    }

    /// Takes queued jobs while the transaction stays within the batch bounds, counting what it
    /// already holds (the first take always gets at least one). Called with the lock held.
    private func takeBatch(events: Int, bytes: Int, atLeastOne: Bool = true) -> [Job] {
        var events = events
        var bytes = bytes
        var count = 0
        for job in queue {
            // A fold decides how its transaction starts, so it never joins one under way.
            if !atLeastOne, case .fold = job { break }
            let w = job.weight
            if (count > 0 || !atLeastOne) && (events + w.events > Self.maxBatchEvents || bytes + w.bytes > Self.maxBatchBytes) { break }
            events += w.events
            bytes += w.bytes
            count += 1
        }
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }

    /// Commits `batch` and whatever joins it.
    private func commit(_ batch: [Job], joining: (_ events: Int, _ bytes: Int) -> [Job] = { _, _ in [] }) {
        var jobs = batch
        let outcome: [Result<AppendResult?, any Error>]
        do {
            outcome = try engine.commit(&jobs, joining: joining)
        } catch {
            // The whole transaction failed (an LMDB error other than a full map, which the
            // environment absorbs). Give each job its own transaction so one oversized append
            // cannot fail its neighbours.
            if jobs.count > 1 {
                for job in jobs { commit([job]) }
            } else {
                fail(jobs[0], EventLogError.storage(error))
            }
            return
        }
        commits.add(1, ordering: .relaxed)
        appendedEvents.add(engine.lastCommitEvents, ordering: .relaxed)
        onCommit(engine.head)
        for (job, result) in zip(jobs, outcome) {
            switch (job, result) {
            case (.append(_, let continuation), .success(let value)): continuation.resume(returning: value!)
            case (.append(_, let continuation), .failure(let error)): continuation.resume(throwing: error)
            case (.perform(_, let continuation), .success), (.fold(let continuation), .success): continuation.resume()
            case (.perform(_, let continuation), .failure(let error)), (.fold(let continuation), .failure(let error)):
                continuation.resume(throwing: error)
            }
        }
    }

    private func fail(_ job: Job, _ error: any Error) {
        switch job {
        case .append(_, let continuation): continuation.resume(throwing: error)
        case .perform(_, let continuation), .fold(let continuation): continuation.resume(throwing: error)
        }
    }
}
