import Synchronization

/// The last committed position, and the tasks waiting for it to pass a point.
///
/// Waiting is how subscriptions follow live appends without polling and without buffering:
/// a subscriber that has read everything parks here and reads from the log again once woken.
final class HeadWatch: Sendable {
    private struct State {
        var head: UInt64
        var closed = false
        var nextWaiter = 0
        var waiters: [Int: (position: UInt64, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }

    private let state: Mutex<State>

    init(head: UInt64) { state = Mutex(State(head: head)) }

    var head: UInt64 { state.withLock { $0.head } }

    func publish(_ head: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.head = head
            guard !state.waiters.isEmpty else { return [] }
            var ready: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where waiter.position <= head {
                ready.append(waiter.continuation)
                state.waiters.removeValue(forKey: id)
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    func close() {
        let all = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in all { continuation.resume(returning: false) }
    }

    /// Suspends until the head reaches `position`. Returns false when the log closed or the
    /// task was cancelled first.
    func wait(for position: UInt64) async -> Bool {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = state.withLock { state in
                    if state.head >= position { return true }
                    if state.closed || Task.isCancelled { return false }
                    state.waiters[id] = (position, continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: false)
        }
    }
}
