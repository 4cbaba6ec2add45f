import CairnStore

/// What to search customers by. Names, emails and phones match by prefix (names per word, and
/// as a whole; case-insensitive; phones on their digits), tags exactly.
package enum Customer360Search: Sendable, Hashable {
    case name(String)
    case email(String)
    case phone(String)
    case tag(String)
}

/// One page of customers.
package struct Customer360Page: Sendable, Hashable {
    package var items: [Customer360]
    /// Pass back to get the next page; nil when nothing more matches.
    package var next: String?
}

/// Queries over ``Customer360Projector``'s model.
package enum Customer360Query {
    package static let projection = "customer-360"

    /// The view of `customerId`, nil when unknown. A duplicate that was merged away answers with
    /// its survivor's view when `followMerges` (the default): that view holds the duplicate's
    /// id in `mergedIds`; without it, the duplicate's own record (status `merged`, `mergedInto`).
    package static func customer(_ engine: ProjectionEngine, id: String, followMerges: Bool = true) throws -> Customer360? {
        try engine.read(projection) { model, txn in
            var view = try load(model, txn, id)
            var hops = 0
            while followMerges, let survivor = view?.mergedInto, hops < 64, let next = try load(model, txn, survivor) {
                view = next
                hops += 1
            }
            return view
        }
    }

    struct BadCursor: QueryArgumentError {
        var parameter: String { "cursor" }
        var description: String { "malformed customer list cursor" }
    }

    /// Customers in id order, or those matching `search` in index order; merged duplicates only
    /// when `includeMerged`, and only the given statuses when `statuses` is not empty. Each
    /// customer shows once, even when several of its names or emails match.
    package static func list(
        _ engine: ProjectionEngine, search: Customer360Search? = nil, statuses: Set<Customer360.Status> = [],
        includeMerged: Bool = false, limit: Int = 50, cursor: String? = nil
    ) throws -> Customer360Page {
        let limit = max(1, min(limit, 1000))
        let after = try cursor.map { text -> [UInt8] in
            guard let bytes = CustomerModelCursor.decode(text) else { throw BadCursor() }
            return bytes
        }
        let (database, prefix): (String, [UInt8]) =
            switch search {
            case nil: ("profiles", [])
            case .name(let text): ("byName", Array(Customer360.indexTerm(text.lowercased()).utf8))
            case .email(let text): ("byEmail", Array(Customer360.indexTerm(text.lowercased()).utf8))
            case .phone(let text): ("byPhone", Array(Customer360.indexTerm(Customer360.phoneKey(text)).utf8))
            case .tag(let text): ("byTag", Array(Customer360.indexTerm(text).utf8) + [0])
            }
        return try engine.read(projection) { model, txn in
            let cursor = try txn.cursor(model[database])
            let start = after ?? prefix
            var entry = try start.isEmpty ? cursor.first() : cursor.seek(atLeast: start)
            if let after, let (key, _) = entry, Array(key) == after { entry = try cursor.next() }
            var items: [Customer360] = []
            var seen: Set<String> = []
            var lastKey: [UInt8] = []
            var more = false
            while let (key, _) = entry, CustomerModelKey.hasPrefix(key, prefix) {
                let id =
                    database == "profiles"
                    ? String(decoding: key, as: UTF8.self)
                    : String(decoding: key[((key.lastIndex(of: 0) ?? -1) + 1)...], as: UTF8.self)
                if !seen.contains(id), let view = try load(model, txn, id),
                    database == "profiles" || isFirstMatch(view, database, prefix, key),
                    includeMerged || view.mergedInto == nil,
                    statuses.isEmpty || statuses.contains(view.status)
                {
                    if items.count == limit {
                        more = true
                        break
                    }
                    seen.insert(id)
                    items.append(view)
                    lastKey = Array(key)
                }
                entry = try cursor.next()
            }
            return Customer360Page(items: items, next: more ? CustomerModelCursor.encode(lastKey) : nil)
        }
    }

    /// A customer found through several terms (two name words, two emails) is listed at the
    /// first of them in index order only, so it shows once across all pages.
    private static func isFirstMatch(_ view: Customer360, _ database: String, _ prefix: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
        let term = Array(key[..<(key.lastIndex(of: 0) ?? key.count)])
        let matching = (view.searchable.indexTerms[database] ?? []).map { Array($0.utf8) }.filter { $0.starts(with: prefix.filter { $0 != 0 }) }
        guard let first = matching.min(by: { $0.lexicographicallyPrecedes($1) }) else { return true }
        return first == term
    }

    private static func load(_ model: ReadModel, _ txn: borrowing LMDBReadTransaction, _ id: String) throws -> Customer360? {
        try txn.get(model["profiles"], Array(id.utf8)).map { try Customer360(stored: $0) }
    }
}
