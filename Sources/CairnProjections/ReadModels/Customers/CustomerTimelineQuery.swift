package import CairnStore

/// Which timeline entries a query wants; nil or empty means "any".
package struct CustomerTimelineFilter: Sendable, Hashable {
    package var kinds: Set<CustomerTimelineKind> = []
    package var channels: Set<String> = []
    package var actors: Set<String> = []
    /// Entries recorded at or after this time.
    package var recordedFrom: Timestamp?
    /// Entries recorded at or before this time.
    package var recordedThrough: Timestamp?

    package init(
        kinds: Set<CustomerTimelineKind> = [], channels: Set<String> = [], actors: Set<String> = [],
        recordedFrom: Timestamp? = nil, recordedThrough: Timestamp? = nil
    ) {
        self.kinds = kinds
        self.channels = channels
        self.actors = actors
        self.recordedFrom = recordedFrom
        self.recordedThrough = recordedThrough
    }

    func matches(_ entry: CustomerTimelineEntry) -> Bool {
        (kinds.isEmpty || kinds.contains(entry.kind))
            && (channels.isEmpty || entry.channel.map(channels.contains) == true)
            && (actors.isEmpty || actors.contains(entry.actor))
            && (recordedFrom.map { entry.recordedAt >= $0 } ?? true)
            && (recordedThrough.map { entry.recordedAt <= $0 } ?? true)
    }
}

/// Oldest first or newest first.
package enum CustomerTimelineDirection: UInt8, Sendable, Hashable {
    case forward = 0
    case backward = 1

    var reversed: Self { self == .forward ? .backward : .forward }
}

/// One page of a customer's unified timeline.
package struct CustomerTimelinePage: Sendable, Hashable {
    /// The id asked for.
    package var requestedId: String
    /// The customer whose timeline this is: the requested one, or the survivor it was merged into.
    package var customerId: String
    /// `customerId` and every duplicate merged into it (transitively), whose entries interleave here.
    package var memberIds: [String]
    /// In the page's direction: ascending positions forwards, descending backwards.
    package var entries: [CustomerTimelineEntry]
    /// Continues in the same direction; nil when nothing more matches.
    package var next: String?
    /// Pages back the other way, from this page's first entry; nil at the start.
    package var previous: String?
}

