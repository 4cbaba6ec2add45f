import Testing

@testable import CairnStore

@Suite("Bounded caches")
struct BoundedCacheTests {
    @Test func staysWithinItsLimitHoweverManyKeysPassThrough() {
        var cache = BoundedCache<Int, Int>(limit: 100)
        for key in 0..<10_000 {
            cache.insert(key * 2, for: key)
            #expect(cache.count <= 100)
        }
        #expect(cache.value(for: 9_999) == 19_998)
        #expect(cache.value(for: 0) == nil)
    }

    /// What emptying the cache when full got wrong: a key asked for steadily while a stream of
    /// keys asked for once passes through is never dropped.
    @Test func keepsWhatIsInUseWhileAStreamPassesThrough() {
        var cache = BoundedCache<String, Int>(limit: 64)
        cache.insert(1, for: "hot")
        for key in 0..<5_000 {
            cache.insert(key, for: "cold-\(key)")
            if key % 16 == 0 { #expect(cache.value(for: "hot") == 1, "dropped after \(key) cold keys") }
        }
        // Not asked for over more than half the limit of insertions: gone.
        for key in 0..<64 { cache.insert(key, for: "later-\(key)") }
        #expect(cache.value(for: "hot") == nil)
    }

    @Test func replacesAndRemovesEntries() {
        var cache = BoundedCache<String, Int?>(limit: 8)
        cache.insert(1, for: "a")
        cache.insert(nil, for: "erased")
        cache.insert(2, for: "a")
        #expect(cache.value(for: "a") == .some(2))
        #expect(cache.value(for: "erased") == .some(nil))
        #expect(cache.value(for: "missing") == nil)
        for key in 0..<6 { cache.insert(key, for: "k\(key)") }
        cache.removeAll { $0.hasPrefix("k") }
        #expect(cache.value(for: "k5") == nil)
        #expect(cache.value(for: "a") == .some(2))
        cache.removeAll()
        #expect(cache.count == 0)
    }
}
