import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

private func money(_ amount: String, _ currency: String) -> Money { Money(amount, currency)! }
private func dec(_ text: String) -> Decimal { Decimal(string: text)! }
private func date(_ text: String) -> CalendarDate { CalendarDate(iso8601: text)! }

/// Folds the driver's log with `projector` in `dir`, checks a rebuild and a second engine folding
/// one event per batch give the same digest, then runs `body` on the first engine.
private func withAnalyticsEngine<T>(
    _ driver: AnalyticsDomainDriver, _ dir: String, _ projector: any Projector, _ body: (ProjectionEngine) async throws -> T
) async throws -> T {
    try await withEngine(driver.log, dir, [projector]) { engine in
        try await engine.waitUntil(position: driver.head, timeout: patience)
        return try await body(engine)
    }
}

private func expectDeterministic(
    _ driver: AnalyticsDomainDriver, _ dir: String, _ engine: ProjectionEngine, _ projector: any Projector
) async throws {
    try await engine.waitUntil(position: driver.head, timeout: patience)
    let before = try engine.digest(projector.name)
    try await engine.rebuild(projector.name)
    #expect(try engine.digest(projector.name) == before)
    let other = try await withEngine(driver.log, dir + "/one-by-one", [projector], batchSize: 1) { single in
        try await single.waitUntil(position: driver.head, timeout: patience)
        return try single.digest(projector.name)
    }
    #expect(other == before)
}

@Suite("Analytics: sales pipeline", .timeLimit(.minutes(1)))
struct SalesPipelineTests {
    @Test("pipeline cells, forecast, open list, win rate, cycle and lead funnel follow the domain's events")
    func pipeline() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                try await d.customer("c1")
                try await d.customer("c2")
                let projector = SalesPipelineProjector()
                func open(
                    _ id: String, _ customer: String, _ amount: Money, _ close: String, _ owner: String,
                    _ stage: OpportunityStage = .prospecting
                )
                    async throws
                {
                    try await d.opportunity(
                        .open(
                            .init(
                                opportunityId: id, customerId: customer, name: "Deal \(id)", amount: amount, expectedCloseDate: date(close),
                                ownerId: owner, stage: stage)))
                }
                try await open("o1", "c1", money("1000", "EUR"), "2026-06-30", "u_ann")
                try await d.opportunity(.moveToStage(opportunityId: "o1", stage: .proposal, probability: nil))
                try await open("o2", "c2", money("2000", "EUR"), "2026-06-15", "u_bob", .negotiation)
                try await open("o3", "c1", money("500", "USD"), "2026-07-10", "u_ann")
                d.advance(hours: 24)
                try await open("o4", "c2", money("300", "EUR"), "2026-07-01", "u_bob")
                d.advance(hours: 24)
                try await d.opportunity(.win(opportunityId: "o3"))  // 2 days after opening
                try await d.opportunity(.lose(opportunityId: "o4", reason: "budget"))  // 1 day
                try await d.lead(
                    .capture(
                        .init(
                            leadId: "l1", source: "web", campaignId: "k1", personName: PersonName(given: "Lin", family: "Ode"),
                            email: "lin@example.com")))
                try await d.lead(.qualify(leadId: "l1", note: nil))
                // Contact details do not move a lead through the funnel: the counts below ignore them.
                try await d.lead(.update(.init(leadId: "l1", companyName: "Ode Ltd", phone: "+447700900124")))
                try await d.convert(
                    LeadConversion(
                        leadId: "l1", customer: .register(newCustomerId: "c9"), opportunityId: "o5", opportunityName: "From lead",
                        amount: money("800", "EUR"), expectedCloseDate: date("2026-08-01"), ownerId: "u_ann"))
                try await d.lead(.capture(.init(leadId: "l2", source: "web", companyName: "Acme", phone: "+447700900123")))
                try await d.lead(.disqualify(leadId: "l2", reason: "no budget"))
                try await d.lead(
                    .capture(.init(leadId: "l3", source: "fair", campaignId: "k1", companyName: "Bolt", email: "b@example.com")))
                try await d.lead(.update(.init(leadId: "l3", personName: PersonName(given: "Bo", family: "Lt"), clear: [.companyName])))