/// Queries over ``CustomerTimelineProjector``'s model.
///
/// Merged customers show one unified timeline. Asking for a duplicate that was merged away
/// answers with its survivor's timeline (following further merges), which holds the
/// duplicate's own entries too; the page says which customer it resolved to. As-of queries
/// resolve merges only as they stood at that time.
package enum CustomerTimelineQuery {
    package static let projection = "customer-timeline"

    /// A page of `customerId`'s timeline (nil for a customer the timeline has never seen), at
    /// most `limit` entries (clamped to 1...1000). A cursor from an earlier page carries its own
    /// direction and overrides `direction`; pass the same filter and as-of point with it.
    package static func page(
        _ engine: ProjectionEngine, customerId: String, filter: CustomerTimelineFilter = .init(),
        direction: CustomerTimelineDirection = .forward, limit: Int = 50, cursor: String? = nil
    ) throws -> CustomerTimelinePage? {
        try read(engine, customerId, filter, direction, limit, cursor, asOf: AsOf())
    }

    /// The timeline as it stood at `time`: entries recorded up to then, and merges as they were.
    /// Data erased since stays erased: an as-of view never brings personal data back.
    package static func asOf(
        _ engine: ProjectionEngine, customerId: String, time: Timestamp, filter: CustomerTimelineFilter = .init(),
        direction: CustomerTimelineDirection = .forward, limit: Int = 50, cursor: String? = nil
    ) throws -> CustomerTimelinePage? {
        var filter = filter
        filter.recordedThrough = min(filter.recordedThrough ?? time, time)
        return try read(engine, customerId, filter, direction, limit, cursor, asOf: AsOf(time: time.microsecondsSinceEpoch))
    }

    /// The timeline as it stood once the log reached `position`: entries at or before it, and
    /// merges as they were.
    package static func asOf(
        _ engine: ProjectionEngine, customerId: String, position: UInt64, filter: CustomerTimelineFilter = .init(),
        direction: CustomerTimelineDirection = .forward, limit: Int = 50, cursor: String? = nil
    ) throws -> CustomerTimelinePage? {
        try read(engine, customerId, filter, direction, limit, cursor, asOf: AsOf(position: position))
    }

    /// The point in history a query looks from; empty means "now".
    struct AsOf {
        var time: Int64?
        var position: UInt64?

        func includes(at: Int64, position: UInt64) -> Bool {
            (time.map { at <= $0 } ?? true) && (self.position.map { position <= $0 } ?? true)
        }
    }

    struct BadCursor: QueryArgumentError {
        var parameter: String { "cursor" }
        var description: String { "malformed timeline cursor" }
    }

    private static func encodeCursor(_ direction: CustomerTimelineDirection, after position: UInt64) -> String {
        var bytes = [direction.rawValue]
        withUnsafeBytes(of: position.bigEndian) { bytes.append(contentsOf: $0) }
        return CustomerModelCursor.encode(bytes)
    }

    private static func decodeCursor(_ text: String) throws -> (CustomerTimelineDirection, UInt64) {
        guard let bytes = CustomerModelCursor.decode(text), bytes.count == 9,
            let direction = CustomerTimelineDirection(rawValue: bytes[0])
        else { throw BadCursor() }
        let position = bytes[1...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (direction, position)
    }

    private static func read(
        _ engine: ProjectionEngine, _ requestedId: String, _ filter: CustomerTimelineFilter, _ direction: CustomerTimelineDirection,
        _ limit: Int, _ cursor: String?, asOf: AsOf
    ) throws -> CustomerTimelinePage? {
        let limit = max(1, min(limit, 1000))
        var direction = direction
        var after: UInt64?
        if let cursor { (direction, after) = try decodeCursor(cursor) }
        return try engine.read(projection) { model, txn in
            // Resolve to the survivor, as merges stood at `asOf`.
            var customerId = requestedId
            var current = try meta(model, txn, customerId)
            var hops = 0
            while let survivor = current?.survivorId, asOf.includes(at: current!.mergedAt, position: current!.mergedPosition), hops < 64 {
                customerId = survivor
                current = try meta(model, txn, survivor)
                hops += 1
            }
            // Members: the survivor and everything merged into it, transitively.
            var members: [String] = []
            var pending = [customerId]
            while let member = pending.popLast() {
                guard !members.contains(member) else { continue }
                members.append(member)
                let absorbed = member == customerId ? current?.absorbed ?? [] : try meta(model, txn, member)?.absorbed ?? []
                pending += absorbed.filter { asOf.includes(at: $0.at, position: $0.position) }.map(\.customerId)
            }
            var found: [CustomerTimelineEntry] = []
            for member in members {
                found += try scan(model, txn, member, filter, direction, after: after, through: asOf.position, limit: limit + 1)
            }
            if current == nil && found.isEmpty && after == nil {
                // Unknown unless it has any entry at all.
                let any = try scan(model, txn, requestedId, CustomerTimelineFilter(), .forward, after: nil, through: nil, limit: 1)
                if any.isEmpty { return nil }
            }
            found.sort { direction == .forward ? $0.position < $1.position : $0.position > $1.position }
            let hasMore = found.count > limit
            if hasMore { found.removeLast(found.count - limit) }
            var previous: String?
            if let after {
                let edge = found.first?.position ?? (direction == .forward ? after &+ 1 : after &- 1)
                previous = encodeCursor(direction.reversed, after: edge)
            }
            return CustomerTimelinePage(
                requestedId: requestedId, customerId: customerId, memberIds: members.sorted(), entries: found,
                next: hasMore ? encodeCursor(direction, after: found.last!.position) : nil, previous: previous)
        }
    }

    private static func meta(_ model: ReadModel, _ txn: borrowing LMDBReadTransaction, _ id: String) throws -> CustomerTimelineMeta? {
        try txn.get(model["customers"], Array(id.utf8)).map { try CustomerTimelineMeta(stored: $0) }
    }

    /// Up to `limit` matching entries of one customer's own range, strictly after `after` in
    /// `direction`. `recordedAt` never decreases along positions, so a time bound ends the scan.
    private static func scan(
        _ model: ReadModel, _ txn: borrowing LMDBReadTransaction, _ customerId: String, _ filter: CustomerTimelineFilter,
        _ direction: CustomerTimelineDirection, after: UInt64?, through: UInt64?, limit: Int
    ) throws -> [CustomerTimelineEntry] {
        let prefix = Array(customerId.utf8) + [0]
        let cursor = try txn.cursor(model["entries"])
        var entry: LMDBCursor.Entry?
        switch direction {
        case .forward:
            if let after {
                guard after < .max else { return [] }
                entry = try cursor.seek(atLeast: CustomerModelKey.entry(customerId, after + 1))
            } else {
                entry = try cursor.seek(atLeast: prefix)
            }
        case .backward:
            // Positions start at 1 and never reach UInt64.max, so an exclusive bound of .max misses nothing.
            let bound = min(after ?? .max, through.map { $0 == .max ? .max : $0 + 1 } ?? .max)
            // The last key below `<id> 0x00 <bound>`: seek to it, then step back.
            if try cursor.seek(atLeast: CustomerModelKey.entry(customerId, bound)) != nil {
                entry = try cursor.previous()
            } else {
                entry = try cursor.last()
            }
        }
        var out: [CustomerTimelineEntry] = []
        while let (key, value) = entry, CustomerModelKey.hasPrefix(key, prefix), key.count == prefix.count + 8, out.count < limit {
            let item = try CustomerTimelineEntry(
                customerId: customerId, position: CustomerModelKey.position(fromEntryKey: key), stored: value)
            if direction == .forward, let through = filter.recordedThrough, item.recordedAt > through { break }
            if direction == .forward, let through, item.position > through { break }
            if direction == .backward, let from = filter.recordedFrom, item.recordedAt < from { break }
            if filter.matches(item) { out.append(item) }
            entry = try direction == .forward ? cursor.next() : cursor.previous()
        }
        return out
    }
}
