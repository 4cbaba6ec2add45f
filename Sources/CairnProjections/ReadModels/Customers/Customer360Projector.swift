import CairnDomain
package import CairnStore
import Foundation

/// Folds customer, sales, marketing and service events into one ``Customer360`` per customer.
///
/// Databases:
/// - `profiles`: customer id → ``Customer360`` (binary);
/// - `byName`, `byEmail`, `byPhone`, `byTag`: `<term> 0x00 <customer id>` → empty, the search
///   indexes (lowercased name words and full names, lowercased emails, phone digits, tags);
/// - `facts`: `opportunity:<id>` / `case:<id>` → what a reopening needs to list it again.
///
/// Commercial facts (opportunities, cases, orders, last contact) of a merged duplicate move to
/// its survivor at the merge, and later ones follow the merge, so the survivor's view covers
/// the whole person. Erasure drops the personal fields of the customer and of the duplicates
/// merged into it, and removes them from the name, email and phone indexes.
package struct Customer360Projector: Projector {
    package let name = "customer-360"
    package let version = 1
    package let eventTypePrefixes = [
        "customers.", "sales.ActivityLogged", "sales.Opportunity", "sales.OrderRecorded", "marketing.Message",
        "marketing.Recipient", "service.",
    ]
    package let databaseNames = ["byEmail", "byName", "byPhone", "byTag", "facts", "profiles"]

    package init() {}

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var fold = Customer360Fold(model: model)
        for projected in events {
            guard let subject = projected.subject else { continue }
            let decoded = try projected.decoded()
            try fold.apply(decoded, subject: subject, projected, txn)
        }
        try fold.flush(txn)
    }
}

/// One batch's fold: each touched view is read once, changed in memory, and written back (with
/// its index rows) at the end.
struct Customer360Fold {
    /// A view being folded, held by reference: reading one field of it or changing it in place
    /// never copies the whole view (every array and string in it retained and released).
    final class Held {
        var view: Customer360
        /// What the stored view's index terms were made from (nil: not stored before this
        /// batch): most events change none of it, and then the index rows stay as they are.
        let stored: Customer360.Searchable?
        init(_ view: Customer360, stored: Customer360.Searchable?) {
            self.view = view
            self.stored = stored
        }
    }

    let model: ReadModel
    var views: [String: Held] = [:]
    /// Ids looked up and found not stored, so the model is asked once.
    var absent: Set<String> = []
    var dirty: Set<String> = []
    /// Facts (`opportunity:<id>`, `case:<id>`) read or set in this batch (nil: none stored);
    /// an opportunity's events mostly fall in one batch, so each is read and written once.
    var facts: [String: [String]?] = [:]
    var dirtyFacts: Set<String> = []

    init(model: ReadModel) { self.model = model }

    /// The view of `id` in this batch, read from the model the first time; nil while it has
    /// none (the model is asked once).
    mutating func held(_ id: String, _ txn: borrowing LMDBWriteTransaction) throws -> Held? {
        if let held = views[id] { return held }
        if absent.contains(id) { return nil }
        guard let stored = try txn.get(model["profiles"], Array(id.utf8)) else {
            absent.insert(id)
            return nil
        }
        let view = try Customer360(stored: stored)
        let held = Held(view, stored: view.searchable)
        views[id] = held
        return held
    }

    mutating func modify(
        _ id: String, _ position: UInt64, _ txn: borrowing LMDBWriteTransaction, _ body: (inout Customer360) throws -> Void
    ) throws {
        let held: Held
        if let existing = try self.held(id, txn) {
            held = existing
        } else {
            held = Held(Customer360(customerId: id), stored: nil)
            views[id] = held
        }
        try body(&held.view)
        held.view.lastPosition = position
        dirty.insert(id)
    }

    /// Where facts about `id` belong now: its survivor, through any chain of merges.
    mutating func resolve(_ id: String, _ txn: borrowing LMDBWriteTransaction) throws -> String {
        var current = id
        for _ in 0..<64 {
            guard let next = try held(current, txn)?.view.mergedInto else { break }
            current = next
        }
        return current
    }

