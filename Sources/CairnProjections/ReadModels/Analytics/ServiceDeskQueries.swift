package import CairnDomain
import CairnStore

/// Narrows service-desk lists; nil fields match everything. `assignee` "" means unassigned.
package struct ServiceDeskFilter: Sendable, Hashable {
    package var priority: CasePriority?
    package var assignee: UserID?

    package init(priority: CasePriority? = nil, assignee: UserID? = nil) {
        self.priority = priority
        self.assignee = assignee
    }

    func matches(_ c: DeskCase) -> Bool {
        if let priority, priority.analyticsIndex != c.priority { return false }
        if let assignee, assignee != c.assignee { return false }
        return true
    }
}

/// One open case with its age at the query's `now`.
package struct OpenCaseSummary: Sendable, Hashable {
    package var caseId: CaseID
    package var customerId: CustomerID
    package var priority: CasePriority
    /// Nil while unassigned.
    package var assignee: UserID?
    package var openedAt: CairnDomain.Timestamp
    package var ageSeconds: Int64
    package var firstResponseDue: CairnDomain.Timestamp
    package var resolutionDue: CairnDomain.Timestamp
    package var responded: Bool
}

/// Open cases counted by priority, assignee and age at `now`.
package struct OpenCaseBreakdown: Sendable, Hashable {
    /// Age buckets' upper bounds in seconds (the last bucket is open-ended).
    package static let ageBounds: [Int64] = [3_600, 4 * 3_600, 24 * 3_600, 3 * 86_400, 7 * 86_400]
    package var total: Int
    package var byPriority: [CasePriority: Int]
    /// "" counts the unassigned.
    package var byAssignee: [UserID: Int]
    /// `byAge[i]` counts cases younger than `ageBounds[i]` (and not of an earlier bucket); the
    /// last entry counts those at least `ageBounds.last` old.
    package var byAge: [Int]
    package var oldestAgeSeconds: Int64?
}

/// A service-level deadline of an open case.
package struct SlaDeadlineItem: Sendable, Hashable {
    package var caseId: CaseID
    package var kind: SlaDeadlineKind
    package var dueAt: CairnDomain.Timestamp
    package var priority: CasePriority
    package var assignee: UserID?
    /// `service.SlaBreached` was recorded for it (else, for a breach, the deadline simply passed).
    package var breachRecorded: Bool
}

/// Exact figures over a set of durations, in milliseconds. Percentiles are by nearest rank.
package struct DurationStatistics: Sendable, Hashable {
    package var count: Int
    package var averageMillis: Double?
    package var minimumMillis: Int64?
    package var medianMillis: Int64?
    package var p90Millis: Int64?
    package var p95Millis: Int64?
    package var p99Millis: Int64?
    package var maximumMillis: Int64?

    init(sorted: [Int64]) {
        count = sorted.count
        averageMillis = sorted.isEmpty ? nil : Double(sorted.reduce(0, +)) / Double(sorted.count)
        minimumMillis = sorted.first
        medianMillis = analyticsPercentile(sorted, 50)
        p90Millis = analyticsPercentile(sorted, 90)
        p95Millis = analyticsPercentile(sorted, 95)
        p99Millis = analyticsPercentile(sorted, 99)
        maximumMillis = sorted.last
    }
}

/// First-response and resolution times, and recorded SLA breaches. First response is the first
/// agent message, or the resolution (or close) when the case ended unanswered, as the domain's SLA
/// rules count it; resolution runs from opening to the last resolution (a reopening withdraws the
/// earlier one) or to a close without resolution.
package struct ServiceTimes: Sendable, Hashable {
    package var firstResponse: DurationStatistics
    package var resolution: DurationStatistics
    package var firstResponseBreaches: Int
    package var resolutionBreaches: Int
}

/// CSAT of one agent ("" for unassigned cases), or of everyone when `agent` is nil.
package struct CsatScore: Sendable, Hashable {
    package var agent: UserID?
    package var ratings: Int
    package var average: Double?
}

/// CSAT overall and per agent (agent order, "" for cases rated while unassigned first).
package struct CsatReport: Sendable, Hashable {
    package var overall: CsatScore
    package var byAgent: [CsatScore]
}

