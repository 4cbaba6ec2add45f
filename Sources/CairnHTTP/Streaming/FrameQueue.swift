import HTTPTypes
import Synchronization

/// A small bounded queue between the task that reads the log and the task that writes the
/// response: the reader waits when the client is slow (the log is re-read, never buffered without
/// bound), and the writer can wait for the next frame with a deadline (for heartbeats).
final class FrameQueue: Sendable {
    enum Next: Sendable {
        case frame([UInt8])
        case idle
        case finished
    }

    private struct State {
        var frames: [[UInt8]] = []
        var finished = false
        var consumer: CheckedContinuation<Void, Never>?
        /// Which `next(timeout:)` call `consumer` belongs to, so a stale timer never wakes a later one.
        var waitNumber: UInt64 = 0
        var producers: [CheckedContinuation<Void, Never>] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a frame, waiting while the queue is full. Returns false once finished.
    func push(_ frame: [UInt8]) async -> Bool {
        while true {
            enum Step { case done(Bool, CheckedContinuation<Void, Never>?), wait }
            let step = state.withLock { s -> Step in
                if s.finished { return .done(false, nil) }
                if s.frames.count < capacity {
                    s.frames.append(frame)
                    let consumer = s.consumer
                    s.consumer = nil
                    return .done(true, consumer)
                }
                return .wait
            }
            switch step {
            case .done(let ok, let consumer):
                consumer?.resume()
                return ok
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if s.finished || s.frames.count < capacity { return true }
                        s.producers.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    /// Ends the queue: waiting producers return false, the consumer drains then sees `finished`.
    func finish() {
        let (consumer, producers) = state.withLock { s in
            s.finished = true
            defer {
                s.consumer = nil
                s.producers = []
            }
            return (s.consumer, s.producers)
        }
        consumer?.resume()
        for p in producers { p.resume() }
    }

    /// The next frame, `idle` when none arrived within `timeout`, or `finished`.
    func next(timeout: Duration) async -> Next {
        if let ready = take() { return ready }
        let number = state.withLock { s in
            s.waitNumber += 1
            return s.waitNumber
        }
        let wake = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.wakeConsumer(number)
        }
        defer { wake.cancel() }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if !s.frames.isEmpty || s.finished { return true }
                s.consumer = c
                return false
            }
            if resumeNow { c.resume() }
        }
        return take() ?? .idle
    }

    private func wakeConsumer(_ number: UInt64) {
        let consumer = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.waitNumber == number else { return nil }
            defer { s.consumer = nil }
            return s.consumer
        }
        consumer?.resume()
    }

    /// Appends frames already queued to `bytes`, while it stays under `maxBytes` (so one write
    /// carries everything a fast log produced meanwhile).
    func takeQueued(into bytes: inout [UInt8], maxBytes: Int) {
        let (frames, producers) = state.withLock { s -> ([[UInt8]], [CheckedContinuation<Void, Never>]) in
            var taken: [[UInt8]] = []
            var size = bytes.count
            while let first = s.frames.first, size + first.count <= maxBytes {
                size += first.count
                taken.append(s.frames.removeFirst())
            }
            let woken = Array(s.producers.prefix(taken.count))
            s.producers.removeFirst(woken.count)
            return (taken, woken)
        }
        for frame in frames { bytes += frame }
        for producer in producers { producer.resume() }
    }

    private func take() -> Next? {
        let (next, producer) = state.withLock { s -> (Next?, CheckedContinuation<Void, Never>?) in
            if !s.frames.isEmpty {
                let frame = s.frames.removeFirst()
                return (.frame(frame), s.producers.isEmpty ? nil : s.producers.removeFirst())
            }
            return (s.finished ? .finished : nil, nil)
        }
        producer?.resume()
        return next
    }
}
