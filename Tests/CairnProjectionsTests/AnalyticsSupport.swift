import CairnDomain
import CairnStore
import Foundation

/// Drives the real deciders for the analytics tests — decide against the folded state, append
/// the encoded events to the log, evolve the state — as the service does, without its retries.
/// The domain clock and the log's wall clock move together.
final class AnalyticsDomainDriver {
    let log: EventLog
    let clock: ManualWallClock
    private(set) var customers: [String: CustomerState] = [:]
    private(set) var leads: [String: LeadState] = [:]
    private(set) var opportunities: [String: OpportunityState] = [:]
    private(set) var cases: [String: CaseState] = [:]
    private(set) var campaigns: [String: CampaignState] = [:]
    /// Position of the last append.
    private(set) var head: UInt64 = 0

    init(log: EventLog, clock: ManualWallClock) {
        self.log = log
        self.clock = clock
    }

    var now: CairnDomain.Timestamp { CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000) }
    var context: CommandContext { CommandContext(now: now, actor: "u_test") }
    func advance(hours: Int64) { clock.advance(by: hours * 3600) }
    func advance(minutes: Int64) { clock.advance(by: minutes * 60) }

    func customer(_ id: String) async throws {
        let registration = CustomerCommand.register(
            .init(
                customerId: id, kind: .person, personName: PersonName(given: "Ada", family: id), emails: ["\(id)@example.com"],
                ownerId: "u_sam", source: "web",
                consents: [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "form")]))
        try await record(
            try CustomerDecider.decide(registration, customers[id] ?? CustomerDecider.initialState, context).map {
                StreamedEvent(StreamName(.customer, id), .customer($0))
            })
    }

    func lead(_ command: LeadCommand) async throws {
        try await record(
            try LeadDecider.decide(command, leads[command.leadId] ?? LeadDecider.initialState, context).map {
                StreamedEvent(command.stream, .lead($0))
            })
    }

    func convert(_ conversion: LeadConversion) async throws {
        try await record(
            try LeadDecider.decideConversion(
                conversion, lead: leads[conversion.leadId] ?? LeadDecider.initialState,
                customer: customers[conversion.customerId] ?? CustomerDecider.initialState,
                opportunity: opportunities[conversion.opportunityId] ?? OpportunityDecider.initialState, context))
    }

    func opportunity(_ command: OpportunityCommand) async throws {
        let state = opportunities[command.opportunityId] ?? OpportunityDecider.initialState
        let events: [OpportunityEvent]
        if case .open(let opening) = command {
            events = try OpportunityDecider.decideOpen(
                opening, opportunity: state, customer: customers[opening.customerId] ?? CustomerDecider.initialState, context)
        } else {
            events = try OpportunityDecider.decide(command, state, context)
        }
        try await record(events.map { StreamedEvent(command.stream, .opportunity($0)) })
    }

    func serviceCase(_ command: CaseCommand) async throws {
        let state = cases[command.caseId] ?? CaseDecider.initialState
        let events: [CaseEvent]
        if case .open(_, let customerId, _, _, _, _) = command {
            events = try CaseDecider.decideOpen(command, state, customer: customers[customerId] ?? CustomerDecider.initialState, context)
        } else {
            events = try CaseDecider.decide(command, state, context)
        }
        try await record(events.map { StreamedEvent(command.stream, .serviceCase($0)) })
    }

    func campaign(_ command: CampaignCommand) async throws {
        let state = campaigns[command.campaignId] ?? CampaignDecider.initialState
        if case .recordResponse(_, let customerId, _, _) = command {
            try await record(
                try CampaignDecider.decideResponse(
                    command, campaign: state, customer: customers[customerId] ?? CustomerDecider.initialState, context))
        } else {
            try await record(try CampaignDecider.decide(command, state, context).map { StreamedEvent(command.stream, .campaign($0)) })
        }
    }

    func send(_ campaignId: String, to customerId: String) async throws {
        try await record(
            try CampaignDecider.decideSend(
                campaignId: campaignId, customerId: customerId, campaign: campaigns[campaignId] ?? CampaignDecider.initialState,
                customer: customers[customerId] ?? CustomerDecider.initialState, context
            ).map { StreamedEvent(StreamName(.campaign, campaignId), .campaign($0)) })
    }

    func unsubscribe(_ campaignId: String, _ customerId: String) async throws {
        try await record(
            try CampaignDecider.planUnsubscribe(
                campaignId: campaignId, customerId: customerId, campaign: campaigns[campaignId] ?? CampaignDecider.initialState,
                customer: customers[customerId] ?? CustomerDecider.initialState, context
            ).events)
    }

    /// Appends the events (one append per command, streams in order of appearance) and evolves the states.
    private func record(_ streamed: [StreamedEvent]) async throws {
        var appends: [StreamAppend] = []
        for item in streamed {
            let encoded = item.event.encoded()
            let event = NewEvent(
                id: UUID(), type: encoded.type, schemaVersion: UInt32(encoded.schemaVersion), payload: encoded.payload,
                subject: encoded.subject, actor: "u_test")
            if let i = appends.firstIndex(where: { $0.stream == item.stream.description }) {
                appends[i].events.append(event)
            } else {
                appends.append(StreamAppend(stream: item.stream.description, events: [event]))
            }
            let id = item.stream.id
            switch item.event {
            case .customer(let e): customers[id] = CustomerDecider.evolve(customers[id] ?? CustomerDecider.initialState, e)
            case .lead(let e): leads[id] = LeadDecider.evolve(leads[id] ?? LeadDecider.initialState, e)
            case .opportunity(let e): opportunities[id] = OpportunityDecider.evolve(opportunities[id] ?? OpportunityDecider.initialState, e)
            case .serviceCase(let e): cases[id] = CaseDecider.evolve(cases[id] ?? CaseDecider.initialState, e)
            case .campaign(let e): campaigns[id] = CampaignDecider.evolve(campaigns[id] ?? CampaignDecider.initialState, e)
            default: break
            }
        }
        guard !appends.isEmpty else { return }
        let result = try await log.append(appends)
        head = result.positions.last ?? head
    }
}

/// Runs `body` with a log whose wall clock starts at 2026-04-01T12:00:00Z, a domain driver over it.
func withAnalyticsDriver<T>(_ dir: String, _ body: (AnalyticsDomainDriver) async throws -> T) async throws -> T {
    let clock = ManualWallClock(1_775_044_800_000_000)
    return try await withLog(dir, clock: clock) { log in try await body(AnalyticsDomainDriver(log: log, clock: clock)) }
}
