import CairnDomain
package import CairnStore

/// Folds orders, activities, service cases and the segment-relevant customer profile into one
/// record per customer (`customers`), plus each case's state (`cases`) and each campaign's
/// current segment (`segments`).
///
/// Only inputs are stored; RFM quintiles, lifetime value, churn risk and segment membership
/// are computed by ``CustomerAnalysisQueries`` from a `now` the caller passes, because every
/// one of them is relative to the present (and RFM to every other customer). Segment
/// membership is therefore always current: the inputs change as events arrive, and rules such
/// as `activeWithinDays` are evaluated against the query's `now`.
///
/// A merged duplicate hands its orders, activities and cases to the survivor; facts that
/// still arrive for the duplicate's id (a case resolved later) are credited to the survivor.
///
/// `rfm` holds one value, ``rfmStampKey``: the position of the last event that changed any
/// customer's RFM inputs (being active, orders per currency) — the same in every build.
/// Queries rank customers once per stamp (``DerivedValues``) instead of reading every customer
/// on every request.
package struct CustomerAnalysisProjector: Projector {
    package static let projectionName = "customer-analysis"

    package let name = CustomerAnalysisProjector.projectionName
    /// 2: the `rfm` stamp.
    package let version = 2
    /// Exactly the types the fold uses, so the runner skips the rest without decoding them.
    package let eventTypePrefixes = [
        "customers.CustomerRegistered", "customers.CustomerProfileUpdated", "customers.CustomAttribute",
        "customers.Consent", "customers.CustomerTagged", "customers.CustomerUntagged", "customers.CustomerClosed",
        "customers.CustomerReopened", "customers.CustomerMerged", "customers.DuplicateAbsorbed", "customers.PersonalDataErased",
        "sales.OrderRecorded", "sales.ActivityLogged",
        "service.CaseOpened", "service.CaseResolved", "service.CaseReopened", "service.CaseClosed",
        "service.SatisfactionRecorded", "service.SlaBreached",
        "marketing.CampaignCreated", "marketing.SegmentDefined",
    ]
    package let databaseNames = ["customers", "cases", "segments", "rfm"]
    package static let rfmStampKey = Array("changedAt".utf8)

    package init() {}

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var batch = AnalysisFoldBatch()
        for projected in events {
            let event = projected.record
            batch.position = projected.position
            let decoded = try projected.decoded()
            switch decoded {
            case .customer(let e): try batch.apply(e, recordedAtMs: event.recordedAt.microsecondsSinceEpoch / 1000, model, txn)
            case .order(.recorded(let e)):
                try batch.update(e.customerId, model, txn) { record in
                    record.addOrder(currency: e.currency, total: e.total, day: analysisDayNumber(e.orderDate))
                }
            case .activity(.logged(let e)):
                try batch.update(e.customerId, model, txn) { record in
                    record.activityCount += 1
                    let at = e.occurredAt.millisecondsSinceEpoch
                    record.lastActivityMs = max(record.lastActivityMs ?? at, at)
                }
            case .serviceCase(let e): try batch.apply(e, model, txn)
            case .campaign(.created(let e)):
                if e.segment != nil { batch.segments[e.campaignId] = Self.segmentValue(event) }
            case .campaign(.segmentDefined(let e)): batch.segments[e.campaignId] = Self.segmentValue(event)
            default: break
            }
        }
        try batch.flush(model, txn)
        if let changed = batch.rfmChangedAt {
            try txn.put(model["rfm"], Self.rfmStampKey, withUnsafeBytes(of: changed.bigEndian) { Array($0) })
        }
    }

    /// The `rfm` stamp of a model: 0 before any customer had RFM inputs.
    package static func rfmStamp(_ model: ReadModel, _ txn: borrowing some LMDBReading & ~Copyable) throws -> UInt64 {
        guard let raw = try txn.get(model["rfm"], rfmStampKey), raw.count == 8 else { return 0 }
        return raw.loadUnaligned(as: UInt64.self).bigEndian
    }

    /// The defining event as stored (type, schema version, payload): queries decode it with
    /// the domain's own decoder, so the segment means exactly what the campaign says.
    static func segmentValue(_ event: RecordedEvent) -> [UInt8] {
        var w = AnalysisByteWriter()
        w.string(event.type)
        w.u32(event.schemaVersion)
        event.withPayload { w.bytes.append(contentsOf: $0) }
        return w.bytes
    }
}

