import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

private let analysisName = CustomerAnalysisProjector.projectionName
private let queryNow = CairnDomain.Timestamp(rfc3339: "2027-01-15T09:00:00Z")!

/// A realistic book of customers, produced through the domain's deciders:
/// - `champ`: five EUR orders through the year, the latest last week, a recent call, tagged vip
///   with email marketing consent, and a case resolved with CSAT 5, reopened, then closed;
/// - `loyal2`: four EUR orders, a call before Christmas, and the EUR order of `dup`, merged into it;
/// - `fading`: four big EUR orders in the first half of 2025 and nothing since, a high-priority
///   case left open past both SLA deadlines, and a resolved case rated 1;
/// - `newbie`: one small EUR order ten days ago; `gone`: one order in 2024;
/// - `usd`: two orders in USD only; `closed1`: an EUR order, then the account closed.
/// Returns the last position written.
private func seedBook(_ d: AnalysisDriver) async throws -> UInt64 {
    for id in ["champ", "loyal2", "fading", "newbie", "gone", "usd", "dup", "closed1"] {
        try await d.register(id, owner: id == "fading" ? "u_kim" : "u_sam", marketingEmail: id == "champ")
    }
    try await d.customer(.tag(customerId: "champ", tag: "vip"))
    for (n, (amount, date)) in [("200", "2026-03-01"), ("300", "2026-06-01"), ("250", "2026-09-01"), ("400", "2026-12-01")].enumerated() {
        try await d.order("o-champ-\(n)", "champ", amount, on: date)
    }
    for (n, (amount, date)) in [("100", "2026-05-01"), ("100", "2026-08-01"), ("120", "2026-11-01"), ("90", "2026-12-20")].enumerated() {
        try await d.order("o-loyal-\(n)", "loyal2", amount, on: date)
    }
    for (n, (amount, date)) in [("500", "2025-01-10"), ("600", "2025-03-10"), ("700", "2025-05-10"), ("650", "2025-06-10")].enumerated() {
        try await d.order("o-fading-\(n)", "fading", amount, on: date)
    }
    try await d.order("o-newbie", "newbie", "80", on: "2027-01-05")
    try await d.order("o-gone", "gone", "40", on: "2024-02-01")
    try await d.order("o-usd-1", "usd", "300", "USD", on: "2026-11-01")
    try await d.order("o-usd-2", "usd", "200", "USD", on: "2026-12-01")
    try await d.order("o-dup", "dup", "100", on: "2026-10-01")
    try await d.order("o-closed", "closed1", "999", on: "2026-12-01")
    try await d.customer(.close(customerId: "closed1", reason: "moved abroad"))
    try await d.merge("dup", into: "loyal2")

    // Service: opened on the 10th; the breach check runs four days later.
    try await d.serviceCase(
        .open(caseId: "k-1", customerId: "fading", channel: .email, priority: .high, subject: "Broken", description: "It broke"))
    try await d.serviceCase(
        .open(caseId: "k-2", customerId: "fading", channel: .phone, priority: .normal, subject: "Invoice", description: "Wrong"))
    try await d.serviceCase(.resolve(caseId: "k-2", resolution: "Credited"))
    try await d.serviceCase(.recordSatisfaction(caseId: "k-2", score: 1, comment: "Slow"))
    try await d.serviceCase(
        .open(caseId: "k-3", customerId: "champ", channel: .chat, priority: .low, subject: "Question", description: "How?"))
    try await d.serviceCase(.resolve(caseId: "k-3", resolution: "Answered"))
    try await d.serviceCase(.recordSatisfaction(caseId: "k-3", score: 5, comment: nil))
    try await d.serviceCase(.reopen(caseId: "k-3", reason: "One more thing"))
    try await d.serviceCase(.resolve(caseId: "k-3", resolution: "Answered again"))
    try await d.serviceCase(.close(caseId: "k-3"))
    d.clock.advance(by: 4 * 86_400)
    try await d.serviceCase(.recordSlaBreaches(caseId: "k-1"))

    try await d.order("o-champ-4", "champ", "350", on: "2027-01-10")
    try await d.activity("a-1", "champ", at: "2027-01-12T10:00:00Z")
    return try await d.activity("a-2", "loyal2", at: "2026-12-20T15:00:00Z")
}

