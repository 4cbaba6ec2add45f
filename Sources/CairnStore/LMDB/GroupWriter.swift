/// Commits the small writes of many tasks together: each task's job runs in the one write
/// transaction of whatever is waiting when the writer comes round, and every job's task resumes
/// once that transaction has committed (group commit). One commit — one disk flush — then
/// serves every task that was waiting, where a commit apiece would queue them all behind each
/// other's flushes; and the flush happens on the writer's own thread, never blocking a thread
/// of the task pool.
///
/// Jobs run one after the other, so each sees the writes of those before it. A job that throws
/// gets its error, and the others run again without it in a fresh transaction (so a job may run
/// more than once, and must do nothing but read and write through the transaction it is given).
/// A commit that fails fails every job in it.
package final class GroupWriter: Sendable {
    private final class Job: @unchecked Sendable {
        /// Runs the job's body, keeping its value for `finish`; touched only on the writer queue.
        let run: (borrowing LMDBWriteTransaction) throws -> Void
        let finish: (Result<Void, any Error>) -> Void

        init(run: @escaping (borrowing LMDBWriteTransaction) throws -> Void, finish: @escaping (Result<Void, any Error>) -> Void) {
            self.run = run
            self.finish = finish
        }
    }

    private let env: LMDBEnvironment
    private let waiting: BatchQueue<Job>

    package init(env: LMDBEnvironment, label: String) {
        self.env = env
        waiting = BatchQueue(label: label)
    }

    /// Runs `body` in the next group's write transaction and returns its value once that
    /// transaction is durable (as far as the environment's durability goes).
    package func write<T: Sendable>(_ body: @escaping @Sendable (borrowing LMDBWriteTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            // The value of the job's last run: the one its committed transaction saw.
            nonisolated(unsafe) var value: T?
            let job = Job(
                run: { txn in value = try body(txn) },
                finish: { result in continuation.resume(with: result.map { value! }) })
            waiting.add(job) { self.commit($0) }
        }
    }

    private struct Refused: Error {
        let index: Int
        let error: any Error
    }

    /// Commits `jobs` in one transaction; a job that throws is answered and left out, and the
    /// rest run again.
    private func commit(_ jobs: [Job]) {
        var jobs = jobs
        while !jobs.isEmpty {
            do {
                try env.write { txn in
                    for index in jobs.indices {
                        do {
                            try jobs[index].run(txn)
                        } catch {
                            // A full map is the environment's to handle: it grows the map and
                            // runs the whole group again.
                            if LMDBError.mapFull ~= error { throw error }
                            throw Refused(index: index, error: error)
                        }
                    }
                }
            } catch let refused as Refused {
                jobs.remove(at: refused.index).finish(.failure(refused.error))
                continue
            } catch {
                for job in jobs { job.finish(.failure(error)) }
                return
            }
            for job in jobs { job.finish(.success(())) }
            return
        }
    }
}
