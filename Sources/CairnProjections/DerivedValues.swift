import Synchronization

/// Values that queries derive from a whole read model and keep between calls, each under a key
/// and the stamp of the content it was derived from: a value is reused only while a query
/// finds the same stamp, so it is never stale. One per engine (models of different logs never
/// share one); it holds at most `capacity` values and drops the least recently used first.
///
/// The stamp must change whenever anything the value depends on changes, and must mean the
/// same content in every build of the model (a log position does: folds are deterministic).
package final class DerivedValues: Sendable {
    private struct Entry {
        var stamp: UInt64
        var value: any Sendable
        var used: UInt64
    }

    private let entries = Mutex<(clock: UInt64, values: [String: Entry])>((0, [:]))
    private let capacity: Int

    package init(capacity: Int = 16) { self.capacity = capacity }

    /// The value kept for `key` at `stamp`, else `make()`'s — kept for the next caller. Two
    /// callers missing at once may both make it; either result is the same.
    package func value<T: Sendable>(_ key: String, stamp: UInt64, make: () throws -> T) rethrows -> T {
        let kept = entries.withLock { state -> T? in
            guard let entry = state.values[key], entry.stamp == stamp, let value = entry.value as? T else { return nil }
            state.clock += 1
            state.values[key]!.used = state.clock
            return value
        }
        if let kept { return kept }
        let made = try make()
        entries.withLock { state in
            state.clock += 1
            if state.values[key] == nil, state.values.count >= capacity,
                let oldest = state.values.min(by: { $0.value.used < $1.value.used })?.key
            {
                state.values[oldest] = nil
            }
            state.values[key] = Entry(stamp: stamp, value: made, used: state.clock)
        }
        return made
    }
}