                try await withAnalyticsEngine(d, dir, projector) { engine in
                    let q = SalesPipelineQueries(engine)
                    let cells = try q.pipeline()
                    #expect(cells.map(\.month.description) == ["2026-06", "2026-06", "2026-08"])
                    #expect(cells.map(\.stage) == [.proposal, .negotiation, .prospecting])
                    #expect(cells.map(\.owner) == ["u_ann", "u_bob", "u_ann"])
                    #expect(cells.map(\.amount) == [dec("1000"), dec("2000"), dec("800")])
                    #expect(cells.map(\.weightedAmount) == [dec("500"), dec("1500"), dec("80")])
                    #expect(try q.pipeline(PipelineFilter(owner: "u_ann")).count == 2)
                    #expect(try q.pipeline(PipelineFilter(stage: .negotiation)).map(\.owner) == ["u_bob"])
                    let june = PipelineMonth(year: 2026, month: 6)
                    #expect(try q.pipeline(PipelineFilter(fromMonth: june, throughMonth: june)).count == 2)
                    #expect(try q.pipeline(PipelineFilter(fromMonth: PipelineMonth(year: 2026, month: 7))).map(\.amount) == [dec("800")])

                    let forecast = try q.forecast()
                    #expect(
                        forecast.map { "\($0.month) \($0.owner) \($0.currency) \($0.weightedAmount)" } == [
                            "2026-06 u_ann EUR 500", "2026-06 u_bob EUR 1500", "2026-08 u_ann EUR 80",
                        ])

                    let first = try q.openOpportunities(limit: 2)
                    #expect(first.items.map(\.opportunityId) == ["o1", "o2"])
                    let second = try q.openOpportunities(limit: 2, after: first.nextCursor)
                    #expect(second.items.map(\.opportunityId) == ["o5"])
                    #expect(second.nextCursor == nil)
                    #expect(try q.openOpportunities(PipelineFilter(owner: "u_bob")).items.map(\.opportunityId) == ["o2"])
                    #expect(throws: AnalyticsQueryError.invalidCursor) { try q.openOpportunities(after: "zz") }

                    let rates = try q.winRates()
                    #expect(rates.overall.won == 1 && rates.overall.lost == 1 && rates.overall.rate == 0.5)
                    #expect(rates.overall.averageCycleDays == 1.5)
                    #expect(rates.byOwner.map(\.owner) == ["u_ann", "u_bob"])
                    #expect(rates.byOwner[0].rate == 1 && rates.byOwner[0].averageCycleDays == 2)
                    #expect(rates.byOwner[0].wonRevenue == ["USD": dec("500")])
                    #expect(rates.byOwner[1].rate == 0 && rates.byOwner[1].averageCycleDays == 1)
                    #expect(try q.winRates(owner: "u_bob").overall.lost == 1)

