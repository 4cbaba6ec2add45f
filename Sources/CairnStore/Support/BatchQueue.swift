import Dispatch
import Synchronization

/// Items many tasks hand to one thread, which takes whatever has gathered while it worked, batch
/// by batch, until none is left: the shape of every group commit here (``GroupWriter``, the
/// key store's key making).
///
/// `process` is what that thread does with a batch, the same for every item of one queue; it is
/// given with each item instead of kept, so a queue never holds its owner.
package final class BatchQueue<Item: Sendable>: Sendable {
    private let pending = Mutex<(items: [Item], draining: Bool)>(([], false))
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    package func add(_ item: Item, process: @escaping @Sendable ([Item]) -> Void) {
        let start = pending.withLock { pending -> Bool in
            pending.items.append(item)
            defer { pending.draining = true }
            return !pending.draining
        }
        if start { queue.async { self.drain(process) } }
    }

    private func drain(_ process: ([Item]) -> Void) {
        while true {
            let batch = pending.withLock { pending -> [Item] in
                if pending.items.isEmpty { pending.draining = false }
                defer { pending.items = [] }
                return pending.items
            }
            guard !batch.isEmpty else { return }
            process(batch)
        }
    }
}
