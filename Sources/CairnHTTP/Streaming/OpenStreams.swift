import Synchronization

/// The event streams being served, so shutdown can end them: a stream waits for the log
/// forever, and the HTTP server drains in-flight responses before it stops.
final class OpenStreams: Sendable {
    private struct State {
        var queues: [ObjectIdentifier: FrameQueue] = [:]
        var closing = false
    }

    private let state = Mutex(State())

    /// Tracks `queue` until `remove`; finishes it at once when shutdown has begun.
    func add(_ queue: FrameQueue) {
        let closing = state.withLock { s in
            if !s.closing { s.queues[ObjectIdentifier(queue)] = queue }
            return s.closing
        }
        if closing { queue.finish() }
    }

    func remove(_ queue: FrameQueue) {
        _ = state.withLock { $0.queues.removeValue(forKey: ObjectIdentifier(queue)) }
    }

    /// Ends every stream: each sends what it has queued, then its response ends.
    func closeAll() {
        let queues = state.withLock { s in
            s.closing = true
            defer { s.queues = [:] }
            return Array(s.queues.values)
        }
        for queue in queues { queue.finish() }
    }
}