                    let sources = try q.leadFunnel(by: .source)
                    #expect(sources.items.map(\.key) == ["fair", "web"])
                    let web = sources.items[1]
                    #expect([web.captured, web.qualified, web.disqualified, web.converted] == [2, 1, 1, 1] as [Int])
                    let page = try q.leadFunnel(by: .source, limit: 1)
                    #expect(page.items.map(\.key) == ["fair"])
                    #expect(try q.leadFunnel(by: .source, limit: 1, after: page.nextCursor).items.map(\.key) == ["web"])
                    let campaigns = try q.leadFunnel(by: .campaign)
                    #expect(campaigns.items.map(\.key) == ["k1"])
                    #expect(
                        [campaigns.items[0].captured, campaigns.items[0].qualified, campaigns.items[0].converted] == [2, 1, 1] as [Int])

                    // Reopening takes the win back and puts the deal back in the pipeline.
                    try await d.opportunity(.reopen(opportunityId: "o3", stage: .qualification))
                    try await d.opportunity(.changeAmount(opportunityId: "o2", amount: money("2400", "EUR")))
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let after = try q.winRates()
                    #expect(after.byOwner.map(\.owner) == ["u_bob"])
                    #expect(after.overall.rate == 0)
                    let july = try q.pipeline(
                        PipelineFilter(fromMonth: PipelineMonth(year: 2026, month: 7), throughMonth: PipelineMonth(year: 2026, month: 7)))
                    #expect(july.map { "\($0.stage) \($0.currency) \($0.amount) \($0.weightedAmount)" } == ["qualification USD 500 125"])
                    #expect(try q.pipeline(PipelineFilter(owner: "u_bob")).map(\.weightedAmount) == [dec("1800")])

                    try await expectDeterministic(d, dir, engine, projector)
                }
            }
        }
    }
}

@Suite("Analytics: service desk", .timeLimit(.minutes(1)))
struct ServiceDeskTests {
    @Test("open cases by priority, assignee and age; SLA due soon and breached; response times; CSAT")
    func serviceDesk() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                try await d.customer("c1")
                let t0 = d.now
                func at(_ hours: Int) -> CairnDomain.Timestamp { t0.adding(seconds: hours * 3600) }
                func open(_ id: String, _ priority: CasePriority) async throws {
                    try await d.serviceCase(
                        .open(caseId: id, customerId: "c1", channel: .email, priority: priority, subject: "Help", description: "It broke"))
                }
                try await open("s1", .high)
                try await d.serviceCase(.assign(caseId: "s1", agentId: "u_ann"))
                try await open("s2", .urgent)
                d.advance(minutes: 30)
                try await d.serviceCase(
                    .recordMessage(caseId: "s1", messageId: "m1", author: .customer, authorId: nil, body: "Still broken"))
                try await d.serviceCase(.recordMessage(caseId: "s1", messageId: "m2", author: .agent, authorId: "u_ann", body: "On it"))
                d.advance(minutes: 30)
                try await open("s3", .low)
                try await d.serviceCase(.assign(caseId: "s3", agentId: "u_bob"))
                d.advance(hours: 1)
                try await d.serviceCase(.recordSlaBreaches(caseId: "s2"))
                try await d.serviceCase(.resolve(caseId: "s1", resolution: "Fixed"))
                try await d.serviceCase(.recordSatisfaction(caseId: "s1", score: 4, comment: nil))
                try await open("s4", .normal)
                try await d.serviceCase(.assign(caseId: "s4", agentId: "u_ann"))

                let projector = ServiceDeskProjector()
                try await withAnalyticsEngine(d, dir, projector) { engine in
                    let q = ServiceDeskQueries(engine)
                    let now = at(3)
                    let first = try q.openCases(now: now, limit: 2)
                    #expect(first.items.map(\.caseId) == ["s2", "s3"])
                    #expect(first.items.map(\.ageSeconds) == [10_800, 7_200])
                    #expect(first.items[0].assignee == nil)
                    let rest = try q.openCases(now: now, limit: 2, after: first.nextCursor)
                    #expect(rest.items.map(\.caseId) == ["s4"] && rest.nextCursor == nil)
                    #expect(try q.openCases(now: now, ServiceDeskFilter(assignee: "u_ann")).items.map(\.caseId) == ["s4"])
                    #expect(try q.openCases(now: now, ServiceDeskFilter(priority: .low)).items.map(\.caseId) == ["s3"])

                    let breakdown = try q.openCaseBreakdown(now: now)
                    #expect(breakdown.total == 3)
                    #expect(breakdown.byPriority == [.urgent: 1, .low: 1, .normal: 1])
                    #expect(breakdown.byAssignee == ["": 1, "u_bob": 1, "u_ann": 1])
                    #expect(breakdown.byAge == [0, 3, 0, 0, 0, 0])
                    #expect(breakdown.oldestAgeSeconds == 10_800)

                    let breached = try q.slaBreached(now: now)
                    #expect(breached.items.map { "\($0.caseId) \($0.kind) \($0.breachRecorded)" } == ["s2 firstResponse true"])
                    let later = try q.slaBreached(now: at(9))
                    #expect(
                        later.items.map { "\($0.caseId) \($0.kind) \($0.breachRecorded)" } == [
                            "s2 firstResponse true", "s2 resolution false",
                        ])

