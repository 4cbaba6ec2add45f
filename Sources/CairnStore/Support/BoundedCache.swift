/// A cache of at most about `limit` entries that keeps what is in use.
///
/// Two generations: entries go into the young one, and when it holds half the limit the old
/// one is dropped and the young one takes its place. A hit in the old generation moves the
/// entry back to the young one, so an entry asked for at least once per half-limit of
/// insertions is never dropped, while a stream of entries asked for once (an import of new
/// customers, a replay over every subject) pushes through without emptying the cache of
/// the hot ones — which emptying the whole cache when full did. Not thread-safe: guard it.
struct BoundedCache<Key: Hashable, Value> {
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]
    private let half: Int

    init(limit: Int) { half = max(1, limit / 2) }

    var count: Int { young.count + old.count }

    mutating func value(for key: Key) -> Value? {
        if let value = young[key] { return value }
        guard let value = old.removeValue(forKey: key) else { return nil }
        insert(value, for: key)
        return value
    }

    mutating func insert(_ value: Value, for key: Key) {
        if young.count >= half, young[key] == nil {
            old = young
            young = [:]
            young.reserveCapacity(half)
        }
        young[key] = value
    }

    /// Drops the entries whose keys `isDropped` picks.
    mutating func removeAll(where isDropped: (Key) -> Bool) {
        young = young.filter { !isDropped($0.key) }
        old = old.filter { !isDropped($0.key) }
    }

    mutating func removeAll() {
        young = [:]
        old = [:]
    }
}