    func flush(_ txn: borrowing LMDBWriteTransaction) throws {
        for key in dirtyFacts.sorted() {
            guard let values = facts[key] ?? nil else { continue }
            try txn.put(model["facts"], Array(key.utf8), Array(values.joined(separator: "|").utf8))
        }
        for id in dirty.sorted() {
            let held = views[id]!
            let searchable = held.view.searchable
            if searchable != held.stored {
                let old = held.stored?.indexTerms ?? [:]
                for (database, terms) in searchable.indexTerms {
                    let before = old[database] ?? []
                    for term in before.subtracting(terms) { try txn.delete(model[database], CustomerModelKey.indexed(term, id)) }
                    for term in terms.subtracting(before) { try txn.put(model[database], CustomerModelKey.indexed(term, id), []) }
                }
            }
            try txn.put(model["profiles"], Array(id.utf8), held.view.encoded())
        }
    }

    /// A fact as this batch knows it: read once, then kept with the batch's changes.
    mutating func fact(_ key: String, _ txn: borrowing LMDBWriteTransaction) throws -> [String]? {
        if let known = facts[key] { return known }
        let stored = try txn.get(model["facts"], Array(key.utf8)).map {
            String(decoding: $0, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
        facts[key] = .some(stored)
        return stored
    }

    /// Sets a fact for the rest of the batch; ``flush(_:)`` writes it.
    mutating func setFact(_ key: String, _ values: [String]) {
        facts[key] = .some(values)
        dirtyFacts.insert(key)
    }

    static func micros(_ t: CairnDomain.Timestamp) -> CairnStore.Timestamp {
        CairnStore.Timestamp(microsecondsSinceEpoch: t.millisecondsSinceEpoch &* 1000)
    }

    static func contact(_ view: inout Customer360, _ at: CairnDomain.Timestamp) {
        let t = micros(at)
        if view.lastContactAt.map({ $0 < t }) ?? true { view.lastContactAt = t }
    }

    mutating func apply(_ decoded: DomainEvent, subject: String, _ event: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction) throws {
        switch decoded {
        case .customer(let e): try applyCustomer(e, subject, event, txn)
        case .activity(.logged(let a)):
            try modify(try resolve(subject, txn), event.position, txn) { Self.contact(&$0, a.occurredAt) }
        case .order(.recorded(let o)):
            try modify(try resolve(subject, txn), event.position, txn) { view in
                view.orderCount += 1
                Self.addOrderTotal(&view, o.currency, o.total)
            }
        case .opportunity(let e): try applyOpportunity(e, subject, event, txn)
        case .campaign(let e):
            let at: CairnDomain.Timestamp? =
                switch e {
                case .messageSent(let m): m.sentAt
                case .opened(let r), .replied(let r): r.at
                case .clicked(let c): c.at
                default: nil
                }
            if let at { try modify(try resolve(subject, txn), event.position, txn) { Self.contact(&$0, at) } }
        case .serviceCase(let e): try applyCase(e, subject, event, txn)
        case .lead, .task, .compliance: break
        }
    }

    static func addOrderTotal(_ view: inout Customer360, _ currency: String, _ amount: Decimal) {
        if let index = view.orderTotals.firstIndex(where: { $0.currency == currency }) {
            view.orderTotals[index].total += amount
        } else {
            view.orderTotals.append(.init(currency: currency, total: amount))
            view.orderTotals.sort { $0.currency < $1.currency }
        }
    }

    private mutating func applyOpportunity(
        _ e: OpportunityEvent, _ subject: String, _ event: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction
    ) throws {
        let target = try resolve(subject, txn)
        func upsert(_ view: inout Customer360, _ item: Customer360.Opportunity) {
            view.openOpportunities.removeAll { $0.opportunityId == item.opportunityId }
            view.openOpportunities.append(item)
            view.openOpportunities.sort { $0.opportunityId < $1.opportunityId }
        }
        func update(_ id: String, _ change: (inout Customer360.Opportunity) -> Void) throws {
            try modify(target, event.position, txn) { view in
                if let index = view.openOpportunities.firstIndex(where: { $0.opportunityId == id }) {
                    change(&view.openOpportunities[index])
                }
            }
        }
        switch e {
        case .opened(let o):
            setFact("opportunity:" + o.opportunityId, [o.stage.rawValue, o.amount.amount.plainDescription, o.amount.currency])
            try modify(target, event.position, txn) { view in
                upsert(
                    &view,
                    .init(opportunityId: o.opportunityId, stage: o.stage.rawValue, amount: o.amount.amount, currency: o.amount.currency))
            }
        case .stageChanged(let o):
            try updateFact(o.opportunityId, stage: o.to.rawValue, txn)
            try update(o.opportunityId) { $0.stage = o.to.rawValue }
        case .amountChanged(let o):
            try updateFact(o.opportunityId, amount: o.amount, txn)
            try update(o.opportunityId) {
                $0.amount = o.amount.amount
                $0.currency = o.amount.currency
            }
        case .won(let o):
            try updateFact(o.opportunityId, amount: o.amount, txn)
            try modify(target, event.position, txn) { $0.openOpportunities.removeAll { $0.opportunityId == o.opportunityId } }
        case .lost(let o):
            try modify(target, event.position, txn) { $0.openOpportunities.removeAll { $0.opportunityId == o.opportunityId } }
        case .reopened(let o):
            let known = try fact("opportunity:" + o.opportunityId, txn)
            try updateFact(o.opportunityId, stage: o.stage.rawValue, txn)
            let amount = known.flatMap { $0.count == 3 ? Decimal(plainNotation: $0[1]) : nil } ?? 0
            let currency = known.flatMap { $0.count == 3 ? $0[2] : nil } ?? ""
            try modify(target, event.position, txn) { view in
                upsert(&view, .init(opportunityId: o.opportunityId, stage: o.stage.rawValue, amount: amount, currency: currency))
            }
        case .closeDateChanged, .ownerChanged: break
        }
    }

    private mutating func updateFact(_ id: String, stage: String? = nil, amount: Money? = nil, _ txn: borrowing LMDBWriteTransaction) throws {
        guard var values = try fact("opportunity:" + id, txn), values.count == 3 else { return }
        if let stage { values[0] = stage }
        if let amount { values[1] = amount.amount.plainDescription; values[2] = amount.currency }
        setFact("opportunity:" + id, values)
    }

    private mutating func applyCase(_ e: CaseEvent, _ subject: String, _ event: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction) throws
    {
        let target = try resolve(subject, txn)
        func setStatus(_ caseId: String, _ status: String?, priority: String? = nil) throws {
            let known = try fact("case:" + caseId, txn)?.first
            if let priority { setFact("case:" + caseId, [priority]) }
            try modify(target, event.position, txn) { view in
                let index = view.openCases.firstIndex { $0.caseId == caseId }
                guard let status else {
                    if let index { view.openCases.remove(at: index) }
                    return
                }
                if let index {
                    view.openCases[index].status = status
                    if let priority { view.openCases[index].priority = priority }
                } else {
                    view.openCases.append(.init(caseId: caseId, priority: priority ?? known ?? "normal", status: status))
                    view.openCases.sort { $0.caseId < $1.caseId }
                }
            }
        }
        switch e {
        case .opened(let c):
            try setStatus(c.caseId, "open", priority: c.priority.rawValue)
            try modify(target, event.position, txn) { Self.contact(&$0, c.openedAt) }
        case .messageRecorded(let m):
            try modify(target, event.position, txn) { Self.contact(&$0, m.recordedAt) }
        case .priorityChanged(let c):
            setFact("case:" + c.caseId, [c.priority.rawValue])
            try modify(target, event.position, txn) { view in
                if let index = view.openCases.firstIndex(where: { $0.caseId == c.caseId }) {
                    view.openCases[index].priority = c.priority.rawValue
                }
            }
        case .resolved(let c): try setStatus(c.caseId, "resolved")
        case .reopened(let c): try setStatus(c.caseId, "open")
        case .closed(let c): try setStatus(c.caseId, nil)
        case .assigned, .escalated, .satisfactionRecorded, .slaBreached: break
        }
    }
}