                    let soon = try q.slaDueSoon(now: now, withinSeconds: 8 * 3600, limit: 1)
                    #expect(soon.items.map { "\($0.caseId) \($0.kind)" } == ["s2 resolution"])
                    let soonRest = try q.slaDueSoon(now: now, withinSeconds: 8 * 3600, limit: 1, after: soon.nextCursor)
                    #expect(soonRest.items.map { "\($0.caseId) \($0.kind) \($0.dueAt)" } == ["s4 firstResponse \(at(10))"])
                    #expect(soonRest.nextCursor == nil)

                    var times = try q.serviceTimes()
                    #expect(times.firstResponse.count == 1 && times.firstResponse.medianMillis == 1_800_000)
                    #expect(times.resolution.averageMillis == 7_200_000)
                    #expect(times.firstResponseBreaches == 1 && times.resolutionBreaches == 0)
                    let csatBefore = try q.csat().overall
                    #expect(csatBefore.ratings == 1 && csatBefore.average == 4)

                    // A reopened case's earlier resolution (2 h) no longer counts; its final one (4 h) does.
                    d.advance(hours: 1)
                    try await d.serviceCase(.recordMessage(caseId: "s3", messageId: "m3", author: .agent, authorId: "u_bob", body: "Hi"))
                    try await d.serviceCase(.resolve(caseId: "s3", resolution: "Done"))
                    try await d.serviceCase(.recordSatisfaction(caseId: "s3", score: 2, comment: nil))
                    try await d.serviceCase(.reopen(caseId: "s1", reason: "Came back"))
                    d.advance(hours: 1)
                    try await d.serviceCase(.resolve(caseId: "s1", resolution: "Fixed again"))
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    times = try q.serviceTimes()
                    #expect(times.firstResponse.count == 2 && times.firstResponse.maximumMillis == 7_200_000)
                    #expect(times.resolution.count == 2)
                    #expect(times.resolution.medianMillis == 7_200_000 && times.resolution.p90Millis == 14_400_000)
                    #expect(times.resolution.averageMillis == 10_800_000)
                    let csat = try q.csat()
                    #expect(csat.overall.ratings == 2 && csat.overall.average == 3)
                    #expect(csat.byAgent.map { "\($0.agent ?? "-") \($0.average ?? 0)" } == ["u_ann 4.0", "u_bob 2.0"])
                    #expect(try q.csat(agent: "u_bob").overall.average == 2)
                    #expect(try q.openCases(now: at(5)).items.map(\.caseId) == ["s2", "s4"])

                    try await expectDeterministic(d, dir, engine, projector)
                }
            }
        }
    }
}