private func seeded(_ body: (AnalysisDriver, ProjectionEngine, CustomerAnalysisQueries) async throws -> Void) async throws {
    try await withAnalysisWorld(projectors: [CustomerAnalysisProjector()], start: "2027-01-10T09:00:00Z") { d, engine in
        let last = try await seedBook(d)
        try await engine.waitUntil(position: last, in: analysisName, timeout: patience)
        try await body(d, engine, CustomerAnalysisQueries(engine: engine))
    }
}

@Suite("Customer analysis: RFM, lifetime value, churn risk, segments", .timeLimit(.minutes(1)))
struct CustomerAnalysisTests {
    @Test("keeps each customer's order, activity and service facts; a merge moves the duplicate's to the survivor")
    func facts() async throws {
        try await seeded { _, _, analysis in
            let champ = try #require(try analysis.customer("champ", now: queryNow))
            #expect(champ.status == .active)
            #expect(champ.orderCount == 5)
            #expect(champ.firstOrderDate == CalendarDate(iso8601: "2026-03-01"))
            #expect(champ.lastOrderDate == CalendarDate(iso8601: "2027-01-10"))
            #expect(champ.totals.map(\.currency) == ["EUR"])
            #expect(champ.totals.first?.total == 1500)
            #expect(champ.activityCount == 1)
            #expect(champ.lastActivityAt == CairnDomain.Timestamp(rfc3339: "2027-01-12T10:00:00Z"))
            #expect(champ.openCases == 0)  // resolved, reopened, resolved, closed
            #expect(champ.csatAverage == 5)
            #expect(champ.tags == ["vip"])

            let fading = try #require(try analysis.customer("fading", now: queryNow))
            #expect(fading.ownerId == "u_kim")
            #expect(fading.openCases == 1)
            #expect(fading.openBreachedCases == 1)
            #expect(fading.slaBreaches == 2)  // first response and resolution
            #expect(fading.csatResponses == 1)
            #expect(fading.lowCsatResponses == 1)

            let loyal = try #require(try analysis.customer("loyal2", now: queryNow))
            #expect(loyal.orderCount == 5)
            #expect(loyal.totals.first?.total == 510)
            let dup = try #require(try analysis.customer("dup", now: queryNow))
            #expect(dup.status == .merged)
            #expect(dup.mergedInto == "loyal2")
            #expect(dup.orderCount == 0)

            let usd = try #require(try analysis.customer("usd", now: queryNow))
            #expect(usd.totals.map(\.currency) == ["USD"])
            #expect(usd.rfm == nil)  // no EUR orders: left out of EUR RFM
            #expect(usd.lifetimeValue.total == 0)
            #expect(try analysis.customer("closed1", now: queryNow)?.churn.level == .churned)
            #expect(try analysis.customer("nobody", now: queryNow) == nil)
        }
    }

    @Test("RFM quintiles and named segments rank the active customers in the reporting currency")
    func rfm() async throws {
        try await seeded { _, _, analysis in
            func score(_ id: String) throws -> RFMScore? { try analysis.customer(id, now: queryNow)?.rfm }
            let champ = try #require(try score("champ"))
            #expect([champ.recency, champ.frequency, champ.monetary] as [Int] == [5, 5, 4])
            #expect(champ.segment == .champions)
            #expect(champ.daysSinceLastOrder == 5)
            #expect(try score("loyal2")?.segment == .loyal)
            #expect(try score("fading")?.segment == .atRisk)
            #expect(try score("newbie")?.segment == .potentialLoyalists)
            #expect(try score("gone")?.segment == .lost)
            #expect(try score("closed1") == nil)

            let eur = try analysis.rfmDistribution(now: queryNow, currency: "EUR")
            #expect(eur.customers == 5)  // champ, loyal2, fading, newbie, gone
            #expect(eur.recencyScores == [1, 1, 1, 1, 1])
            #expect(eur.segments.first { $0.segment == .champions }?.customers == 1)
            #expect(eur.segments.map(\.segment) == RFMSegment.allCases)
            #expect(eur.recencyByFrequency.flatMap { $0 }.reduce(0, +) == 5)
            let usd = try analysis.rfmDistribution(now: queryNow, currency: "USD")
            #expect(usd.customers == 1)
            #expect(usd.recencyScores == [0, 0, 1, 0, 0])  // a lone customer is mid-ranked
        }
    }

