import CairnDomain
package import CairnStore

/// Folds service cases into the service desk: each case's status, priority, assignee,
/// deadlines, response and breach facts; an index of open cases by opening time; every
/// first-response and resolution duration as a sorted sample (so percentiles are exact); CSAT
/// sums per agent and recorded-breach totals.
///
/// Ages and "due soon" depend on the clock, so the fold stores instants only and the queries
/// take `now`.
package struct ServiceDeskProjector: Projector {
    package let name = "service-desk"
    package let version = 1
    package let eventTypePrefixes = ["service."]
    package let databaseNames = ["agents", "cases", "open", "samples", "totals"]

    package init() {}

    private static let caseStreamPrefix = StreamName(.case, "").description.utf8.count

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var batch = ServiceDeskBatch(model)
        for projected in events {
            let event = projected.record
            let type = projected.type
            if type == "service.CaseEscalated" { continue }  // the desk keeps no escalation figure
            // Only a case's first agent message matters; later messages (the bulk of a busy desk,
            // with long bodies) are skipped undecoded once the case has its first response.
            if type == "service.CaseMessageRecorded",
                let known = try batch.cases.get(Array(event.stream.utf8.dropFirst(Self.caseStreamPrefix)), txn),
                known.firstResponseAt != DeskCase.none
            {
                continue
            }
            let decoded = try projected.decoded()
            if case .serviceCase(let e) = decoded { try batch.apply(e, txn) }
        }
        try batch.flush(txn)
    }
}

/// Case status as stored.
enum DeskStatus: UInt8 { case open = 0, resolved = 1, closed = 2 }

/// Sample kinds in the `samples` database.
enum DeskSample: UInt8 { case firstResponse = 1, resolution = 2 }

/// Breach flags.
enum DeskBreach {
    static let firstResponse: UInt8 = 1, resolution: UInt8 = 2
    static func flag(_ kind: SlaDeadlineKind) -> UInt8 { kind == .firstResponse ? firstResponse : resolution }
}

/// What the desk remembers of one case. `Int64.min` marks an instant that has not happened.
struct DeskCase: AnalyticsRecord {
    static let none = Int64.min
    var status: DeskStatus
    var priority: UInt8
    var breaches: UInt8 = 0
    var csat: UInt8 = 0
    var openedAt: Int64
    var firstResponseDue: Int64
    var resolutionDue: Int64
    var firstResponseAt: Int64 = none
    var resolvedAt: Int64 = none
    var assignee: String = ""
    var customerId: String

    init(status: DeskStatus, priority: UInt8, openedAt: Int64, firstResponseDue: Int64, resolutionDue: Int64, customerId: String) {
        self.status = status
        self.priority = priority
        self.openedAt = openedAt
        self.firstResponseDue = firstResponseDue
        self.resolutionDue = resolutionDue
        self.customerId = customerId
    }

    init(reading r: inout AnalyticsReader) throws {
        guard let status = DeskStatus(rawValue: try r.u8()) else { throw AnalyticsModelError.corrupt }
        self.status = status
        priority = try r.u8()
        breaches = try r.u8()
        csat = try r.u8()
        openedAt = try r.i64()
        firstResponseDue = try r.i64()
        resolutionDue = try r.i64()
        firstResponseAt = try r.i64()
        resolvedAt = try r.i64()
        assignee = try r.string()
        customerId = try r.string()
    }

    func write(to w: inout AnalyticsWriter) {
        w.u8(status.rawValue)
        w.u8(priority)
        w.u8(breaches)
        w.u8(csat)
        w.i64(openedAt)
        w.i64(firstResponseDue)
        w.i64(resolutionDue)
        w.i64(firstResponseAt)
        w.i64(resolvedAt)
        w.string(assignee)
        w.string(customerId)
    }

    /// `openedAt | caseId`: the open index lists the oldest case first.
    static func openKey(_ openedAt: Int64, _ caseId: String) -> [UInt8] {
        var key: [UInt8] = []
        key.appendAnalyticsKey(openedAt)
        key.append(contentsOf: caseId.utf8)
        return key
    }

    static func sampleKey(_ kind: DeskSample, _ millis: Int64, _ caseId: String) -> [UInt8] {
        var key: [UInt8] = [kind.rawValue]
        key.appendAnalyticsKey(millis)
        key.append(contentsOf: caseId.utf8)
        return key
    }
}

/// CSAT sum and count of one agent ("" for cases rated while unassigned).
struct DeskAgentValue: AnalyticsRecord {
    /// LMDB refuses empty keys: the unassigned are kept under a lone 0 byte, which no user id is.
    static func key(_ agent: String) -> [UInt8] { agent.isEmpty ? [0] : Array(agent.utf8) }
    static func agent(_ key: UnsafeRawBufferPointer) -> String { key.elementsEqual([0]) ? "" : String(decoding: key, as: UTF8.self) }

    var ratings: UInt64 = 0
    var scoreSum: UInt64 = 0
    init() {}
    init(reading r: inout AnalyticsReader) throws {
        ratings = try r.u64()
        scoreSum = try r.u64()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u64(ratings)
        w.u64(scoreSum)
    }
}

/// Recorded SLA breaches, per deadline kind.
struct DeskTotals: AnalyticsRecord {
    static let key = Array("breaches".utf8)
    var firstResponseBreaches: UInt64 = 0
    var resolutionBreaches: UInt64 = 0
    init() {}
    init(reading r: inout AnalyticsReader) throws {
        firstResponseBreaches = try r.u64()
        resolutionBreaches = try r.u64()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u64(firstResponseBreaches)
        w.u64(resolutionBreaches)
    }
}