@Suite("Analytics: campaign performance", .timeLimit(.minutes(1)))
struct CampaignPerformanceTests {
    @Test("responses, bounces, unsubscribes, conversions, attributed pipeline and won revenue per campaign")
    func campaigns() async throws {
        try await withTemporaryDirectory { dir in
            try await withAnalyticsDriver(dir) { d in
                for id in ["c1", "c2", "c3"] { try await d.customer(id) }
                try await d.campaign(
                    .create(
                        campaignId: "k1", name: "Spring", channel: .email, budget: nil, startDate: date("2026-04-01"),
                        endDate: date("2026-12-31"), segment: nil))
                try await d.campaign(
                    .create(
                        campaignId: "k2", name: "Autumn", channel: .email, budget: nil, startDate: date("2026-09-01"),
                        endDate: date("2026-12-31"), segment: nil))
                try await d.campaign(.launch(campaignId: "k1"))
                for id in ["c1", "c2", "c3"] { try await d.send("k1", to: id) }
                func respond(_ customer: String, _ response: CampaignResponse) async throws {
                    try await d.campaign(.recordResponse(campaignId: "k1", customerId: customer, response: response, at: nil))
                }
                try await respond("c1", .delivered)
                try await respond("c1", .opened)
                try await respond("c1", .clicked(url: "https://example.com/a"))
                try await respond("c1", .clicked(url: "https://example.com/b"))
                try await respond("c1", .replied)
                try await respond("c1", .converted(opportunityId: "o1", orderId: nil))
                try await respond("c2", .delivered)
                try await respond("c2", .bounced(.soft, reason: "mailbox full"))
                try await respond("c3", .bounced(.hard, reason: "no such user"))
                try await d.unsubscribe("k1", "c2")
                func open(_ id: String, _ customer: String, _ amount: Money, campaign: String?) async throws {
                    try await d.opportunity(
                        .open(
                            .init(
                                opportunityId: id, customerId: customer, name: "Deal", amount: amount,
                                expectedCloseDate: date("2026-09-30"), ownerId: "u_ann", campaignId: campaign)))
                }
                try await open("o1", "c1", money("1000", "EUR"), campaign: "k1")
                try await open("o2", "c2", money("250", "USD"), campaign: "k1")
                try await open("o3", "c3", money("90", "EUR"), campaign: nil)
                try await d.opportunity(.changeAmount(opportunityId: "o1", amount: money("1200", "EUR")))
                try await d.opportunity(.win(opportunityId: "o1"))
                try await d.opportunity(.lose(opportunityId: "o2", reason: "timing"))
                try await d.opportunity(.win(opportunityId: "o3"))

                let projector = CampaignPerformanceProjector()
                try await withAnalyticsEngine(d, dir, projector) { engine in
                    let q = CampaignPerformanceQueries(engine)
                    let k1 = try #require(try q.campaign("k1"))
                    #expect(k1.name == "Spring")
                    #expect(k1.status == "running")
                    #expect(k1.channel == "email")
                    #expect([k1.sends, k1.deliveries, k1.opens, k1.clicks, k1.replies] == [3, 2, 1, 2, 1] as [Int])
                    #expect([k1.hardBounces, k1.softBounces, k1.bounces, k1.unsubscribes, k1.conversions] == [1, 1, 2, 1, 1] as [Int])
                    #expect(k1.attributedOpportunities == 2 && k1.wonOpportunities == 1)
                    #expect(k1.attributedPipeline == ["EUR": dec("1000"), "USD": dec("250")])
                    #expect(k1.wonRevenue == ["EUR": dec("1200")])
                    #expect(try q.campaign("k9") == nil)

                    let first = try q.campaigns(limit: 1)
                    #expect(first.items.map(\.campaignId) == ["k1"])
                    let second = try q.campaigns(limit: 1, after: first.nextCursor)
                    #expect(second.items.map(\.campaignId) == ["k2"] && second.nextCursor == nil)
                    #expect(try q.campaigns(status: "draft").items.map(\.campaignId) == ["k2"])

                    try await d.opportunity(.reopen(opportunityId: "o1", stage: .negotiation))
                    try await engine.waitUntil(position: d.head, timeout: patience)
                    let reopened = try #require(try q.campaign("k1"))
                    #expect(reopened.wonRevenue.isEmpty && reopened.wonOpportunities == 0)

                    try await expectDeterministic(d, dir, engine, projector)
                }
            }
        }
    }
}