    @Test("the RFM ranking queries keep is made again after an order, a closure or a merge, and only then")
    func keptRanking() async throws {
        try await seeded { d, engine, analysis in
            func stamp() throws -> UInt64 { try engine.read(analysisName) { model, txn in try CustomerAnalysisProjector.rfmStamp(model, txn) } }
            func score(_ id: String) throws -> RFMScore? { try analysis.customer(id, now: queryNow)?.rfm }
            let seededStamp = try stamp()
            #expect(seededStamp > 0)
            #expect(try score("newbie").map { [$0.frequency, $0.monetary] } == [2, 2])

            // A new customer without orders, a tag and an activity change no one's RFM inputs.
            try await d.register("quiet")
            try await d.customer(.tag(customerId: "newbie", tag: "promising"))
            let quiet = try await d.activity("a-3", "newbie", at: "2027-01-13T10:00:00Z")
            try await engine.waitUntil(position: quiet, in: analysisName, timeout: patience)
            #expect(try stamp() == seededStamp)
            #expect(try score("newbie").map { [$0.frequency, $0.monetary] } == [2, 2])

            // A big order makes newbie the biggest spender: the kept ranking is not reused.
            let ordered = try await d.order("o-newbie-2", "newbie", "5000", on: "2027-01-14")
            try await engine.waitUntil(position: ordered, in: analysisName, timeout: patience)
            #expect(try stamp() == ordered)
            #expect(try score("newbie").map { [$0.frequency, $0.monetary] } == [2, 5])
            #expect(try score("fading")?.monetary == 4)

            // A closure takes a customer out of every ranking.
            let closed = try await d.customer(.close(customerId: "gone", reason: "asked to"))
            try await engine.waitUntil(position: closed, in: analysisName, timeout: patience)
            #expect(try stamp() == closed)
            #expect(try analysis.rfmDistribution(now: queryNow, currency: "EUR").customers == 4)
            #expect(try score("gone") == nil)
        }
    }

    @Test("kept derived values: reused at the same stamp, made again at another, the least recently used dropped")
    func derivedValues() throws {
        let kept = DerivedValues(capacity: 2)
        var made = 0
        func value(_ key: String, _ stamp: UInt64) -> Int {
            kept.value(key, stamp: stamp) {
                made += 1
                return made
            }
        }
        #expect(value("a", 1) == 1)
        #expect(value("a", 1) == 1)
        #expect(value("a", 2) == 2)  // the content changed
        #expect(value("b", 1) == 3)
        #expect(value("a", 2) == 2)  // a is now used more recently than b
        #expect(value("c", 1) == 4)  // drops b
        #expect(value("a", 2) == 2)
        #expect(value("b", 1) == 5)
    }