/// Queries over the ``ServiceDeskProjector`` read model; figures relative to the clock take `now`.
package struct ServiceDeskQueries: Sendable {
    package let engine: ProjectionEngine
    package let name: String

    package init(_ engine: ProjectionEngine, name: String = ServiceDeskProjector().name) {
        self.engine = engine
        self.name = name
    }

    /// Every open case matching `filter`, oldest first, with its index key.
    private func openCases(
        _ filter: ServiceDeskFilter, after: [UInt8]? = nil, limit: Int = .max
    ) throws -> [(key: [UInt8], id: String, c: DeskCase)] {
        try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["open"])
            var entry = try after.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            var result: [(key: [UInt8], id: String, c: DeskCase)] = []
            while let (key, _) = entry, result.count < limit {
                let keyBytes = Array(key)
                if keyBytes != after {
                    let id = String(decoding: key.dropFirst(8), as: UTF8.self)
                    guard let value = try txn.get(model["cases"], Array(id.utf8)) else { throw AnalyticsModelError.corrupt }
                    let c = try DeskCase(bytes: value)
                    if filter.matches(c) { result.append((keyBytes, id, c)) }
                }
                entry = try cursor.next()
            }
            return result
        }
    }

    private static func summary(_ id: String, _ c: DeskCase, now: CairnDomain.Timestamp) -> OpenCaseSummary {
        OpenCaseSummary(
            caseId: id, customerId: c.customerId, priority: CasePriority(analyticsIndex: c.priority) ?? .normal,
            assignee: c.assignee.isEmpty ? nil : c.assignee, openedAt: CairnDomain.Timestamp(millisecondsSinceEpoch: c.openedAt),
            ageSeconds: max(0, (now.millisecondsSinceEpoch - c.openedAt) / 1000),
            firstResponseDue: CairnDomain.Timestamp(millisecondsSinceEpoch: c.firstResponseDue),
            resolutionDue: CairnDomain.Timestamp(millisecondsSinceEpoch: c.resolutionDue), responded: c.firstResponseAt != DeskCase.none)
    }

    /// Open cases matching `filter`, oldest first, a page at a time; ages as of `now`.
    package func openCases(
        now: CairnDomain.Timestamp, _ filter: ServiceDeskFilter = ServiceDeskFilter(), limit: Int = 50, after cursor: String? = nil
    ) throws -> AnalyticsPage<OpenCaseSummary> {
        try AnalyticsQueryError.check(limit: limit)
        let after = try AnalyticsCursor.key(cursor)
        let found = try openCases(filter, after: after, limit: limit + 1)
        let page = found.prefix(limit)
        return AnalyticsPage(
            items: page.map { Self.summary($0.id, $0.c, now: now) },
            nextCursor: found.count > limit ? page.last.map { AnalyticsCursor.encode($0.key) } : nil)
    }

    /// Open cases matching `filter` counted by priority, assignee and age as of `now`.
    package func openCaseBreakdown(
        now: CairnDomain.Timestamp, _ filter: ServiceDeskFilter = ServiceDeskFilter()
    ) throws -> OpenCaseBreakdown {
        var breakdown = OpenCaseBreakdown(
            total: 0, byPriority: [:], byAssignee: [:], byAge: Array(repeating: 0, count: OpenCaseBreakdown.ageBounds.count + 1))
        for (_, id, c) in try openCases(filter) {
            let s = Self.summary(id, c, now: now)
            breakdown.total += 1
            breakdown.byPriority[s.priority, default: 0] += 1
            breakdown.byAssignee[c.assignee, default: 0] += 1
            let bucket = OpenCaseBreakdown.ageBounds.firstIndex { s.ageSeconds < $0 } ?? OpenCaseBreakdown.ageBounds.count
            breakdown.byAge[bucket] += 1
            breakdown.oldestAgeSeconds = max(breakdown.oldestAgeSeconds ?? 0, s.ageSeconds)
        }
        return breakdown
    }

    /// The pending deadlines of open cases: first response until an agent answered, resolution
    /// until resolved.
    private func deadlines(_ filter: ServiceDeskFilter) throws -> [SlaDeadlineItem] {
        var items: [SlaDeadlineItem] = []
        for (_, id, c) in try openCases(filter) {
            let priority = CasePriority(analyticsIndex: c.priority) ?? .normal
            let assignee = c.assignee.isEmpty ? nil : c.assignee
            if c.firstResponseAt == DeskCase.none {
                items.append(
                    SlaDeadlineItem(
                        caseId: id, kind: .firstResponse, dueAt: CairnDomain.Timestamp(millisecondsSinceEpoch: c.firstResponseDue),
                        priority: priority, assignee: assignee, breachRecorded: c.breaches & DeskBreach.firstResponse != 0))
            }
            items.append(
                SlaDeadlineItem(
                    caseId: id, kind: .resolution, dueAt: CairnDomain.Timestamp(millisecondsSinceEpoch: c.resolutionDue),
                    priority: priority, assignee: assignee, breachRecorded: c.breaches & DeskBreach.resolution != 0))
        }
        return items
    }

    /// `dueAt | kind | caseId`: soonest deadline first.
    private static func deadlineKey(_ item: SlaDeadlineItem) -> [UInt8] {
        var key: [UInt8] = []
        key.appendAnalyticsKey(item.dueAt.millisecondsSinceEpoch)
        key.append(item.kind == .firstResponse ? 1 : 2)
        key.append(contentsOf: item.caseId.utf8)
        return key
    }

    /// Deadlines falling after `now` and at most `withinSeconds` later, not yet breached; soonest first.
    package func slaDueSoon(
        now: CairnDomain.Timestamp, withinSeconds: Int, _ filter: ServiceDeskFilter = ServiceDeskFilter(), limit: Int = 50,
        after cursor: String? = nil
    ) throws -> AnalyticsPage<SlaDeadlineItem> {
        let horizon = now.adding(seconds: withinSeconds)
        let due = try deadlines(filter).filter { !$0.breachRecorded && $0.dueAt > now && $0.dueAt <= horizon }
        return try analyticsPage(due, key: Self.deadlineKey, limit: limit, after: cursor)
    }

    /// Deadlines of open cases that are breached: recorded by `service.SlaBreached`, or passed
    /// at `now` (a deadline at exactly `now` has passed) without a response or resolution.
    package func slaBreached(
        now: CairnDomain.Timestamp, _ filter: ServiceDeskFilter = ServiceDeskFilter(), limit: Int = 50, after cursor: String? = nil
    ) throws -> AnalyticsPage<SlaDeadlineItem> {
        let breached = try deadlines(filter).filter { $0.breachRecorded || $0.dueAt <= now }
        return try analyticsPage(breached, key: Self.deadlineKey, limit: limit, after: cursor)
    }

    /// First-response and resolution time statistics over every case so far.
    package func serviceTimes() throws -> ServiceTimes {
        try engine.read(name) { model, txn in
            var firstResponse: [Int64] = []
            var resolution: [Int64] = []
            let cursor = try txn.cursor(model["samples"])
            var entry = try cursor.first()
            while let (key, _) = entry {
                guard key.count >= 9 else { throw AnalyticsModelError.corrupt }
                let millis = Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 1, as: UInt64.self)) ^ (1 << 63))
                if key[0] == DeskSample.firstResponse.rawValue { firstResponse.append(millis) } else { resolution.append(millis) }
                entry = try cursor.next()
            }
            let totals = try txn.get(model["totals"], DeskTotals.key).map { try DeskTotals(bytes: $0) } ?? DeskTotals()
            return ServiceTimes(
                firstResponse: DurationStatistics(sorted: firstResponse), resolution: DurationStatistics(sorted: resolution),
                firstResponseBreaches: Int(totals.firstResponseBreaches), resolutionBreaches: Int(totals.resolutionBreaches))
        }
    }

    /// CSAT overall and per agent; `agent` keeps only that agent's row (and the overall figure
    /// then equals it).
    package func csat(agent: UserID? = nil) throws -> CsatReport {
        try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["agents"])
            var entry = try agent.map { try cursor.seek(atLeast: DeskAgentValue.key($0)) } ?? cursor.first()
            var rows: [CsatScore] = []
            var total = DeskAgentValue()
            while let (key, value) = entry {
                let name = DeskAgentValue.agent(key)
                if let agent, agent != name { break }
                let v = try DeskAgentValue(bytes: value)
                rows.append(Self.score(name, v))
                total.ratings += v.ratings
                total.scoreSum += v.scoreSum
                entry = try cursor.next()
            }
            return CsatReport(overall: Self.score(nil, total), byAgent: rows)
        }
    }

    private static func score(_ agent: String?, _ v: DeskAgentValue) -> CsatScore {
        CsatScore(agent: agent, ratings: Int(v.ratings), average: v.ratings == 0 ? nil : Double(v.scoreSum) / Double(v.ratings))
    }
}
