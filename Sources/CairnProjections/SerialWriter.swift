import Dispatch

/// Runs one read model's blocking work — log reads, folds, commits with their fsync — on a
/// serial queue of its own, off Swift's cooperative pool.
///
/// Each job is synchronous, so a write transaction begins and commits on one thread with no
/// `await` in between, and the queue keeps the environment's writes one at a time.
final class SerialWriter: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
