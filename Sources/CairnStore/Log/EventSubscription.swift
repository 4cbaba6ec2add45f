/// Follows the log from a position: it catches up from storage, then waits for each commit
/// and reads what it added. Positions arrive in order, none skipped, none repeated.
///
/// It pulls from the log at the consumer's pace and holds at most one batch, so a slow
/// consumer neither slows the writer nor grows memory; it simply falls behind and catches up
/// from storage. The sequence ends when the task is cancelled or the log closes.
///
/// A subscription learns of commits from this process's writer. To follow a log that another
/// process writes, give `pollInterval`: the subscription then also looks every interval.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let log: EventLog
    let from: UInt64
    let filter: EventFilter
    let batchSize: Int
    let pollInterval: Duration?

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, next: Swift.max(from, 1), filter: filter, batchSize: batchSize, pollInterval: pollInterval)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        /// The next position to examine.
        var next: UInt64
        let filter: EventFilter
        let batchSize: Int
        let pollInterval: Duration?
        var buffer: [RecordedEvent] = []
        var index = 0

        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if index < buffer.count {
                    defer { index += 1 }
                    return buffer[index]
                }
                if Task.isCancelled { return nil }
                buffer = []
                index = 0
                let page: LogPage
                do {
                    page = try log.read(from: next, limit: batchSize, filter: filter, maxScanned: batchSize * 64)
                } catch let error as LMDBError where error == .closed {
                    return nil
                }
                buffer = page.events
                let advanced = page.next != next
                next = page.next
                // Nothing stored past `next` yet: park until a commit reaches it.
                if buffer.isEmpty && !advanced {
                    guard await waitForCommit() else { return nil }
                }
            }
        }

        /// Waits for this process's writer to commit past `next`; with a poll interval, also
        /// wakes after it to look for appends made by another process.
        private func waitForCommit() async -> Bool {
            guard let pollInterval else { return await log.watch.wait(for: next) }
            let watch = log.watch
            let target = next
            return await withTaskGroup(of: Bool?.self) { group in
                group.addTask { await watch.wait(for: target) }
                group.addTask {
                    try? await Task.sleep(for: pollInterval)
                    return Task.isCancelled ? false : nil
                }
                let first = await group.next()!
                group.cancelAll()
                return first ?? !Task.isCancelled
            }
        }
    }
}
