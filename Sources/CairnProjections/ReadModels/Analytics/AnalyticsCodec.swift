import CairnDomain
import CairnStore
import Foundation

/// Appends fixed-width big-endian integers and length-prefixed strings: the compact,
/// deterministic value layout the analytics read models store (no JSON on the fold path).
struct AnalyticsWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    mutating func string(_ value: String) {
        let utf8 = value.utf8
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Money as its canonical decimal text, so sums stay exact and readable in a dump.
    mutating func decimal(_ value: Decimal) { string(value.plainDescription) }

    /// Amounts per currency, currencies sorted so equal sums encode equally.
    mutating func sums(_ value: [String: Decimal]) {
        u32(UInt32(value.count))
        for currency in value.keys.sorted() {
            string(currency)
            decimal(value[currency]!)
        }
    }
}

/// Reads what ``AnalyticsWriter`` wrote. A short or malformed value is a corrupt model: it
/// throws rather than guessing, so the projection stops visibly.
struct AnalyticsReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, offset + count <= bytes.count else { throw AnalyticsModelError.corrupt }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u32() throws -> UInt32 { UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func string() throws -> String { String(decoding: try take(Int(try u32())), as: UTF8.self) }

    mutating func decimal() throws -> Decimal {
        let text = try string()
        guard let value = storedDecimal(text) else {
            throw AnalyticsModelError.corrupt
        }
        return value
    }

    mutating func sums() throws -> [String: Decimal] {
        var result: [String: Decimal] = [:]
        for _ in 0..<(try u32()) {
            let currency = try string()
            result[currency] = try decimal()
        }
        return result
    }
}

let analyticsPOSIX = Locale(identifier: "en_US_POSIX")

/// A decimal as read models store it (its `description`): plain notation takes the fast path.
func storedDecimal(_ text: String) -> Decimal? {
    Decimal(plainNotation: text) ?? Decimal(string: text, locale: analyticsPOSIX)
}

/// A stored analytics value could not be read back.
struct AnalyticsModelError: Error, CustomStringConvertible {
    static let corrupt = AnalyticsModelError(description: "analytics read model value is truncated or malformed")
    var description: String
}

/// One page of a list query: the items and, when more follow, an opaque cursor for the next page.
package struct AnalyticsPage<Item: Sendable>: Sendable {
    package var items: [Item]
    /// Pass it back as `after` to get the next page; nil on the last page.
    package var nextCursor: String?
}

/// Cursors are the hex of the last item's sort key: opaque to callers, exact to resume from.
enum AnalyticsCursor {
    static func encode(_ key: [UInt8]) -> String { PageCursor.encode(key) }

    /// Nil for a cursor that is not one of ours.
    static func decode(_ text: String) -> [UInt8]? { PageCursor.decode(text) }

    /// The cursor as a key, or an `invalidCursor` error.
    static func key(_ cursor: String?) throws -> [UInt8]? {
        guard let cursor else { return nil }
        guard let key = decode(cursor) else { throw AnalyticsQueryError.invalidCursor }
        return key
    }
}

/// A query argument the analytics read models cannot serve.
package struct AnalyticsQueryError: QueryArgumentError, Hashable {
    private enum Internal: Hashable { case invalidCursor, invalidLimit }
    private let kind: Internal
    /// The cursor was not produced by this query.
    package static var invalidCursor: Self { Self(kind: .invalidCursor) }
    /// The page size is not 1…1000.
    package static var invalidLimit: Self { Self(kind: .invalidLimit) }
    package var parameter: String { kind == .invalidCursor ? "cursor" : "limit" }
    package var description: String {
        switch kind {
        case .invalidCursor: "the cursor was not produced by this query"
        case .invalidLimit: "limit must be 1…1000"
        }
    }

    static func check(limit: Int) throws {
        guard (1...1000).contains(limit) else { throw invalidLimit }
    }
}

/// Sorts `items` by `key`, keeps those after `cursor` and cuts a page of `limit`: the list
/// queries whose order is computed at query time (ages, deadlines) page through this.
func analyticsPage<Item>(
    _ items: [Item], key: (Item) -> [UInt8], limit: Int, after cursor: String?
) throws -> AnalyticsPage<Item> {
    try AnalyticsQueryError.check(limit: limit)
    let after = try AnalyticsCursor.key(cursor)
    var keyed = items.map { (key($0), $0) }
    keyed.sort { $0.0.lexicographicallyPrecedes($1.0) }
    if let after { keyed.removeAll { !after.lexicographicallyPrecedes($0.0) } }
    let page = keyed.prefix(limit)
    let next = keyed.count > limit ? page.last.map { AnalyticsCursor.encode($0.0) } : nil
    return AnalyticsPage(items: page.map(\.1), nextCursor: next)
}

extension RecordedEvent {
    /// Business time when given, else the server time, in milliseconds.
    var analyticsMillis: Int64 { (occurredAt ?? recordedAt).microsecondsSinceEpoch / 1000 }
}

extension Array where Element == UInt8 {
    mutating func appendAnalyticsKey(_ value: UInt64) { Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) } }
    /// Signed values sort correctly once the sign bit is flipped.
    mutating func appendAnalyticsKey(_ value: Int64) { appendAnalyticsKey(UInt64(bitPattern: value) ^ (1 << 63)) }
}

/// Percentiles by nearest rank over sorted samples: always a value that occurred, so exact.
func analyticsPercentile(_ sorted: [Int64], _ p: Int) -> Int64? {
    guard !sorted.isEmpty else { return nil }
    let rank = max(1, (p * sorted.count + 99) / 100)
    return sorted[min(rank, sorted.count) - 1]
}

/// A value an analytics read model keeps under one key.
protocol AnalyticsRecord {
    init(reading reader: inout AnalyticsReader) throws
    func write(to writer: inout AnalyticsWriter)
}

extension AnalyticsRecord {
    init(bytes: UnsafeRawBufferPointer) throws {
        var reader = AnalyticsReader(bytes)
        try self.init(reading: &reader)
    }

    var encoded: [UInt8] {
        var writer = AnalyticsWriter()
        write(to: &writer)
        return writer.bytes
    }
}

/// The records one fold batch touches, read once and written once at the end of the batch
/// (nil deletes): a busy opportunity or campaign costs one get and one put per batch, not
/// per event.
struct AnalyticsBatch<Value: AnalyticsRecord> {
    let database: LMDBDatabase
    private var cache: [[UInt8]: Value?] = [:]

    init(_ database: LMDBDatabase) { self.database = database }

    mutating func get(_ key: [UInt8], _ txn: borrowing LMDBWriteTransaction) throws -> Value? {
        if let cached = cache[key] { return cached }
        let stored = try txn.get(database, key).map { try Value(bytes: $0) }
        cache[key] = .some(stored)
        return stored
    }

    mutating func set(_ key: [UInt8], _ value: Value?) { cache[key] = .some(value) }

    func flush(_ txn: borrowing LMDBWriteTransaction) throws {
        for (key, value) in cache {
            if let value { try txn.put(database, key, value.encoded) } else { try txn.delete(database, key) }
        }
    }
}