    @Test("lifetime value and churn risk are computed at query time from now")
    func valueAndRisk() async throws {
        try await seeded { _, _, analysis in
            let champ = try #require(try analysis.customer("champ", now: queryNow))
            #expect(champ.churn.score == 0)
            #expect(champ.churn.level == .low)
            // 1500 spent; 300 a order × 5 a year × 3 years × full retention.
            #expect(champ.lifetimeValue.historic == 1500)
            #expect(champ.lifetimeValue.averageOrderValue == 300)
            #expect(champ.lifetimeValue.projected == 4500)
            #expect(champ.lifetimeValue.total == 6000)

            let fading = try #require(try analysis.customer("fading", now: queryNow))
            #expect(fading.churn.level == .high)
            #expect(fading.churn.recency == 35)
            #expect(fading.churn.cadence == 20)
            #expect(fading.churn.engagement == 15)
            #expect(fading.churn.service == 20)  // breached open case 10 + CSAT 1 → 10
            #expect(fading.lifetimeValue.retention < 0.2)

            // A year later with nothing new, champ's risk has grown and its value shrunk.
            let later = CairnDomain.Timestamp(millisecondsSinceEpoch: queryNow.millisecondsSinceEpoch + 365 * 86_400_000)
            let champLater = try #require(try analysis.customer("champ", now: later))
            #expect(champLater.churn.score > 60)
            #expect(champLater.lifetimeValue.total < champ.lifetimeValue.total)
            // Another reporting currency and horizon.
            let usd = try #require(
                try analysis.customer(
                    "usd", now: queryNow, options: CustomerAnalysisOptions(reportingCurrency: "USD", expectedLifespanYears: 1)))
            #expect(usd.lifetimeValue.historic == 500)
            #expect(usd.lifetimeValue.expectedLifespanYears == 1)
        }
    }

    @Test("lists sort by lifetime value or churn risk, filter, and page with opaque cursors")
    func lists() async throws {
        try await seeded { _, _, analysis in
            var pages: [[String]] = []
            var cursor: String?
            repeat {
                let page = try analysis.customers(sortedBy: .lifetimeValue, now: queryNow, limit: 2, cursor: cursor)
                pages.append(page.items.map(\.customerId))
                cursor = page.nextCursor
            } while cursor != nil
            #expect(pages == [["champ", "fading"], ["loyal2", "newbie"], ["gone", "usd"]])

            let byRisk = try analysis.customers(sortedBy: .churnRisk, now: queryNow)
            #expect(byRisk.items.map(\.customerId) == ["fading", "gone", "usd", "newbie", "loyal2", "champ"])
            #expect(byRisk.nextCursor == nil)
            let scores = byRisk.items.map(\.churn.score)
            #expect(scores == scores.sorted(by: >))

            let high = try analysis.customers(sortedBy: .churnRisk, now: queryNow, filter: CustomerAnalysisFilter(churnLevels: [.high]))
            #expect(high.items.map(\.customerId) == ["fading", "gone"])
            let champions = try analysis.customers(
                sortedBy: .lifetimeValue, now: queryNow, filter: CustomerAnalysisFilter(rfmSegments: [.champions, .loyal]))
            #expect(champions.items.map(\.customerId) == ["champ", "loyal2"])
            let kims = try analysis.customers(sortedBy: .lifetimeValue, now: queryNow, filter: CustomerAnalysisFilter(ownerId: "u_kim"))
            #expect(kims.items.map(\.customerId) == ["fading"])
            let vip = try analysis.customers(sortedBy: .churnRisk, now: queryNow, filter: CustomerAnalysisFilter(tag: "vip"))
            #expect(vip.items.map(\.customerId) == ["champ"])

            #expect(throws: CustomerAnalysisQueryError.self) {
                try analysis.customers(sortedBy: .churnRisk, now: queryNow, cursor: "not a cursor")
            }
            let valuePage = try analysis.customers(sortedBy: .lifetimeValue, now: queryNow, limit: 1)
            #expect(throws: CustomerAnalysisQueryError.self) {
                try analysis.customers(sortedBy: .churnRisk, now: queryNow, cursor: valuePage.nextCursor)
            }
        }
    }

    @Test("segment membership follows the events and the query's now")
    func segments() async throws {
        try await seeded { d, engine, analysis in
            try await d.campaign(
                .create(
                    campaignId: "spring", name: "Spring VIP", channel: .email, budget: nil,
                    startDate: CalendarDate(iso8601: "2027-03-01")!, endDate: CalendarDate(iso8601: "2027-03-31")!,
                    segment: Segment(rules: [.hasTag("vip"), .hasConsent(.email, .marketing)])))
            try await d.campaign(
                .create(
                    campaignId: "winback", name: "Win back", channel: .email, budget: nil,
                    startDate: CalendarDate(iso8601: "2027-02-01")!, endDate: CalendarDate(iso8601: "2027-02-28")!, segment: nil))
            var last = try await d.campaign(.defineSegment(campaignId: "winback", segment: Segment(rules: [.inactiveForDays(90)])))
            try await engine.waitUntil(position: last, in: analysisName, timeout: patience)

            #expect(try analysis.segmentMembers(campaign: "spring", now: queryNow).members == ["champ"])
            #expect(try analysis.customer("champ", now: queryNow)?.segments == ["spring"])
            let first = try analysis.segmentMembers(campaign: "winback", now: queryNow, limit: 3)
            #expect(first.members == ["fading", "gone", "newbie"])
            let second = try analysis.segmentMembers(campaign: "winback", now: queryNow, limit: 3, cursor: first.nextCursor)
            #expect(second.members == ["usd"])
            #expect(second.nextCursor == nil)
            #expect(try analysis.segmentMembers(campaign: "unknown", now: queryNow).segmentDefined == false)
            let winback = try analysis.customers(
                sortedBy: .churnRisk, now: queryNow, filter: CustomerAnalysisFilter(campaignSegment: "winback"))
            #expect(winback.items.map(\.customerId) == ["fading", "gone", "usd", "newbie"])

            // New events change membership: champ loses the tag, gone gets a call.
            try await d.customer(.untag(customerId: "champ", tag: "vip"))
            last = try await d.activity("a-3", "gone", at: "2027-01-14T08:00:00Z")
            try await engine.waitUntil(position: last, in: analysisName, timeout: patience)
            #expect(try analysis.segmentMembers(campaign: "spring", now: queryNow).members == [])
            #expect(try analysis.segmentMembers(campaign: "winback", now: queryNow).members == ["fading", "newbie", "usd"])

            // Half a year on, the recent callers have gone quiet too.
            let later = CairnDomain.Timestamp(millisecondsSinceEpoch: queryNow.millisecondsSinceEpoch + 200 * 86_400_000)
            #expect(
                try analysis.segmentMembers(campaign: "winback", now: later).members
                    == ["champ", "fading", "gone", "loyal2", "newbie", "usd"])
        }
    }

    @Test("rebuilding from the log gives identical content")
    func deterministic() async throws {
        try await seeded { d, engine, analysis in
            try await d.campaign(
                .create(
                    campaignId: "spring", name: "Spring VIP", channel: .email, budget: nil,
                    startDate: CalendarDate(iso8601: "2027-03-01")!, endDate: CalendarDate(iso8601: "2027-03-31")!,
                    segment: Segment(match: .any, rules: [.hasTag("vip"), .attribute(key: "tier", op: .equals, value: .string("gold"))])))
            let last = try await d.customer(.setAttribute(customerId: "loyal2", key: "tier", value: .string("gold")))
            try await engine.waitUntil(position: last, in: analysisName, timeout: patience)
            let before = try engine.digest(analysisName)
            let listBefore = try analysis.customers(sortedBy: .lifetimeValue, now: queryNow)
            try await engine.rebuild(analysisName)
            #expect(try engine.digest(analysisName) == before)
            #expect(try analysis.customers(sortedBy: .lifetimeValue, now: queryNow) == listBefore)
            #expect(try analysis.segmentMembers(campaign: "spring", now: queryNow).members == ["champ", "loyal2"])

            // Batch boundaries do not matter: one large batch folds to the same content.
            try await withTemporaryDirectory { other in
                try await withEngine(d.log, other, [CustomerAnalysisProjector()], batchSize: 10_000) { single in
                    try await single.waitUntil(position: last, in: analysisName, timeout: patience)
                    #expect(try single.digest(analysisName) == before)
                }
            }
        }
    }

    @Test("service facts about a merged duplicate that arrive after the merge land on the survivor")
    func lateFactsAfterMerge() async throws {
        try await withAnalysisWorld(projectors: [CustomerAnalysisProjector()], start: "2027-01-10T09:00:00Z") { d, engine in
            try await d.register("keep")
            try await d.register("old")
            try await d.order("o-old", "old", "70", on: "2026-12-01")
            try await d.serviceCase(
                .open(caseId: "k-old", customerId: "old", channel: .web, priority: .urgent, subject: "Down", description: "Site down"))
            try await d.merge("old", into: "keep")
            let analysis = CustomerAnalysisQueries(engine: engine)
            d.clock.advance(by: 86_400)
            var last = try await d.serviceCase(.recordSlaBreaches(caseId: "k-old"))
            try await engine.waitUntil(position: last, in: analysisName, timeout: patience)
            var keep = try #require(try analysis.customer("keep", now: queryNow))
            #expect(keep.orderCount == 1)
            #expect(keep.openCases == 1)
            #expect(keep.openBreachedCases == 1)

            try await d.serviceCase(.resolve(caseId: "k-old", resolution: "Restarted"))
            last = try await d.serviceCase(.recordSatisfaction(caseId: "k-old", score: 2, comment: nil))
            try await engine.waitUntil(position: last, in: analysisName, timeout: patience)
            keep = try #require(try analysis.customer("keep", now: queryNow))
            #expect(keep.openCases == 0)
            #expect(keep.openBreachedCases == 0)
            #expect(keep.slaBreaches == 2)
            #expect(keep.lowCsatResponses == 1)
            let old = try #require(try analysis.customer("old", now: queryNow))
            #expect(old.openCases == 0)
            #expect(old.slaBreaches == 0)
            #expect(try analysis.customers(sortedBy: .churnRisk, now: queryNow).items.map(\.customerId) == ["keep"])
        }
    }
}