/// The records one batch touches, read once and written back once at its end.
struct AnalysisFoldBatch {
    var customers: [String: CustomerAnalysisRecord] = [:]
    var cases: [String: AnalysisCaseRecord] = [:]
    var segments: [String: [UInt8]] = [:]
    /// The event being folded, and the last one that changed any customer's RFM inputs.
    var position: UInt64 = 0
    var rfmChangedAt: UInt64?

    mutating func record(_ id: String, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws -> CustomerAnalysisRecord {
        if let cached = customers[id] { return cached }
        let record =
            try txn.get(model["customers"], Array(id.utf8)).map { try CustomerAnalysisRecord(decoding: $0) } ?? CustomerAnalysisRecord()
        customers[id] = record
        return record
    }

    /// Applies `change` to the record of `id` (read already), noting whether its RFM inputs moved.
    mutating func change(_ id: String, _ change: (inout CustomerAnalysisRecord) -> Void) {
        let before = customers[id]!.rfmInputs
        change(&customers[id]!)
        if customers[id]!.rfmInputs != before { rfmChangedAt = position }
    }

    /// Where facts about `id` belong: `id` itself, or the customer it was (transitively) merged into.
    mutating func owner(_ id: String, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws -> String {
        var current = id
        for _ in 0..<32 {
            let record = try record(current, model, txn)
            guard record.status == .merged, !record.mergedInto.isEmpty else { return current }
            current = record.mergedInto
        }
        return current
    }

    mutating func update(
        _ id: String, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction, _ change: (inout CustomerAnalysisRecord) -> Void
    ) throws {
        self.change(try owner(id, model, txn), change)
    }

    /// Profile facts stay on the customer's own record, whatever it was merged into.
    mutating func own(
        _ id: String, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction, _ change: (inout CustomerAnalysisRecord) -> Void
    ) throws {
        _ = try record(id, model, txn)
        self.change(id, change)
    }

    mutating func apply(_ event: CustomerEvent, recordedAtMs: Int64, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        switch event {
        case .registered(let e):
            try own(e.customerId, model, txn) { r in
                r.status = .active
                r.isOrganization = e.kind == .organization
                r.ownerId = e.ownerId ?? ""
                r.attributes = e.attributes
                r.registeredAtMs = recordedAtMs
            }
        case .profileUpdated(let e):
            if let owner = e.ownerId { try own(e.customerId, model, txn) { $0.ownerId = owner } }
        case .attributeSet(let e): try own(e.customerId, model, txn) { $0.attributes[e.key] = e.value }
        case .attributeUnset(let e): try own(e.customerId, model, txn) { $0.attributes[e.key] = nil }
        case .consentGranted(let e):
            try own(e.customerId, model, txn) { $0.consentBits |= CustomerAnalysisRecord.consentBit(e.channel, e.purpose) }
        case .consentWithdrawn(let e):
            try own(e.customerId, model, txn) { $0.consentBits &= ~CustomerAnalysisRecord.consentBit(e.channel, e.purpose) }
        case .tagged(let e): try own(e.customerId, model, txn) { $0.insertTags([e.tag]) }
        case .untagged(let e): try own(e.customerId, model, txn) { r in r.tags.removeAll { $0 == e.tag } }
        case .closed(let e): try own(e.customerId, model, txn) { $0.status = .closed }
        case .reopened(let e): try own(e.customerId, model, txn) { $0.status = .active }
        case .duplicateAbsorbed(let e): try own(e.customerId, model, txn) { $0.insertTags(e.tags) }
        case .personalDataErased(let e):
            try own(e.customerId, model, txn) { r in
                r.erased = true
                r.attributes = [:]
            }
        case .merged(let e):
            let duplicate = try record(e.customerId, model, txn)
            let survivor = try owner(e.survivorId, model, txn)
            guard survivor != e.customerId else { return }  // a cycle cannot come from the domain; ignore it
            change(survivor) { $0.absorb(duplicate) }
            change(e.customerId) { r in
                r.clearFacts()
                r.status = .merged
                r.mergedInto = e.survivorId
            }
        default:
            break  // contact details do not feed the analysis
        }
    }

    mutating func caseRecord(_ id: String, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws -> AnalysisCaseRecord? {
        if let cached = cases[id] { return cached }
        let record = try txn.get(model["cases"], Array(id.utf8)).map { try AnalysisCaseRecord(decoding: $0) }
        if let record { cases[id] = record }
        return record
    }

    mutating func apply(_ event: CaseEvent, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        switch event {
        case .opened(let e):
            guard try caseRecord(e.caseId, model, txn) == nil else { return }
            cases[e.caseId] = AnalysisCaseRecord(customerId: e.customerId, status: .open, breached: false)
            try update(e.customerId, model, txn) { r in
                r.casesTotal += 1
                r.casesOpen += 1
            }
        case .resolved(let e): try transition(e.caseId, to: .resolved, model, txn)
        case .closed(let e): try transition(e.caseId, to: .closed, model, txn)
        case .reopened(let e): try transition(e.caseId, to: .open, model, txn)
        case .satisfactionRecorded(let e):
            try update(e.customerId, model, txn) { r in
                r.csatCount += 1
                r.csatSum += UInt32(clamping: max(0, e.score))
                if e.score <= 2 { r.csatLow += 1 }
            }
        case .slaBreached(let e):
            guard var serviceCase = try caseRecord(e.caseId, model, txn) else { return }
            let newlyBreachedOpen = !serviceCase.breached && serviceCase.status == .open
            serviceCase.breached = true
            cases[e.caseId] = serviceCase
            try update(serviceCase.customerId, model, txn) { r in
                r.slaBreaches += 1
                if newlyBreachedOpen { r.casesOpenBreached += 1 }
            }
        default:
            break
        }
    }

    /// Moves a case between open and not open, keeping its customer's open counters right.
    mutating func transition(
        _ caseId: String, to status: AnalysisCaseRecord.Status, _ model: ReadModel, _ txn: borrowing LMDBWriteTransaction
    ) throws {
        guard var serviceCase = try caseRecord(caseId, model, txn), serviceCase.status != status else { return }
        let wasOpen = serviceCase.status == .open
        let isOpen = status == .open
        serviceCase.status = status
        cases[caseId] = serviceCase
        guard wasOpen != isOpen else { return }
        let breached = serviceCase.breached
        try update(serviceCase.customerId, model, txn) { r in
            if isOpen {
                r.casesOpen += 1
                if breached { r.casesOpenBreached += 1 }
            } else {
                r.casesOpen -= min(1, r.casesOpen)
                if breached { r.casesOpenBreached -= min(1, r.casesOpenBreached) }
            }
        }
    }

    func flush(_ model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        for (id, record) in customers { try txn.put(model["customers"], Array(id.utf8), record.encoded) }
        for (id, record) in cases { try txn.put(model["cases"], Array(id.utf8), record.encoded) }
        for (id, value) in segments { try txn.put(model["segments"], Array(id.utf8), value) }
    }
}

extension CustomerAnalysisRecord {
    mutating func insertTags(_ new: [String]) {
        var set = Set(tags)
        for tag in new { set.insert(tag) }
        tags = set.sorted()
    }
}
