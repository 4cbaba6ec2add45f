import CairnDomain
import CairnProjections
import CairnStore
import Foundation

/// Records CRM commands through the real deciders and appends what they decide, the way
/// `CairnService` does (load the streams → decide → append expecting the versions read). The
/// projections test target does not depend on `CairnService`, so this is its small stand-in.
/// Every command happens one minute after the previous one on the log's clock.
struct CustomerScenario {
    let log: EventLog
    let clock: ManualWallClock
    var actor = "u_sam"

    var context: CommandContext {
        CommandContext(now: CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000), actor: actor)
    }

    func load<D: Decider>(_ decider: D.Type, _ stream: StreamName) throws -> (state: D.State, version: UInt64) {
        var state = D.initialState
        var version: UInt64 = 0
        for record in try log.readStream(stream.description, limit: 10_000) {
            let event = try record.withPayload {
                try D.Event.decode(type: record.type, schemaVersion: Int(record.schemaVersion), payload: Array($0))
            }
            state = D.evolve(state, event)
            version = record.streamVersion
        }
        return (state, version)
    }

    /// Appends `events`, each stream expecting the version it was read at; returns the last position.
    @discardableResult
    func append(_ events: [StreamedEvent], read: [StreamName: UInt64], occurredAt: CairnStore.Timestamp? = nil) async throws -> UInt64 {
        clock.advance(by: 60)
        var appends: [StreamAppend] = []
        for item in events {
            let encoded = item.event.encoded()
            let event = NewEvent(
                id: UUID(), type: encoded.type, schemaVersion: UInt32(encoded.schemaVersion), payload: encoded.payload,
                subject: encoded.subject, occurredAt: occurredAt, actor: actor)
            if let index = appends.firstIndex(where: { $0.stream == item.stream.description }) {
                appends[index].events.append(event)
            } else {
                appends.append(
                    StreamAppend(stream: item.stream.description, expectedVersion: .exact(read[item.stream] ?? 0), events: [event]))
            }
        }
        return try await log.append(appends).lastPosition
    }

    // MARK: Commands

    @discardableResult
    func customer(_ command: CustomerCommand, occurredAt: CairnStore.Timestamp? = nil) async throws -> UInt64 {
        let stream = StreamName(.customer, command.customerId)
        let (state, version) = try load(CustomerDecider.self, stream)
        let events = try CustomerDecider.decide(command, state, context)
        return try await append(events.map { StreamedEvent(stream, .customer($0)) }, read: [stream: version], occurredAt: occurredAt)
    }

    @discardableResult
    func link(_ personId: CustomerID, to organizationId: CustomerID, role: String) async throws -> UInt64 {
        let stream = StreamName(.customer, personId)
        let (person, version) = try load(CustomerDecider.self, stream)
        let (organization, _) = try load(CustomerDecider.self, StreamName(.customer, organizationId))
        let command = CustomerCommand.linkOrganization(customerId: personId, organizationId: organizationId, role: role)
        let events = try CustomerDecider.decideLink(command, person: person, organization: organization, context)
        return try await append(events.map { StreamedEvent(stream, .customer($0)) }, read: [stream: version])
    }

    @discardableResult
    func merge(_ duplicateId: CustomerID, into survivorId: CustomerID) async throws -> UInt64 {
        let duplicateStream = StreamName(.customer, duplicateId)
        let survivorStream = StreamName(.customer, survivorId)
        let duplicate = try load(CustomerDecider.self, duplicateStream)
        let survivor = try load(CustomerDecider.self, survivorStream)
        let events = try CustomerDecider.decideMerge(
            duplicateId: duplicateId, survivorId: survivorId, duplicate: duplicate.state, survivor: survivor.state, context)
        return try await append(events, read: [duplicateStream: duplicate.version, survivorStream: survivor.version])
    }

    @discardableResult
    func activity(
        _ id: ActivityID, customer customerId: CustomerID, kind: ActivityKind = .call, channel: ContactChannel? = nil,
        summary: String? = nil
    ) async throws -> UInt64 {
        let stream = StreamName(.activity, id)
        let (customer, _) = try load(CustomerDecider.self, StreamName(.customer, customerId))
        let command = ActivityCommand.log(
            .init(
                activityId: id, customerId: customerId, kind: kind, direction: .outbound, channel: channel, occurredAt: context.now,
                durationSeconds: 300, outcome: "interested", participants: [], summary: summary))
        let events = try ActivityDecider.decideLog(command, ActivityState(), customer: customer, context)
        return try await append(events.map { StreamedEvent(stream, .activity($0)) }, read: [stream: 0])
    }

    @discardableResult
    func serviceCase(_ command: CaseCommand) async throws -> UInt64 {
        let stream = StreamName(.case, command.caseId)
        let (state, version) = try load(CaseDecider.self, stream)
        let events: [CaseEvent]
        if case .open(_, let customerId, _, _, _, _) = command {
            let (customer, _) = try load(CustomerDecider.self, StreamName(.customer, customerId))
            events = try CaseDecider.decideOpen(command, state, customer: customer, context)
        } else {
            events = try CaseDecider.decide(command, state, context)
        }
        return try await append(events.map { StreamedEvent(stream, .serviceCase($0)) }, read: [stream: version])
    }

    @discardableResult
    func opportunity(_ command: OpportunityCommand) async throws -> UInt64 {
        let stream = StreamName(.opportunity, command.opportunityId)
        let (state, version) = try load(OpportunityDecider.self, stream)
        let events: [OpportunityEvent]
        if case .open(let opening) = command {
            let (customer, _) = try load(CustomerDecider.self, StreamName(.customer, opening.customerId))
            events = try OpportunityDecider.decideOpen(opening, opportunity: state, customer: customer, context)
        } else {
            events = try OpportunityDecider.decide(command, state, context)
        }
        return try await append(events.map { StreamedEvent(stream, .opportunity($0)) }, read: [stream: version])
    }

    @discardableResult
    func openOpportunity(_ id: OpportunityID, customer: CustomerID, amount: String, currency: String = "EUR") async throws -> UInt64 {
        try await opportunity(
            .open(
                .init(
                    opportunityId: id, customerId: customer, name: "Retrofit \(id)", amount: Money(amount, currency)!,
                    expectedCloseDate: CalendarDate(iso8601: "2027-06-30")!, ownerId: "u_sam")))
    }

    @discardableResult
    func order(
        _ id: OrderID, customer customerId: CustomerID, unitPrice: String, quantity: Int = 1, currency: String = "EUR"
    ) async throws
        -> UInt64
    {
        let stream = StreamName(.order, id)
        let (customer, _) = try load(CustomerDecider.self, StreamName(.customer, customerId))
        let command = OrderCommand.record(
            orderId: id, customerId: customerId, opportunityId: nil,
            lines: [OrderLine(sku: "SKU-1", description: "Heat pump", quantity: quantity, unitPrice: Decimal(string: unitPrice)!)],
            currency: currency, orderDate: CalendarDate(iso8601: "2027-01-15")!)
        let events = try OrderDecider.decideRecord(command, OrderState(), customer: customer, context)
        return try await append(events.map { StreamedEvent(stream, .order($0)) }, read: [stream: 0])
    }

    /// Creates and launches an email campaign running through 2027.
    @discardableResult
    func runningCampaign(_ id: CampaignID) async throws -> UInt64 {
        let stream = StreamName(.campaign, id)
        for command in [
            CampaignCommand.create(
                campaignId: id, name: "Spring \(id)", channel: .email, budget: nil, startDate: CalendarDate(iso8601: "2027-01-01")!,
                endDate: CalendarDate(iso8601: "2027-12-31")!, segment: nil),
            .launch(campaignId: id),
        ] {
            let (state, version) = try load(CampaignDecider.self, stream)
            let events = try CampaignDecider.decide(command, state, context)
            try await append(events.map { StreamedEvent(stream, .campaign($0)) }, read: [stream: version])
        }
        return log.committedThrough
    }

    @discardableResult
    func send(_ campaignId: CampaignID, to customerId: CustomerID) async throws -> UInt64 {
        let stream = StreamName(.campaign, campaignId)
        let (campaign, version) = try load(CampaignDecider.self, stream)
        let (customer, _) = try load(CustomerDecider.self, StreamName(.customer, customerId))
        let events = try CampaignDecider.decideSend(
            campaignId: campaignId, customerId: customerId, campaign: campaign, customer: customer, context)
        return try await append(events.map { StreamedEvent(stream, .campaign($0)) }, read: [stream: version])
    }

    @discardableResult
    func respond(_ campaignId: CampaignID, _ customerId: CustomerID, _ response: CampaignResponse) async throws -> UInt64 {
        let stream = StreamName(.campaign, campaignId)
        let customerStream = StreamName(.customer, customerId)
        let (campaign, version) = try load(CampaignDecider.self, stream)
        let (customer, customerVersion) = try load(CustomerDecider.self, customerStream)
        let events = try CampaignDecider.decideResponse(
            .recordResponse(campaignId: campaignId, customerId: customerId, response: response, at: nil), campaign: campaign,
            customer: customer, context)
        return try await append(events, read: [stream: version, customerStream: customerVersion])
    }
}