@Suite("Time travel: a customer or an opportunity as of a position or a time", .timeLimit(.minutes(1)))
struct AsOfTests {
    @Test("a customer's state before and after later changes")
    func customerAsOf() async throws {
        try await withAnalysisWorld(projectors: []) { d, _ in
            try await d.register("ada", marketingEmail: true)
            let tagged = try await d.customer(.tag(customerId: "ada", tag: "vip"))
            let taggedAt = d.clock.now()
            d.clock.advance(by: 3_600)
            try await d.customer(.setAttribute(customerId: "ada", key: "tier", value: .string("gold")))
            d.clock.advance(by: 3_600)
            let closed = try await d.customer(.close(customerId: "ada", reason: "requested"))
            try await d.register("bob")  // another stream moves the log on

            let beforeAnything = try customerState("ada", asOf: .position(0), in: d.log, payloads: StoredPayloads())
            #expect(beforeAnything.state.status == .notRegistered)
            #expect(beforeAnything.version == 0)

            let atTag = try customerState("ada", asOf: .position(tagged), in: d.log, payloads: StoredPayloads())
            #expect(atTag.state.status == .active)
            #expect(atTag.state.tags == ["vip"])
            #expect(atTag.state.attributes.isEmpty)
            #expect(atTag.state.hasConsent(.email, for: .marketing))
            #expect(atTag.position == tagged)

            let byTime = try customerState("ada", asOf: .time(taggedAt), in: d.log, payloads: StoredPayloads())
            #expect(byTime.state == atTag.state)
            #expect(byTime.version == atTag.version)

            let now = try customerState("ada", asOf: .position(.max), in: d.log, payloads: StoredPayloads())
            #expect(now.state.status == .closed)
            #expect(now.state.attributes["tier"] == .string("gold"))
            #expect(now.position == closed)
            #expect(now.version == atTag.version + 2)
        }
    }

