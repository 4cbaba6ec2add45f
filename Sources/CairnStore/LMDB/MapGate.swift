import Foundation

/// Guards LMDB's memory map against being replaced while a transaction reads through it.
///
/// Growing the map (`mdb_env_set_mapsize`) unmaps and remaps the file, so it may only run when no
/// transaction of this process is open. Every transaction holds the gate shared for its short
/// life; a resize takes it exclusively. A pending resize blocks new transactions, so a steady
/// stream of readers cannot starve it.
final class MapGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var active = 0
    private var resizing = false

    func enter() {
        condition.lock()
        while resizing { condition.wait() }
        active += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        active -= 1
        if active == 0 && resizing { condition.broadcast() }
        condition.unlock()
    }

    func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        while resizing { condition.wait() }
        resizing = true
        while active > 0 { condition.wait() }
        condition.unlock()
        defer {
            condition.lock()
            resizing = false
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
