import CairnDomain
import CairnStore
import Foundation
import Synchronization

/// Realistic CRM traffic for benchmarks and load tests: customers with their sales, marketing
/// and service histories, issued as ordinary commands through ``CairnService`` — so every rule
/// applies and the log holds exactly what production would (about 19 events per customer).
///
/// Deterministic for a seed: the same customers, in the same order, make the same decisions
/// (only times and positions differ between runs).
package struct SyntheticWorkload: Sendable {
    package var customers: Int
    package var seed: UInt64

    package init(customers: Int, seed: UInt64 = 42) {
        self.customers = customers
        self.seed = seed
    }

    /// How many customers to generate for about `events` events.
    package static func customers(forEvents events: Int) -> Int { max(1, events / 19 + 1) }

    /// Runs the workload with `concurrency` customers' stories in flight; `progress` gets the
    /// number of customers done. Returns the log's head afterwards.
    @discardableResult
    package func run(
        on service: CairnService, concurrency: Int = 64, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> UInt64 {
        // One campaign per hundred customers (at least one per worker), each reaching customers
        // spread over the run: sends and responses append to the campaign's stream, so a handful
        // of campaigns shared by 64 concurrent workers would make every send contend for them.
        let campaigns = (0..<max(1, min(customers, max(concurrency, customers / 100)))).map { "k\(seed)x\($0)" }
        for (index, campaign) in campaigns.enumerated() {
            try await service.execute(
                .create(
                    campaignId: campaign, name: "Campaign \(index + 1)", channel: .email, budget: Money("5000", "EUR"),
                    startDate: Self.date(service, days: -30), endDate: Self.date(service, days: 90), segment: nil),
                CommandMetadata(commandId: "gen-\(campaign)-create", actor: "u_marketing"))
            try await service.execute(
                .launch(campaignId: campaign), CommandMetadata(commandId: "gen-\(campaign)-launch", actor: "u_marketing"))
        }
        let counters = Counters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while true {
                        let index = counters.next.withLock { value in
                            defer { value += 1 }
                            return value
                        }
                        guard index < customers else { return }
                        try await story(index, service: service, campaigns: campaigns)
                        let finished = counters.done.withLock { value in
                            value += 1
                            return value
                        }
                        if finished % 1000 == 0 { progress?(finished) }
                    }
                }
            }
            try await group.waitForAll()
        }
        return try service.log.head()
    }

    /// The calendar day `days` from the service clock's today.
    private static func date(_ service: CairnService, days: Int) -> CalendarDate {
        CairnDomain.Timestamp(millisecondsSinceEpoch: service.clock.now().microsecondsSinceEpoch / 1000).adding(seconds: days * 86_400)
            .utcDate
    }

    private static let givenNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"]
    private static let familyNames = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson",
    ]
    private static let tags = ["vip", "partner", "smb", "enterprise", "newsletter", "beta"]
    private static let sources = ["web", "referral", "event", "partner", "import"]

    /// One customer's history.
    private func story(_ index: Int, service: CairnService, campaigns: [String]) async throws {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let id = "c\(seed)x\(index)"
        let owner = "u_rep\(random.next(9))"
        var count = 0
        func meta(_ actor: String) -> CommandMetadata {
            count += 1
            return CommandMetadata(commandId: "gen-\(id)-\(count)", actor: actor)
        }
        let isPerson = random.next(10) < 9
        try await service.execute(
            .register(
                .init(
                    customerId: id, kind: isPerson ? .person : .organization,
                    personName: isPerson
                        ? PersonName(given: Self.givenNames[random.next(10)], family: Self.familyNames[random.next(10)]) : nil,
                    organizationName: isPerson ? nil : "\(Self.familyNames[random.next(10)]) Ltd",
                    emails: ["\(id)@example.com"], phones: ["+44770090\(String(format: "%04d", random.next(10_000)))"],
                    ownerId: owner, source: Self.sources[random.next(Self.sources.count)],
                    attributes: ["employees": .number(Double(1 + random.next(5000)))])),
            meta(owner))
        let consents = random.next(10) < 7
        if consents {
            try await service.execute(
                .grantConsent(
                    customerId: id, consent: ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "web-form"),
                    at: nil), meta(owner))
        }
        for tag in Set((0..<(1 + random.next(2))).map { _ in Self.tags[random.next(Self.tags.count)] }).sorted() {
            try await service.execute(.tag(customerId: id, tag: tag), meta(owner))
        }

        for n in 0..<(1 + random.next(2)) {
            let opportunity = "\(id)o\(n)"
            try await service.execute(
                .open(
                    .init(
                        opportunityId: opportunity, customerId: id, name: "Deal \(n + 1)",
                        amount: Money(amount: Decimal(500 + random.next(50_000)), currency: "EUR"),
                        expectedCloseDate: Self.date(service, days: 15 + random.next(120)), ownerId: owner,
                        campaignId: consents && random.next(4) == 0 ? campaigns[random.next(campaigns.count)] : nil)),
                meta(owner))
            let stages: [OpportunityStage] = [.qualification, .proposal, .negotiation]
            for stage in stages.prefix(1 + random.next(3)) {
                try await service.execute(.moveToStage(opportunityId: opportunity, stage: stage, probability: nil), meta(owner))
            }
            switch random.next(10) {
            case 0..<5: try await service.execute(.win(opportunityId: opportunity), meta(owner))
            case 5..<8: try await service.execute(.lose(opportunityId: opportunity, reason: "price"), meta(owner))
            default: break
            }
        }

        let kinds: [ActivityKind] = [.call, .email, .meeting, .note]
        for n in 0..<(2 + random.next(4)) {
            let kind = kinds[random.next(4)]
            try await service.execute(
                .log(
                    .init(
                        activityId: "\(id)a\(n)", customerId: id, kind: kind, direction: kind == .note ? nil : .outbound,
                        channel: kind == .email ? .email : kind == .call ? .phone : nil,
                        occurredAt: CairnDomain.Timestamp(millisecondsSinceEpoch: service.clock.now().microsecondsSinceEpoch / 1000),
                        durationSeconds: kind == .call || kind == .meeting ? 300 + random.next(3000) : nil,
                        outcome: "follow-up agreed", summary: "Discussed next steps")),
                meta(owner))
        }

        for n in 0..<random.next(4) {
            let lines = (0..<(1 + random.next(3))).map { line in
                OrderLine(
                    sku: "SKU-\(random.next(200))", description: "Product \(line)", quantity: 1 + random.next(10),
                    unitPrice: Decimal(5 + random.next(500)))
            }
            try await service.execute(
                .record(
                    orderId: "\(id)r\(n)", customerId: id, opportunityId: nil, lines: lines, currency: "EUR",
                    orderDate: Self.date(service, days: 0)),
                meta(owner))
        }

        if random.next(2) == 0 {
            let serviceCase = "\(id)k0"
            let priorities: [CasePriority] = [.low, .normal, .high, .urgent]
            try await service.execute(
                .open(
                    caseId: serviceCase, customerId: id, channel: .email, priority: priorities[random.next(4)], subject: "Invoice question",
                    description: "The customer asks about an invoice."), meta(id))
            let agent = "u_agent\(random.next(5))"
            try await service.execute(.assign(caseId: serviceCase, agentId: agent), meta("u_lead"))
            for n in 0..<(1 + random.next(3)) {
                try await service.execute(
                    .recordMessage(
                        caseId: serviceCase, messageId: "m\(n)", author: n % 2 == 0 ? .agent : .customer,
                        authorId: n % 2 == 0 ? agent : nil,
                        body: n % 2 == 0 ? "We are looking into it." : "Thank you."), meta(n % 2 == 0 ? agent : id))
            }
            if random.next(5) < 4 {
                try await service.execute(.resolve(caseId: serviceCase, resolution: "Explained the invoice."), meta(agent))
                try await service.execute(.close(caseId: serviceCase), meta(agent))
                try await service.execute(.recordSatisfaction(caseId: serviceCase, score: 1 + random.next(5), comment: nil), meta(id))
            }
        }

        if consents {
            let campaign = campaigns[index % campaigns.count]
            try await service.send(campaign: campaign, to: id, meta("u_marketing"))
            var responses: [CampaignResponse] = []
            if random.next(10) < 9 { responses.append(.delivered) }
            if random.next(2) == 0 { responses.append(.opened) }
            if random.next(5) == 0 { responses.append(.clicked(url: "https://example.com/offer")) }
            for response in responses {
                try await service.execute(
                    .recordResponse(campaignId: campaign, customerId: id, response: response, at: nil), meta("provider"))
            }
        }
    }
}

/// Hands out customers to the workers and counts those done.
private final class Counters: Sendable {
    let next = Mutex(0)
    let done = Mutex(0)
}