    @Test("an opportunity's stage and amount before and after it was won")
    func opportunityAsOf() async throws {
        try await withAnalysisWorld(projectors: []) { d, _ in
            try await d.register("acme", kind: .organization)
            try await d.opportunity(
                .open(
                    .init(
                        opportunityId: "op-1", customerId: "acme", name: "Retrofit", amount: Money("1000", "EUR")!,
                        expectedCloseDate: CalendarDate(iso8601: "2027-06-30")!, ownerId: "u_sam")))
            let proposal = try await d.opportunity(.moveToStage(opportunityId: "op-1", stage: .proposal, probability: nil))
            let proposalTime = d.clock.now()
            d.clock.advance(by: 86_400)
            try await d.opportunity(.changeAmount(opportunityId: "op-1", amount: Money("1500", "EUR")!))
            d.clock.advance(by: 86_400)
            try await d.opportunity(.win(opportunityId: "op-1"))

            let then = try opportunityState("op-1", asOf: .position(proposal), in: d.log, payloads: StoredPayloads())
            #expect(then.state.status == .open)
            #expect(then.state.stage == .proposal)
            #expect(then.state.amount == Money("1000", "EUR")!)
            let sameTime = try opportunityState("op-1", asOf: .time(proposalTime), in: d.log, payloads: StoredPayloads())
            #expect(sameTime.state == then.state)
            let dayAfter = try opportunityState(
                "op-1", asOf: .time(CairnStore.Timestamp(microsecondsSinceEpoch: proposalTime.microsecondsSinceEpoch + 86_400_000_000)),
                in: d.log, payloads: StoredPayloads())
            #expect(dayAfter.state.amount == Money("1500", "EUR")!)
            #expect(dayAfter.state.status == .open)

            let now = try opportunityState("op-1", asOf: .position(.max), in: d.log, payloads: StoredPayloads())
            #expect(now.state.status == .won)
            #expect(now.state.timesWon == 1)
            #expect(now.version == 4)
        }
    }
}