extension CasePriority {
    var analyticsIndex: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }
    init?(analyticsIndex: UInt8) {
        guard Int(analyticsIndex) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(analyticsIndex)]
    }
}

/// The desk records one fold batch works on. Index and sample entries are written straight
/// through: they are set or removed, never read-modified.
private struct ServiceDeskBatch {
    var cases: AnalyticsBatch<DeskCase>
    var agents: AnalyticsBatch<DeskAgentValue>
    var totals: AnalyticsBatch<DeskTotals>
    let open: LMDBDatabase
    let samples: LMDBDatabase

    init(_ model: ReadModel) {
        cases = AnalyticsBatch(model["cases"])
        agents = AnalyticsBatch(model["agents"])
        totals = AnalyticsBatch(model["totals"])
        open = model["open"]
        samples = model["samples"]
    }

    func flush(_ txn: borrowing LMDBWriteTransaction) throws {
        try cases.flush(txn)
        try agents.flush(txn)
        try totals.flush(txn)
    }

    mutating func apply(_ event: CaseEvent, _ txn: borrowing LMDBWriteTransaction) throws {
        if case .opened(let e) = event {
            let key = Array(e.caseId.utf8)
            guard try cases.get(key, txn) == nil else { return }
            let c = DeskCase(
                status: .open, priority: e.priority.analyticsIndex, openedAt: e.openedAt.millisecondsSinceEpoch,
                firstResponseDue: e.deadlines.firstResponseDue.millisecondsSinceEpoch,
                resolutionDue: e.deadlines.resolutionDue.millisecondsSinceEpoch, customerId: e.customerId)
            cases.set(key, c)
            try txn.put(open, DeskCase.openKey(c.openedAt, e.caseId), [])
            return
        }
        let caseId = Self.caseId(of: event)
        let key = Array(caseId.utf8)
        guard var c = try cases.get(key, txn) else { return }
        switch event {
        case .opened, .escalated: break
        case .assigned(let e): c.assignee = e.agentId
        case .messageRecorded(let e):
            guard e.author == .agent, c.firstResponseAt == DeskCase.none else { break }
            c.firstResponseAt = e.recordedAt.millisecondsSinceEpoch
            try txn.put(samples, DeskCase.sampleKey(.firstResponse, c.firstResponseAt - c.openedAt, caseId), [])
        case .priorityChanged(let e):
            c.priority = e.priority.analyticsIndex
            c.firstResponseDue = e.deadlines.firstResponseDue.millisecondsSinceEpoch
            c.resolutionDue = e.deadlines.resolutionDue.millisecondsSinceEpoch
        case .resolved(let e): try resolve(&c, caseId, at: e.resolvedAt.millisecondsSinceEpoch, txn)
        case .closed(let e):
            // Closing an unresolved case ends it too: its resolution time runs to the close.
            if c.status == .open { try resolve(&c, caseId, at: e.closedAt.millisecondsSinceEpoch, txn) }
            c.status = .closed
        case .reopened(let e):
            guard c.status != .open else { break }
            if c.resolvedAt != DeskCase.none {
                try txn.delete(samples, DeskCase.sampleKey(.resolution, c.resolvedAt - c.openedAt, caseId))
            }
            c.status = .open
            c.resolvedAt = DeskCase.none
            c.resolutionDue = e.resolutionDue.millisecondsSinceEpoch
            // The recorded breach concerned the old deadline; the new one starts clean (the
            // breach stays in the totals).
            c.breaches &= ~DeskBreach.resolution
            try txn.put(open, DeskCase.openKey(c.openedAt, caseId), [])
        case .satisfactionRecorded(let e):
            guard c.csat == 0 else { break }
            c.csat = UInt8(clamping: e.score)
            let agentKey = DeskAgentValue.key(c.assignee)
            var agent = try agents.get(agentKey, txn) ?? DeskAgentValue()
            agent.ratings += 1
            agent.scoreSum += UInt64(c.csat)
            agents.set(agentKey, agent)
        case .slaBreached(let e):
            let flag = DeskBreach.flag(e.deadline)
            guard c.breaches & flag == 0 else { break }
            c.breaches |= flag
            var t = try totals.get(DeskTotals.key, txn) ?? DeskTotals()
            if e.deadline == .firstResponse { t.firstResponseBreaches += 1 } else { t.resolutionBreaches += 1 }
            totals.set(DeskTotals.key, t)
        }
        cases.set(key, c)
    }

    private func resolve(_ c: inout DeskCase, _ caseId: String, at millis: Int64, _ txn: borrowing LMDBWriteTransaction) throws {
        guard c.status == .open else { return }
        c.status = .resolved
        c.resolvedAt = millis
        // As in the domain's SLA rules, ending a case unanswered stops its first-response clock too.
        if c.firstResponseAt == DeskCase.none {
            c.firstResponseAt = millis
            try txn.put(samples, DeskCase.sampleKey(.firstResponse, millis - c.openedAt, caseId), [])
        }
        try txn.delete(open, DeskCase.openKey(c.openedAt, caseId))
        try txn.put(samples, DeskCase.sampleKey(.resolution, millis - c.openedAt, caseId), [])
    }

    private static func caseId(of event: CaseEvent) -> String {
        switch event {
        case .opened(let e): e.caseId
        case .assigned(let e): e.caseId
        case .messageRecorded(let e): e.caseId
        case .escalated(let e): e.caseId
        case .priorityChanged(let e): e.caseId
        case .resolved(let e): e.caseId
        case .reopened(let e): e.caseId
        case .closed(let e): e.caseId
        case .satisfactionRecorded(let e): e.caseId
        case .slaBreached(let e): e.caseId
        }
    }
}