enum CustomerFixture {
    static func registration(
        _ id: CustomerID, given: String = "Ada", family: String, email: String, phone: String = "+447700900123",
        tags: [String] = [], kind: CustomerKind = .person
    ) -> CustomerCommand {
        .register(
            .init(
                customerId: id, kind: kind, personName: kind == .person ? PersonName(given: given, family: family) : nil,
                organizationName: kind == .organization ? family : nil, emails: [email], phones: [phone],
                addresses: [PostalAddress(addressId: "home", lines: ["1 Analytical Row"], city: "London", country: "GB")],
                ownerId: "u_sam", source: "web", attributes: ["shoeSize": .number(42)],
                consents: [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "signup-form")]))
    }
}

/// Opens a log (on a hand-driven clock) and an engine with both customer read models, runs `body`.
func withCustomerModels<T>(
    batchSize: Int = 7, _ body: (CustomerScenario, ProjectionEngine) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { dir in
        let clock = ManualWallClock()
        return try await withLog(dir, clock: clock) { log in
            try await withEngine(log, dir, [CustomerTimelineProjector(), Customer360Projector()], batchSize: batchSize) { engine in
                try await body(CustomerScenario(log: log, clock: clock), engine)
            }
        }
    }
}

extension ProjectionEngine {
    /// Waits until both customer read models reflect everything appended so far.
    func settle(_ scenario: CustomerScenario) async throws {
        try await waitUntil(position: scenario.log.committedThrough, timeout: patience)
    }
}
