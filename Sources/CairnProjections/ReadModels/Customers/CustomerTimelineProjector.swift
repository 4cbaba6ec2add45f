import CairnDomain
package import CairnStore

/// Folds every event that concerns a customer (its envelope names a `subject`) into the
/// contact-point timeline compliance reads.
///
/// Databases:
/// - `entries`: `<customer id> 0x00 <position>` → ``CustomerTimelineEntry`` (binary), so one
///   customer's history is one contiguous, position-ordered key range;
/// - `customers`: customer id → ``CustomerTimelineMeta`` (merges, erasure, current field values
///   for the old side of profile changes);
/// - `references`: `campaign:<id>` / `case:<id>` → channel, for responses and case messages,
///   whose events do not repeat it.
///
/// Merges are not copied: the survivor's meta lists what it absorbed and queries interleave
/// the members' ranges by position. Erasure rewrites the erased customer's entries (and those
/// of every duplicate merged into it: the same person) without their personal parts, and
/// later events for it are stored without them.
package struct CustomerTimelineProjector: Projector {
    package let name = "customer-timeline"
    package let version = 1
    package let eventTypePrefixes = ["customers.", "sales.", "marketing.", "service."]
    package let databaseNames = ["customers", "entries", "references"]

    package init() {}

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var fold = CustomerTimelineFold(model: model)
        for event in events {
            try fold.apply(event, txn)
        }
        try fold.flush(txn)
    }
}

/// One batch's fold: customer metas are read once, changed in memory and written back at the end.
struct CustomerTimelineFold {
    let model: ReadModel
    var metas: [String: CustomerTimelineMeta] = [:]
    var dirty: Set<String> = []

    init(model: ReadModel) { self.model = model }

    mutating func meta(_ id: String, _ txn: borrowing LMDBWriteTransaction) throws -> CustomerTimelineMeta {
        if let cached = metas[id] { return cached }
        let meta = try txn.get(model["customers"], Array(id.utf8)).map { try CustomerTimelineMeta(stored: $0) } ?? CustomerTimelineMeta()
        metas[id] = meta
        return meta
    }

    mutating func update(_ id: String, _ txn: borrowing LMDBWriteTransaction, _ change: (inout CustomerTimelineMeta) -> Void) throws {
        if metas[id] == nil { metas[id] = try meta(id, txn) }
        change(&metas[id]!)  // in place, so the meta's arrays are not copied
        dirty.insert(id)
    }

    func flush(_ txn: borrowing LMDBWriteTransaction) throws {
        for id in dirty.sorted() {
            try txn.put(model["customers"], Array(id.utf8), metas[id]!.encoded())
        }
    }

    func reference(_ key: String, _ txn: borrowing LMDBWriteTransaction) throws -> String? {
        try txn.get(model["references"], Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    func setReference(_ key: String, _ value: String, _ txn: borrowing LMDBWriteTransaction) throws {
        try txn.put(model["references"], Array(key.utf8), Array(value.utf8))
    }

    mutating func apply(_ projected: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction) throws {
        let event = projected.record
        guard let subject = projected.subject else {
            if projected.type == "marketing.CampaignCreated", case .campaign(.created(let created)) = try projected.decoded() {
                try setReference("campaign:" + created.campaignId, created.channel.rawValue, txn)
            }
            return
        }
        let decoded = try projected.decoded()
        var meta = try meta(subject, txn)
        let before = meta
        guard let description = try describe(decoded, event, &meta, txn) else { return }
        if meta != before {
            metas[subject] = meta
            dirty.insert(subject)
        }
        var entry = CustomerTimelineEntry(
            customerId: subject, position: projected.position, eventId: event.id, eventType: projected.type,
            recordedAt: event.recordedAt, occurredAt: event.occurredAt ?? description.businessTime, kind: description.kind,
            channel: description.channel, actor: event.actor, summary: description.summary, detail: description.detail,
            changes: description.changes, isErased: false)
        if meta.erased { entry = entry.erased() }
        try txn.put(model["entries"], CustomerModelKey.entry(subject, projected.position), entry.encoded())
        if case .customer(.personalDataErased) = decoded { try erase(subject, txn) }
    }

    /// Drops the personal data of `id` and of every duplicate merged into it.
    private mutating func erase(_ id: String, _ txn: borrowing LMDBWriteTransaction) throws {
        var pending = [id]
        var seen: Set<String> = []
        while let member = pending.popLast() {
            guard seen.insert(member).inserted else { continue }
            try update(member, txn) { $0.erase() }
            pending += metas[member]!.absorbed.map(\.customerId)
            var rewritten: [([UInt8], [UInt8])] = []
            let prefix = Array(member.utf8) + [0]
            let cursor = try txn.cursor(model["entries"])
            var current = try cursor.seek(atLeast: prefix)
            while let (key, value) = current, CustomerModelKey.hasPrefix(key, prefix) {
                let entry = try CustomerTimelineEntry(
                    customerId: member, position: CustomerModelKey.position(fromEntryKey: key), stored: value)
                if !entry.isErased { rewritten.append((Array(key), entry.erased().encoded())) }
                current = try cursor.next()
            }
            for (key, value) in rewritten { try txn.put(model["entries"], key, value) }
        }
    }
}
