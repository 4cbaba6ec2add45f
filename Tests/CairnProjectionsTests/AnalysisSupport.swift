import CairnDomain
import CairnProjections
import CairnStore
import Foundation

/// Produces events the way `CairnService` does — load the streams a decision reads, decide
/// with the real deciders, append with the versions read — without depending on the service
/// target (this test target links only projections, store and domain).
struct AnalysisDriver {
    let log: EventLog
    let clock: ManualWallClock
    var actor = "u_analyst"

    var now: CairnDomain.Timestamp { CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000) }
    var context: CommandContext { CommandContext(now: now, actor: actor) }

    /// A stream folded with its decider, and the version it was folded at.
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

    /// Appends what a decision returned, expecting each stream read at the version it was read.
    @discardableResult
    func append(_ streamed: [StreamedEvent], read versions: [StreamName: UInt64]) async throws -> UInt64 {
        var appends: [StreamAppend] = []
        var slot: [String: Int] = [:]
        for item in streamed {
            let encoded = item.event.encoded()
            let event = NewEvent(
                id: UUID(), type: encoded.type, schemaVersion: UInt32(encoded.schemaVersion), payload: encoded.payload,
                subject: encoded.subject, actor: actor)
            let stream = item.stream.description
            if let at = slot[stream] {
                appends[at].events.append(event)
            } else {
                slot[stream] = appends.count
                let expected: ExpectedVersion = versions[item.stream].map { .exact($0) } ?? .any
                appends.append(StreamAppend(stream: stream, expectedVersion: expected, events: [event]))
            }
        }
        return try await log.append(appends).lastPosition
    }

    // MARK: Customers

    @discardableResult
    func customer(_ command: CustomerCommand) async throws -> UInt64 {
        let stream = command.stream
        let (state, version) = try load(CustomerDecider.self, stream)
        let events = try CustomerDecider.decide(command, state, context)
        return try await append(events.map { StreamedEvent(stream, .customer($0)) }, read: [stream: version])
    }

    @discardableResult
    func register(
        _ id: CustomerID, kind: CustomerKind = .person, owner: UserID = "u_sam", marketingEmail: Bool = false
    ) async throws -> UInt64 {
        let consents = marketingEmail ? [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "web-form")] : []
        return try await customer(
            .register(
                .init(
                    customerId: id, kind: kind, personName: kind == .person ? PersonName(given: "Ada", family: id) : nil,
                    organizationName: kind == .organization ? "Org \(id)" : nil, emails: ["\(id)@example.com"],
                    ownerId: owner, source: "web", consents: consents)))
    }

    @discardableResult
    func merge(_ duplicate: CustomerID, into survivor: CustomerID) async throws -> UInt64 {
        let d = StreamName(.customer, duplicate)
        let s = StreamName(.customer, survivor)
        let (dState, dVersion) = try load(CustomerDecider.self, d)
        let (sState, sVersion) = try load(CustomerDecider.self, s)
        let events = try CustomerDecider.decideMerge(
            duplicateId: duplicate, survivorId: survivor, duplicate: dState, survivor: sState, context)
        return try await append(events, read: [d: dVersion, s: sVersion])
    }

    // MARK: Sales

    @discardableResult
    func order(
        _ id: OrderID, _ customerId: CustomerID, _ amount: String, _ currency: String = "EUR", on date: String
    ) async throws -> UInt64 {
        let command = OrderCommand.record(
            orderId: id, customerId: customerId, opportunityId: nil,
            lines: [OrderLine(sku: "SKU-1", description: "Widget", quantity: 1, unitPrice: Decimal(string: amount)!)],
            currency: currency, orderDate: CalendarDate(iso8601: date)!)
        let customer = StreamName(.customer, customerId)
        let (customerState, customerVersion) = try load(CustomerDecider.self, customer)
        let (state, version) = try load(OrderDecider.self, command.stream)
        let events = try OrderDecider.decideRecord(command, state, customer: customerState, context)
        return try await append(
            events.map { StreamedEvent(command.stream, .order($0)) }, read: [command.stream: version, customer: customerVersion])
    }

    @discardableResult
    func activity(_ id: ActivityID, _ customerId: CustomerID, at: String, kind: ActivityKind = .call) async throws -> UInt64 {
        let command = ActivityCommand.log(
            .init(
                activityId: id, customerId: customerId, kind: kind, direction: .outbound, channel: .phone,
                occurredAt: CairnDomain.Timestamp(rfc3339: at)!, durationSeconds: 600, summary: "Check-in"))
        let customer = StreamName(.customer, customerId)
        let (customerState, customerVersion) = try load(CustomerDecider.self, customer)
        let (state, version) = try load(ActivityDecider.self, command.stream)
        let events = try ActivityDecider.decideLog(command, state, customer: customerState, context)
        return try await append(
            events.map { StreamedEvent(command.stream, .activity($0)) }, read: [command.stream: version, customer: customerVersion])
    }

    @discardableResult
    func opportunity(_ command: OpportunityCommand) async throws -> UInt64 {
        let (state, version) = try load(OpportunityDecider.self, command.stream)
        let events: [OpportunityEvent]
        var read: [StreamName: UInt64] = [command.stream: version]
        if case .open(let opening) = command {
            let customer = StreamName(.customer, opening.customerId)
            let (customerState, customerVersion) = try load(CustomerDecider.self, customer)
            read[customer] = customerVersion
            events = try OpportunityDecider.decideOpen(opening, opportunity: state, customer: customerState, context)
        } else {
            events = try OpportunityDecider.decide(command, state, context)
        }
        return try await append(events.map { StreamedEvent(command.stream, .opportunity($0)) }, read: read)
    }

    // MARK: Service and marketing

    @discardableResult
    func serviceCase(_ command: CaseCommand) async throws -> UInt64 {
        let (state, version) = try load(CaseDecider.self, command.stream)
        var read: [StreamName: UInt64] = [command.stream: version]
        let events: [CaseEvent]
        if case .open(_, let customerId, _, _, _, _) = command {
            let customer = StreamName(.customer, customerId)
            let (customerState, customerVersion) = try load(CustomerDecider.self, customer)
            read[customer] = customerVersion
            events = try CaseDecider.decideOpen(command, state, customer: customerState, context)
        } else {
            events = try CaseDecider.decide(command, state, context)
        }
        return try await append(events.map { StreamedEvent(command.stream, .serviceCase($0)) }, read: read)
    }

    @discardableResult
    func campaign(_ command: CampaignCommand) async throws -> UInt64 {
        let (state, version) = try load(CampaignDecider.self, command.stream)
        let events = try CampaignDecider.decide(command, state, context)
        return try await append(events.map { StreamedEvent(command.stream, .campaign($0)) }, read: [command.stream: version])
    }
}

/// A log whose clock the test moves, a driver over it, and an engine running `projectors`.
func withAnalysisWorld<T>(
    projectors: [any Projector], start: String = "2027-01-15T09:00:00Z", batchSize: Int = 7,
    _ body: (AnalysisDriver, ProjectionEngine) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { dir in
        let clock = ManualWallClock(CairnStore.Timestamp(rfc3339: start)!.microsecondsSinceEpoch)
        return try await withLog(dir, clock: clock) { log in
            try await withEngine(log, dir, projectors, batchSize: batchSize) { engine in
                try await body(AnalysisDriver(log: log, clock: clock), engine)
            }
        }
    }
}
