import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

/// Runs a domain command, ignoring the domain's refusals (a random history asks for some).
private func attempt(_ body: () async throws -> Void) async throws {
    do { try await body() } catch is Rejection {}
}

@Suite("Analytics: read models agree with the domain over long seeded histories", .timeLimit(.minutes(2)))
struct AnalyticsConsistencyTests {
    @Test("pipeline cells and win counts equal a recount of the deciders' own opportunity states")
    func pipelineMatchesDomain() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                var rng = SplitMix64(seed: 42)
                let owners = ["u_ann", "u_bob", "u_cy"]
                let currencies = ["EUR", "USD"]
                for c in 0..<5 { try await d.customer("c\(c)") }
                for step in 0..<600 {
                    let id = "o\(Int.random(in: 0..<80, using: &rng))"
                    d.advance(minutes: Int64.random(in: 1...600, using: &rng))
                    try await attempt {
                        switch Int.random(in: 0..<8, using: &rng) {
                        case 0:
                            try await d.opportunity(
                                .open(
                                    .init(
                                        opportunityId: id, customerId: "c\(step % 5)", name: "Deal",
                                        amount: Money(
                                            "\(Int.random(in: 1...9999, using: &rng)).\(Int.random(in: 0...99, using: &rng))",
                                            currencies.randomElement(using: &rng)!)!,
                                        expectedCloseDate: CalendarDate(year: 2026, month: Int.random(in: 4...12, using: &rng), day: 1)!,
                                        ownerId: owners.randomElement(using: &rng)!,
                                        stage: OpportunityStage.allCases.randomElement(using: &rng)!)))
                        case 1:
                            try await d.opportunity(
                                .moveToStage(
                                    opportunityId: id, stage: OpportunityStage.allCases.randomElement(using: &rng)!,
                                    probability: Int.random(in: 0...100, using: &rng)))
                        case 2:
                            try await d.opportunity(
                                .changeAmount(
                                    opportunityId: id,
                                    amount: Money("\(Int.random(in: 1...500, using: &rng))", currencies.randomElement(using: &rng)!)!))
                        case 3:
                            try await d.opportunity(
                                .changeCloseDate(
                                    opportunityId: id,
                                    expectedCloseDate: CalendarDate(year: 2027, month: Int.random(in: 1...3, using: &rng), day: 15)!))
                        case 4: try await d.opportunity(.changeOwner(opportunityId: id, ownerId: owners.randomElement(using: &rng)!))
                        case 5: try await d.opportunity(.win(opportunityId: id))
                        case 6: try await d.opportunity(.lose(opportunityId: id, reason: "lost"))
                        default: try await d.opportunity(.reopen(opportunityId: id, stage: .qualification))
                        }
                    }
                }
                let projector = SalesPipelineProjector()
                try await withEngine(d.log, dir, [projector], batchSize: 7) { engine in
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let q = SalesPipelineQueries(engine)

                    var expected: [String: (count: Int, amount: Decimal, weighted: Decimal)] = [:]
                    var won: [String: Int] = [:]
                    var lost: [String: Int] = [:]
                    for o in d.opportunities.values {
                        switch o.status {
                        case .open:
                            let month = PipelineMonth(year: o.expectedCloseDate.year, month: o.expectedCloseDate.month)
                            let key = "\(month) \(o.stage) \(o.ownerId) \(o.amount.currency)"
                            var cell = expected[key] ?? (0, 0, 0)
                            cell.count += 1
                            cell.amount += o.amount.amount
                            cell.weighted += o.amount.amount * Decimal(o.probability) / 100
                            expected[key] = cell
                        case .won: won[o.ownerId, default: 0] += 1
                        case .lost: lost[o.ownerId, default: 0] += 1
                        case .notOpened: break
                        }
                    }
                    let cells = try q.pipeline()
                    #expect(!cells.isEmpty && !won.isEmpty && !lost.isEmpty)
                    #expect(cells.count == expected.count)
                    for cell in cells {
                        let e = expected["\(cell.month) \(cell.stage) \(cell.owner) \(cell.currency)"]
                        #expect(e?.count == cell.count)
                        #expect(e?.amount == cell.amount)
                        #expect(e?.weighted == cell.weightedAmount)
                    }
                    // Every open opportunity is listed once across pages.
                    var listed: [String] = []
                    var cursor: String?
                    repeat {
                        let page = try q.openOpportunities(limit: 9, after: cursor)
                        listed += page.items.map(\.opportunityId)
                        cursor = page.nextCursor
                    } while cursor != nil
                    #expect(listed == d.opportunities.filter { $0.value.status == .open }.keys.sorted())

                    let rates = try q.winRates()
                    #expect(rates.overall.won == won.values.reduce(0, +))
                    #expect(rates.overall.lost == lost.values.reduce(0, +))
                    for row in rates.byOwner {
                        #expect(row.won == won[row.owner!, default: 0])
                        #expect(row.lost == lost[row.owner!, default: 0])
                    }
                }
            }
        }
    }

    @Test("open cases, samples and CSAT equal a recount of the deciders' own case states")
    func serviceDeskMatchesDomain() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                var rng = SplitMix64(seed: 7)
                try await d.customer("c1")
                let agents = ["u_ann", "u_bob"]
                for step in 0..<500 {
                    let id = "s\(Int.random(in: 0..<60, using: &rng))"
                    d.advance(minutes: Int64.random(in: 1...240, using: &rng))
                    try await attempt {
                        switch Int.random(in: 0..<9, using: &rng) {
                        case 0:
                            try await d.serviceCase(
                                .open(
                                    caseId: id, customerId: "c1", channel: .chat,
                                    priority: CasePriority.allCases.randomElement(using: &rng)!, subject: "S", description: "D"))
                        case 1: try await d.serviceCase(.assign(caseId: id, agentId: agents.randomElement(using: &rng)!))
                        case 2:
                            try await d.serviceCase(
                                .recordMessage(caseId: id, messageId: "m\(step)", author: .agent, authorId: "u_ann", body: "Hello"))
                        case 3:
                            try await d.serviceCase(
                                .changePriority(caseId: id, priority: CasePriority.allCases.randomElement(using: &rng)!))
                        case 4: try await d.serviceCase(.resolve(caseId: id, resolution: "ok"))
                        case 5: try await d.serviceCase(.reopen(caseId: id, reason: nil))
                        case 6: try await d.serviceCase(.close(caseId: id))
                        case 7:
                            try await d.serviceCase(
                                .recordSatisfaction(caseId: id, score: Int.random(in: 1...5, using: &rng), comment: nil))
                        default: try await d.serviceCase(.recordSlaBreaches(caseId: id))
                        }
                    }
                }
                let projector = ServiceDeskProjector()
                try await withEngine(d.log, dir, [projector], batchSize: 5) { engine in
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let q = ServiceDeskQueries(engine)
                    let open = d.cases.values.filter { $0.status == .open }
                    #expect(!open.isEmpty && d.cases.count > open.count)
                    var listed: [String] = []
                    var cursor: String?
                    repeat {
                        let page = try q.openCases(now: d.now, limit: 7, after: cursor)
                        listed += page.items.map(\.caseId)
                        cursor = page.nextCursor
                    } while cursor != nil
                    #expect(listed == open.sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }.map(\.id))
                    let breakdown = try q.openCaseBreakdown(now: d.now)
                    for priority in CasePriority.allCases {
                        #expect(breakdown.byPriority[priority, default: 0] == open.filter { $0.priority == priority }.count)
                    }
                    let responded = d.cases.values.filter { $0.firstRespondedAt != nil }
                    let times = try q.serviceTimes()
                    #expect(times.firstResponse.count == responded.count)
                    let frSorted = responded.map { $0.firstRespondedAt!.millisecondsSinceEpoch - $0.openedAt.millisecondsSinceEpoch }
                        .sorted()
                    #expect(times.firstResponse.medianMillis == (frSorted.isEmpty ? nil : frSorted[(frSorted.count + 1) / 2 - 1]))
                    let rated = d.cases.values.compactMap(\.satisfaction)
                    let csat = try q.csat()
                    #expect(csat.overall.ratings == rated.count)
                    #expect(csat.overall.average == (rated.isEmpty ? nil : Double(rated.reduce(0, +)) / Double(rated.count)))
                    // Every open case whose pending deadline has passed is reported breached.
                    let breached = try q.slaBreached(now: d.now, limit: 1000).items
                    let overdue =
                        open.filter { $0.firstRespondedAt == nil && $0.deadlines.firstResponseDue <= d.now }.count
                        + open.filter { $0.deadlines.resolutionDue <= d.now }.count
                    #expect(breached.filter { $0.dueAt <= d.now }.count == overdue)
                }
            }
        }
    }

    @Test("campaign counters and attributed pipeline equal a recount of the deciders' own states")
    func campaignsMatchDomain() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                var rng = SplitMix64(seed: 99)
                let customers = (0..<25).map { "c\($0)" }
                for c in customers { try await d.customer(c) }
                let campaigns = ["k1", "k2", "k3"]
                for k in campaigns {
                    try await d.campaign(
                        .create(
                            campaignId: k, name: "Campaign \(k)", channel: .email, budget: nil,
                            startDate: CalendarDate(iso8601: "2026-04-01")!,
                            endDate: CalendarDate(iso8601: "2026-12-31")!, segment: nil))
                    try await d.campaign(.launch(campaignId: k))
                }
                let responses: [CampaignResponse] = [
                    .delivered, .opened, .clicked(url: "https://example.com/x"), .replied, .bounced(.soft, reason: "full"),
                    .bounced(.hard, reason: "gone"), .converted(opportunityId: nil, orderId: nil),
                ]
                for step in 0..<700 {
                    let k = campaigns.randomElement(using: &rng)!
                    let c = customers.randomElement(using: &rng)!
                    let o = "o\(Int.random(in: 0..<40, using: &rng))"
                    try await attempt {
                        switch Int.random(in: 0..<12, using: &rng) {
                        case 0, 1: try await d.send(k, to: c)
                        case 2: try await d.unsubscribe(k, c)
                        case 3:
                            try await d.opportunity(
                                .open(
                                    .init(
                                        opportunityId: o, customerId: c, name: "Deal",
                                        amount: Money("\(step + 1).5", step % 3 == 0 ? "USD" : "EUR")!,
                                        expectedCloseDate: CalendarDate(iso8601: "2026-10-01")!, ownerId: "u_ann",
                                        campaignId: step % 4 == 0 ? nil : k)))
                        case 4: try await d.opportunity(.win(opportunityId: o))
                        case 5: try await d.opportunity(.reopen(opportunityId: o, stage: .proposal))
                        default:
                            try await d.campaign(
                                .recordResponse(campaignId: k, customerId: c, response: responses.randomElement(using: &rng)!, at: nil))
                        }
                    }
                }
                let projector = CampaignPerformanceProjector()
                try await withEngine(d.log, dir, [projector], batchSize: 11) { engine in
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let q = CampaignPerformanceQueries(engine)
                    for k in campaigns {
                        let state = try #require(d.campaigns[k])
                        let p = try #require(try q.campaign(k))
                        let r = state.recipients.values
                        #expect(p.sends == r.count && p.sends > 0)
                        #expect(p.deliveries == r.filter(\.delivered).count)
                        #expect(p.opens == r.filter(\.opened).count)
                        #expect(p.clicks == r.map(\.clicks).reduce(0, +))
                        #expect(p.replies == r.filter(\.replied).count)
                        #expect(p.hardBounces == r.filter { $0.bounce == .hard }.count)
                        #expect(p.conversions == r.filter(\.converted).count)
                        #expect(p.unsubscribes == r.filter(\.unsubscribed).count)
                        let attributed = d.opportunities.values.filter { $0.campaignId == k }
                        #expect(p.attributedOpportunities == attributed.count)
                        #expect(p.wonOpportunities == attributed.filter { $0.status == .won }.count)
                        // Amounts never change in this history, so the opening amount is the current one.
                        var pipeline: [String: Decimal] = [:]
                        var won: [String: Decimal] = [:]
                        for o in attributed {
                            pipeline[o.amount.currency, default: 0] += o.amount.amount
                            if o.status == .won { won[o.amount.currency, default: 0] += o.amount.amount }
                        }
                        #expect(p.attributedPipeline == pipeline)
                        #expect(p.wonRevenue == won)
                    }
                }
            }
        }
    }

    @Test("query arguments: page sizes and foreign cursors are refused")
    func queryArguments() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                try await d.lead(
                    .capture(.init(leadId: "l1", source: "web", campaignId: "k1", companyName: "Acme", email: "a@example.com")))
                try await withEngine(d.log, dir, [SalesPipelineProjector(), ServiceDeskProjector(), CampaignPerformanceProjector()]) {
                    engine in
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let sales = SalesPipelineQueries(engine)
                    #expect(throws: AnalyticsQueryError.invalidLimit) { try sales.openOpportunities(limit: 0) }
                    #expect(throws: AnalyticsQueryError.invalidLimit) { try ServiceDeskQueries(engine).openCases(now: d.now, limit: 1001) }
                    #expect(throws: AnalyticsQueryError.invalidCursor) { try CampaignPerformanceQueries(engine).campaigns(after: "xyz") }
                    // A source-funnel cursor does not page the campaign funnel.
                    let bySource = try sales.leadFunnel(by: .source, limit: 1)
                    #expect(bySource.items.map(\.key) == ["web"])
                    let sourceCursor = "73" + "776562"  // "s" + "web"
                    #expect(throws: AnalyticsQueryError.invalidCursor) { try sales.leadFunnel(by: .campaign, after: sourceCursor) }
                    #expect(try sales.leadFunnel(by: .campaign).items.map(\.key) == ["k1"])
                    #expect(try sales.pipeline().isEmpty)
                    #expect(try ServiceDeskQueries(engine).serviceTimes().resolution.averageMillis == nil)
                }
            }
        }
    }
}
