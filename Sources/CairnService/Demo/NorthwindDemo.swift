import CairnDomain
import CairnStore
import Foundation
import Synchronization

/// Demo data with a real shape: the Northwind Traders sample (customers, their contact, the
/// sales reps who own them, 830 orders and how they were shipped), plus generated but
/// plausible activities, opportunities, campaigns and service cases on top — all issued as
/// ordinary commands through ``CairnService``, so every rule and the timeline apply.
///
/// Deterministic for a seed; dates that are not Northwind's come from the service's clock.
/// Every command has a fixed id, so loading twice changes nothing the second time.
package struct NorthwindDemo: Sendable {
    package var directory: String
    package var seed: UInt64

    package init(directory: String, seed: UInt64 = 1996) {
        self.directory = directory
        self.seed = seed
    }

    /// What a load recorded (commands already recorded by an earlier load count as skipped).
    package struct Summary: Sendable, Equatable {
        package var salesReps = 0
        package var customers = 0
        package var contacts = 0
        package var orders = 0
        package var orderLines = 0
        package var shipments = 0
        package var lateDeliveryCases = 0
        package var serviceCases = 0
        package var activities = 0
        package var opportunities = 0
        package var campaigns = 0
        package var campaignSends = 0
        package var campaignResponses = 0
        /// Events this load appended; 0 when everything was there already.
        package var events = 0
        /// Commands that had run before (a repeated load) and were not recorded again.
        package var replayed = 0
    }

    /// Loads everything, `concurrency` customers' stories at a time.
    package func load(into service: CairnService, concurrency: Int = 16) async throws -> Summary {
        let data = try NorthwindData(directory: directory)
        let tally = DemoTally()
        var grouped: [String: [NorthwindData.Order]] = [:]
        for order in data.orders { grouped[order.customerId, default: []].append(order) }
        let ordersByCustomer = grouped
        let reps = Dictionary(uniqueKeysWithValues: data.employees.map { ($0.id, Self.repId($0)) })
        tally.setSalesReps(reps.count)
        let customers = data.customers
        let cursor = DemoCursor()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while true {
                        let index = cursor.next()
                        guard index < customers.count else { return }
                        let customer = customers[index]
                        try await story(
                            customer, orders: ordersByCustomer[customer.id] ?? [], data: data, reps: reps, service: service,
                            tally: tally)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await campaigns(customers, service: service, tally: tally)
        return tally.summary
    }

    static func repId(_ employee: NorthwindData.Employee) -> UserID {
        "rep-\(employee.id)-\(ascii(employee.lastName).lowercased())"
    }

    static func customerId(_ northwindId: String) -> CustomerID { "nw-\(northwindId)" }
    static func contactId(_ northwindId: String) -> CustomerID { "nw-\(northwindId)-contact" }

    /// Letters without accents and nothing but A–Z, a–z and 0–9: for ids and e-mail addresses.
    static func ascii(_ text: String) -> String {
        let folded: String = text.folding(options: [.diacriticInsensitive], locale: Locale(identifier: "en_US"))
        var result = ""
        for scalar in folded.unicodeScalars {
            let value = scalar.value
            let isLetterOrDigit = (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
            if isLetterOrDigit { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// The rep who took most of the customer's orders (the lower employee id on a tie).
    static func owner(of orders: [NorthwindData.Order], reps: [String: UserID]) -> UserID? {
        var counts: [String: Int] = [:]
        for order in orders { counts[order.employeeId, default: 0] += 1 }
        var best: (key: String, count: Int)?
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) where count > (best?.count ?? 0) { best = (key, count) }
        return best.flatMap { reps[$0.key] }
    }

    static func channel(of kind: ActivityKind) -> ContactChannel? {
        switch kind {
        case .email: .email
        case .call: .phone
        case .meeting, .note: nil
        }
    }

    private static let callTopics = [
        "Reviewed the last shipment and upcoming needs", "Discussed seasonal demand for beverages", "Introduced the new condiments range",
        "Followed up on an invoice question", "Agreed quantities for the next order", "Talked through delivery windows",
    ]

    /// One customer: the company, its contact, its orders and shipments, and what a sales
    /// team would have logged around them.
    private func story(
        _ c: NorthwindData.Customer, orders: [NorthwindData.Order], data: NorthwindData, reps: [String: UserID], service: CairnService,
        tally: DemoTally
    ) async throws {
        let random = DemoRandom(seed: seed &+ c.id.hashValueStable)
        let id: CustomerID = Self.customerId(c.id)
        let owner: UserID = Self.owner(of: orders, reps: reps) ?? Self.repId(data.employees[0])
        let meta = DemoMetadata(prefix: "demo-\(id)")
        let firstOrder: String? = orders.first?.orderDate

        let organization: CustomerCommand = .register(Self.organization(c, id: id, owner: owner))
        tally.count(try await service.execute(organization, meta.next(owner, at: firstOrder)), \.customers)

        let contact: CustomerID = Self.contactId(c.id)
        let consents: Bool = random.next(10) < 7
        let person: CustomerCommand = .register(Self.contactPerson(c, id: contact, owner: owner, consents: consents))
        tally.count(try await service.execute(person, meta.next(owner, at: firstOrder)), \.contacts)
        let link: CustomerCommand = .linkOrganization(customerId: contact, organizationId: id, role: c.contactTitle)
        tally.count(try await service.execute(link, meta.next(owner)), nil)

        for order in orders {
            try await recordOrder(
                order, customer: c, id: id, owner: owner, data: data, reps: reps, random: random, meta: meta,
                service: service, tally: tally)
        }

        // Calls, meetings and e-mails around the orders, by the owner.
        let dates: [CairnDomain.Timestamp] = orders.compactMap { CairnDomain.Timestamp(rfc3339: "\($0.orderDate)T10:00:00Z") }
        let count: Int = dates.isEmpty ? 1 : 2 + random.next(3)
        for n in 0..<count {
            let logged: ActivityEvent.Logged = Self.activity(c, id: id, number: n, around: dates, random: random)
            tally.count(try await service.execute(ActivityCommand.log(logged), meta.next(owner)), \.activities)
        }

        try await opportunity(c, id: id, owner: owner, random: random, meta: meta, service: service, tally: tally)

        // Now and then a question for the service desk.
        if random.next(5) == 0 {
            let caseId: CaseID = "nw-\(c.id)-q1"
            let open: CaseCommand = .open(
                caseId: caseId, customerId: id, channel: .email, priority: .normal, subject: "Question about an invoice",
                description: "\(c.contactName) asks for a copy of the last invoice.")
            tally.count(try await service.execute(open, meta.next(contact)), \.serviceCases)
            let answer: CaseCommand = .recordMessage(
                caseId: caseId, messageId: "m1", author: .agent, authorId: "agent-1", body: "Attached, with our thanks.")
            tally.count(try await service.execute(answer, meta.next("agent-1")), nil)
        }
    }

    private static func organization(_ c: NorthwindData.Customer, id: CustomerID, owner: UserID) -> CustomerCommand.Registration {
        var attributes: [String: AttributeValue] = ["northwindId": .string(c.id)]
        if !c.phone.isEmpty { attributes["phone"] = .string(c.phone) }
        if !c.fax.isEmpty { attributes["fax"] = .string(c.fax) }
        var addresses: [PostalAddress] = []
        if let country = ImportValues.country(c.country) {
            addresses.append(
                PostalAddress(
                    addressId: "main", lines: [c.address], city: c.city, region: c.region.isEmpty ? nil : c.region,
                    postalCode: c.postalCode.isEmpty ? nil : c.postalCode, country: country))
        }
        return CustomerCommand.Registration(
            customerId: id, kind: .organization, organizationName: c.company, addresses: addresses, ownerId: owner, source: "northwind",
            attributes: attributes)
    }

    private static func contactPerson(
        _ c: NorthwindData.Customer, id: CustomerID, owner: UserID, consents: Bool
    ) -> CustomerCommand.Registration {
        let parts: [Substring] = c.contactName.split(separator: " ")
        let given: String = parts.dropLast().joined(separator: " ")
        let family: String = String(parts.last ?? "")
        let domain: String = String(ascii(c.company).lowercased().prefix(30))
        let email: String = "\(ascii(given).lowercased()).\(ascii(family).lowercased())@\(domain).example"
        var grants: [ConsentGrant] = []
        if consents { grants.append(ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "demo-signup")) }
        return CustomerCommand.Registration(
            customerId: id, kind: .person, personName: PersonName(given: given, family: family), emails: [email], ownerId: owner,
            source: "northwind", attributes: ["title": .string(c.contactTitle)], consents: grants)
    }

    /// The order with its lines, its shipment, and — when it shipped after its due date — the
    /// complaint and how it was settled.
    private func recordOrder(
        _ order: NorthwindData.Order, customer c: NorthwindData.Customer, id: CustomerID, owner: UserID, data: NorthwindData,
        reps: [String: UserID], random: DemoRandom, meta: DemoMetadata, service: CairnService, tally: DemoTally
    ) async throws {
        let rep: UserID = reps[order.employeeId] ?? owner
        var lines: [OrderLine] = []
        for line in order.lines {
            let one: Decimal = 1
            var price: Decimal = line.unitPrice * (one - line.discount)
            var rounded = Decimal()
            NSDecimalRound(&rounded, &price, 2, .plain)
            let name: String = data.products[line.productId] ?? "Product \(line.productId)"
            lines.append(OrderLine(sku: "NW-\(line.productId)", description: name, quantity: line.quantity, unitPrice: rounded))
        }
        guard let date = CalendarDate(iso8601: order.orderDate), !lines.isEmpty else { return }
        let record: OrderCommand = .record(
            orderId: "nw-\(order.id)", customerId: id, opportunityId: nil, lines: lines, currency: "USD", orderDate: date)
        let outcome: CommandOutcome = try await service.execute(record, meta.next(rep, at: order.orderDate))
        tally.count(outcome, \.orders, lines: lines.count)

        guard let shipped = CairnDomain.Timestamp(rfc3339: "\(order.shippedDate)T16:00:00Z") else { return }
        let shipper: String = data.shippers[order.shipVia] ?? "the carrier"
        let note = ActivityEvent.Logged(
            activityId: "nw-\(order.id)-shipped", customerId: id, kind: .note, occurredAt: shipped, outcome: "shipped",
            summary: "Order \(order.id) shipped with \(shipper), freight $\(order.freight)")
        tally.count(try await service.execute(ActivityCommand.log(note), meta.next("warehouse", at: order.shippedDate)), \.shipments)

        guard order.shippedDate > order.requiredDate else { return }
        let caseId: CaseID = "nw-\(order.id)-late"
        let agent: UserID = "agent-\(random.next(4) + 1)"
        let contact: CustomerID = Self.contactId(c.id)
        let complaint: String =
            "\(c.contactName) called: order \(order.id) was due on \(order.requiredDate) and shipped on \(order.shippedDate)."
        let open: CaseCommand = CaseCommand.open(
            caseId: caseId, customerId: id, channel: .phone, priority: .high, subject: "Order \(order.id) arrived late",
            description: complaint)
        tally.count(try await service.execute(open, meta.next(contact, at: order.shippedDate)), \.lateDeliveryCases)
        let apology: String = "We are sorry for the delay. A credit note for the freight is on its way."
        let score: Int = 2 + random.next(4)
        let followUps: [(CaseCommand, UserID)] = [
            (CaseCommand.assign(caseId: caseId, agentId: agent), "service-lead"),
            (CaseCommand.recordMessage(caseId: caseId, messageId: "m1", author: .agent, authorId: agent, body: apology), agent),
            (CaseCommand.resolve(caseId: caseId, resolution: "Freight credited."), agent),
            (CaseCommand.close(caseId: caseId), agent),
            (CaseCommand.recordSatisfaction(caseId: caseId, score: score, comment: nil), contact),
        ]
        for (command, actor) in followUps {
            tally.count(try await service.execute(command, meta.next(actor, at: order.shippedDate)), nil)
        }
    }

    private static func activity(
        _ c: NorthwindData.Customer, id: CustomerID, number: Int, around dates: [CairnDomain.Timestamp], random: DemoRandom
    ) -> ActivityEvent.Logged {
        let fallback: CairnDomain.Timestamp = CairnDomain.Timestamp(millisecondsSinceEpoch: 884_858_400_000)  // 1998-01-15
        let base: CairnDomain.Timestamp = dates.isEmpty ? fallback : dates[random.next(dates.count)]
        let kinds: [ActivityKind] = [.call, .meeting, .email]
        let kind: ActivityKind = kinds[random.next(kinds.count)]
        let daysBefore: Int = 1 + random.next(20)
        let duration: Int? = kind == .email ? nil : 600 + random.next(3000)
        let topic: String = callTopics[random.next(callTopics.count)]
        return ActivityEvent.Logged(
            activityId: "nw-\(c.id)-a\(number)", customerId: id, kind: kind, direction: .outbound,
            channel: channel(of: kind), occurredAt: base.adding(seconds: -86_400 * daysBefore), durationSeconds: duration,
            outcome: "follow-up agreed", participants: [c.contactName], summary: topic)
    }

    /// A deal for the coming season: most advance, some close.
    private func opportunity(
        _ c: NorthwindData.Customer, id: CustomerID, owner: UserID, random: DemoRandom, meta: DemoMetadata,
        service: CairnService, tally: DemoTally
    ) async throws {
        let opportunityId: OpportunityID = "nw-\(c.id)-next"
        let now = CairnDomain.Timestamp(millisecondsSinceEpoch: service.clock.now().microsecondsSinceEpoch / 1000)
        let dealSize: Int = 1000 + random.next(40) * 500
        let closeInDays: Int = 20 + random.next(100)
        let opening = OpportunityCommand.Opening(
            opportunityId: opportunityId, customerId: id, name: "\(c.company) — next season",
            amount: Money(amount: Decimal(dealSize), currency: "USD"), expectedCloseDate: now.adding(seconds: 86_400 * closeInDays).utcDate,
            ownerId: owner)
        tally.count(try await service.execute(OpportunityCommand.open(opening), meta.next(owner)), \.opportunities)
        let stages: [OpportunityStage] = [.qualification, .proposal, .negotiation]
        var commands: [OpportunityCommand] = stages.prefix(random.next(4)).map {
            .moveToStage(opportunityId: opportunityId, stage: $0, probability: nil)
        }
        let ending: Int = random.next(8)
        if ending < 3 {
            commands.append(.win(opportunityId: opportunityId))
        } else if ending < 5 {
            commands.append(.lose(opportunityId: opportunityId, reason: "chose a local supplier"))
        }
        for command in commands { tally.count(try await service.execute(command, meta.next(owner)), nil) }
    }

    /// Three campaigns to the contacts who consented, with how recipients responded.
    private func campaigns(_ customers: [NorthwindData.Customer], service: CairnService, tally: DemoTally) async throws {
        let names: [String] = ["Spring beverages promotion", "New condiments range", "Seafood season"]
        let random = DemoRandom(seed: seed &* 31)
        for index in 0..<names.count {
            let campaign: CampaignID = "nw-campaign-\(index + 1)"
            try await createCampaign(campaign, name: names[index], budget: 2000 + 1000 * index, service: service, tally: tally)
            for c in customers where random.next(3) != 0 {
                try await reach(
                    Self.contactId(c.id), campaign: campaign, url: "https://northwind.example/offers/\(index + 1)",
                    random: random, service: service, tally: tally)
            }
        }
    }

    private func createCampaign(_ campaign: CampaignID, name: String, budget: Int, service: CairnService, tally: DemoTally) async throws {
        let today = CairnDomain.Timestamp(millisecondsSinceEpoch: service.clock.now().microsecondsSinceEpoch / 1000)
        let create: CampaignCommand = .create(
            campaignId: campaign, name: name, channel: .email, budget: Money(amount: Decimal(budget), currency: "USD"),
            startDate: today.adding(seconds: -86_400 * 30).utcDate, endDate: today.adding(seconds: 86_400 * 60).utcDate, segment: nil)
        let created: CommandOutcome = try await service.execute(
            create, CommandMetadata(commandId: "demo-\(campaign)-create", actor: "marketing"))
        tally.count(created, \.campaigns)
        let launch: CampaignCommand = .launch(campaignId: campaign)
        let launched: CommandOutcome = try await service.execute(
            launch, CommandMetadata(commandId: "demo-\(campaign)-launch", actor: "marketing"))
        tally.count(launched, nil)
    }

    /// One send — unless the contact gave no consent, the rule the demo shows — and the responses.
    private func reach(
        _ contact: CustomerID, campaign: CampaignID, url: String, random: DemoRandom, service: CairnService, tally: DemoTally
    ) async throws {
        let send = CommandMetadata(commandId: "demo-\(campaign)-send-\(contact)", actor: "marketing")
        guard let sent = try await sendIfConsented(campaign, to: contact, send, service: service) else { return }
        tally.count(sent, \.campaignSends)
        var responses: [CampaignResponse] = [.delivered]
        if random.next(2) == 0 { responses.append(.opened) }
        if random.next(5) == 0 { responses.append(.clicked(url: url)) }
        var n = 0
        for response in responses {
            n += 1
            let record: CampaignCommand = .recordResponse(campaignId: campaign, customerId: contact, response: response, at: nil)
            let metadata = CommandMetadata(commandId: "demo-\(campaign)-response-\(contact)-\(n)", actor: "provider")
            let outcome: CommandOutcome = try await service.execute(record, metadata)
            tally.count(outcome, \.campaignResponses)
        }
    }

    private func sendIfConsented(
        _ campaign: CampaignID, to contact: CustomerID, _ metadata: CommandMetadata, service: CairnService
    ) async throws -> CommandOutcome? {
        do {
            return try await service.send(campaign: campaign, to: contact, metadata)
        } catch {
            if error.code == "consent.missing" { return nil }
            throw error
        }
    }
}

/// The seeded generator of one customer's story (used by one task at a time). A class, not an
/// `inout` value: the compiler's isolation analysis of long async functions slows to a crawl
/// on `inout` parameters held across many awaits.
final class DemoRandom: @unchecked Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    func next(_ bound: Int) -> Int { generator.next(bound) }
}

/// Fixed command ids, one after another, so a second load finds the first one's commands.
final class DemoMetadata: @unchecked Sendable {
    let prefix: String
    private var step = 0

    init(prefix: String) { self.prefix = prefix }

    func next(_ actor: String, at date: String? = nil) -> CommandMetadata {
        step += 1
        let occurredAt: CairnStore.Timestamp? = date.flatMap { CairnStore.Timestamp(rfc3339: "\($0)T12:00:00Z") }
        return CommandMetadata(commandId: "\(prefix)-\(step)", actor: actor, occurredAt: occurredAt)
    }
}

/// Hands out customers to the loading tasks.
private final class DemoCursor: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

/// Counts what a load recorded, across its tasks.
private final class DemoTally: Sendable {
    private let state = Mutex(NorthwindDemo.Summary())

    func setSalesReps(_ count: Int) { state.withLock { $0.salesReps = count } }

    /// Counts `outcome`: its events, and in `counter` what it stands for — unless it is a
    /// replay of an earlier load.
    func count(_ outcome: CommandOutcome, _ counter: WritableKeyPath<NorthwindDemo.Summary, Int>?, lines: Int = 0) {
        state.withLock { summary in
            if outcome.isReplay {
                summary.replayed += 1
                return
            }
            summary.events += outcome.events.count
            if let counter { summary[keyPath: counter] += 1 }
            summary.orderLines += lines
        }
    }

    var summary: NorthwindDemo.Summary { state.withLock { $0 } }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    fileprivate var hashValueStable: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
