public import CairnDomain
import CairnStore

/// One entry point per kind of command. Each loads the streams its decision needs — the
/// command's own, and the customer's where a rule depends on it — decides, and appends.
extension CairnService {
    // MARK: Customers

    @discardableResult
    public func execute(_ command: CustomerCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let customer = try d.state(CustomerDecider.self, command.stream)
            let events: [CustomerEvent]
            if case .linkOrganization(_, let organizationId, _) = command {
                let organization = try d.state(CustomerDecider.self, StreamName(.customer, organizationId))
                events = try CustomerDecider.decideLink(command, person: customer, organization: organization, d.context)
            } else {
                events = try CustomerDecider.decide(command, customer, d.context)
            }
            return events.map { StreamedEvent(command.stream, .customer($0)) }
        }
    }

    /// Merges `duplicateId` into `survivorId`: both streams change in one append.
    @discardableResult
    public func mergeCustomer(
        _ duplicateId: CustomerID, into survivorId: CustomerID, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        let duplicateStream = StreamName(.customer, duplicateId)
        return try await execute(metadata, primary: duplicateStream, command: "merge into \(survivorId)") { d in
            let duplicate = try d.state(CustomerDecider.self, duplicateStream)
            let survivor = try d.state(CustomerDecider.self, StreamName(.customer, survivorId))
            return try CustomerDecider.decideMerge(
                duplicateId: duplicateId, survivorId: survivorId, duplicate: duplicate, survivor: survivor, d.context)
        }
    }

    // MARK: Sales

    @discardableResult
    public func execute(_ command: LeadCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        if case .capture(let capture) = command { try refuseSuppressed([capture.email, capture.phone].compactMap { $0 }) }
        return try await execute(metadata, primary: command.stream, command: command) { d in
            let lead = try d.state(LeadDecider.self, command.stream)
            let events = try LeadDecider.decide(command, lead, d.context)
            try d.service.refuseSuppressed(updatedIn: events)
            return events.map { StreamedEvent(command.stream, .lead($0)) }
        }
    }

    /// Converts a lead: registers or links the customer and opens the opportunity, atomically.
    @discardableResult
    public func convertLead(_ conversion: LeadConversion, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        let leadStream = StreamName(.lead, conversion.leadId)
        return try await execute(metadata, primary: leadStream, command: conversion) { d in
            let lead = try d.state(LeadDecider.self, leadStream)
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, conversion.customerId))
            let opportunity = try d.state(OpportunityDecider.self, StreamName(.opportunity, conversion.opportunityId))
            return try LeadDecider.decideConversion(conversion, lead: lead, customer: customer, opportunity: opportunity, d.context)
        }
    }

    @discardableResult
    public func execute(_ command: OpportunityCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let opportunity = try d.state(OpportunityDecider.self, command.stream)
            let events: [OpportunityEvent]
            if case .open(let opening) = command {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, opening.customerId))
                events = try OpportunityDecider.decideOpen(opening, opportunity: opportunity, customer: customer, d.context)
            } else {
                events = try OpportunityDecider.decide(command, opportunity, d.context)
            }
            return events.map { StreamedEvent(command.stream, .opportunity($0)) }
        }
    }

    @discardableResult
    public func execute(_ command: ActivityCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let activity = try d.state(ActivityDecider.self, command.stream)
            guard case .log(let logged) = command else { return [] }
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, logged.customerId))
            return try ActivityDecider.decideLog(command, activity, customer: customer, d.context)
                .map { StreamedEvent(command.stream, .activity($0)) }
        }
    }

    @discardableResult
    public func execute(_ command: TaskCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let task = try d.state(TaskDecider.self, command.stream)
            let events: [TaskEvent]
            if case .schedule(_, let customerId, _, _, _) = command {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                events = try TaskDecider.decideSchedule(command, task, customer: customer, d.context)
            } else {
                events = try TaskDecider.decide(command, task, d.context)
            }
            return events.map { StreamedEvent(command.stream, .task($0)) }
        }
    }

    @discardableResult
    public func execute(_ command: OrderCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let order = try d.state(OrderDecider.self, command.stream)
            guard case .record(_, let customerId, _, _, _, _) = command else { return [] }
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
            return try OrderDecider.decideRecord(command, order, customer: customer, d.context).map {
                StreamedEvent(command.stream, .order($0))
            }
        }
    }

    // MARK: Marketing

    /// Campaign life cycle and responses; a hard bounce also invalidates the customer's address.
    @discardableResult
    public func execute(_ command: CampaignCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let campaign = try d.state(CampaignDecider.self, command.stream)
            if case .recordResponse(_, let customerId, _, _) = command {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                return try CampaignDecider.decideResponse(command, campaign: campaign, customer: customer, d.context)
            }
            return try CampaignDecider.decide(command, campaign, d.context).map { StreamedEvent(command.stream, .campaign($0)) }
        }
    }

    /// Records one send — refused without marketing consent on the campaign's channel.
    @discardableResult
    public func send(
        campaign campaignId: CampaignID, to customerId: CustomerID, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        let stream = StreamName(.campaign, campaignId)
        return try await execute(metadata, primary: stream, command: "send to \(customerId)") { d in
            let campaign = try d.state(CampaignDecider.self, stream)
            // Reading the customer pins its version: a consent withdrawn meanwhile makes the
            // append conflict and the decision run again.
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
            return try CampaignDecider.decideSend(
                campaignId: campaignId, customerId: customerId, campaign: campaign, customer: customer, d.context
            )
            .map { StreamedEvent(stream, .campaign($0)) }
        }
    }

    /// A recipient unsubscribes through a campaign: recorded on both campaign and customer. When
    /// the customer was merged since the send, the unsubscribe follows them to the survivor (a
    /// command of its own, through further merges if need be).
    @discardableResult
    public func unsubscribe(
        campaign campaignId: CampaignID, customer customerId: CustomerID, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        let stream = StreamName(.campaign, campaignId)
        var forward: CustomerCommand?
        let outcome = try await execute(metadata, primary: stream, command: "unsubscribe \(customerId)") { d in
            let campaign = try d.state(CampaignDecider.self, stream)
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
            let plan = try CampaignDecider.planUnsubscribe(
                campaignId: campaignId, customerId: customerId, campaign: campaign, customer: customer, d.context)
            forward = plan.forward
            return plan.events
        }
        var hop = 0
        while let command = forward, hop < 8 {
            hop += 1
            forward = nil
            let followUp = CommandMetadata(
                commandId: "\(metadata.commandId):forward:\(hop)", actor: metadata.actor,
                correlationId: metadata.correlationId ?? metadata.commandId, causationId: metadata.commandId)
            do {
                try await execute(command, followUp)
            } catch let error where error.code == "customer.alreadyUnsubscribed" {
                // The survivor had unsubscribed already: nothing left to do.
            } catch let error where error.code == "customer.merged" {
                guard let survivor = error.survivorId, case .recordUnsubscribe(_, let channel, let campaign) = command else { throw error }
                forward = .recordUnsubscribe(customerId: survivor, channel: channel, campaignId: campaign)
            }
        }
        return outcome
    }

    /// The result of launching a campaign to its segment.
    public struct LaunchOutcome: Sendable {
        public var outcome: CommandOutcome
        /// Candidates left out, each with the rule that excluded them.
        public var ineligible: [(customerId: CustomerID, code: String, message: String)]
    }

    /// Launches a campaign to the members of its segment among `audience`: one send per eligible
    /// customer, and a report of the others with the reason. Customers' states and activity are
    /// read from the log.
    @discardableResult
    public func launch(
        campaign campaignId: CampaignID, audience: [CustomerID], _ metadata: CommandMetadata
    ) async throws(CommandError) -> LaunchOutcome {
        let stream = StreamName(.campaign, campaignId)
        var ineligible: [(CustomerID, String, String)] = []
        let outcome = try await execute(metadata, primary: stream, command: "launch to \(audience.count) candidates") { d in
            let campaign = try d.state(CampaignDecider.self, stream)
            var candidates: [CampaignDecider.Candidate] = []
            for customerId in Set(audience).sorted() where Identifier.isValid(customerId) {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                candidates.append(CampaignDecider.Candidate(customer: customer, activity: try activity(of: customerId)))
            }
            let plan = try CampaignDecider.planLaunch(campaignId: campaignId, campaign: campaign, candidates: candidates, d.context)
            ineligible = plan.ineligible.map { ($0.customerId, $0.reason.code, $0.reason.message) }
            return plan.events.map { StreamedEvent(stream, .campaign($0)) }
        }
        return LaunchOutcome(outcome: outcome, ineligible: ineligible)
    }

    /// How active a customer has been: the activities logged about them, from the subject index.
    func activity(of customerId: CustomerID) throws(CommandError) -> CustomerActivity {
        do {
            var count = 0
            var last: CairnDomain.Timestamp?
            for position in try log.positions(subject: customerId) {
                guard let event = try log.event(at: position), event.type == "sales.ActivityLogged" else { continue }
                count += 1
                let decoded = try ActivityEvent.decode(
                    type: event.type, schemaVersion: Int(event.schemaVersion), source: try vault.source(of: event))
                if case .logged(let logged) = decoded { last = max(last ?? logged.occurredAt, logged.occurredAt) }
            }
            return CustomerActivity(lastActivityAt: last, activityCount: count)
        } catch {
            throw CommandError(kind: .storage, code: "storage.read", message: "reading the activity of \(customerId): \(error)")
        }
    }

    // MARK: Service

    @discardableResult
    public func execute(_ command: CaseCommand, _ metadata: CommandMetadata) async throws(CommandError) -> CommandOutcome {
        try await execute(metadata, primary: command.stream, command: command) { d in
            let serviceCase = try d.state(CaseDecider.self, command.stream)
            let events: [CaseEvent]
            if case .open(_, let customerId, _, _, _, _) = command {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                events = try CaseDecider.decideOpen(command, serviceCase, customer: customer, d.context, policy: slaPolicy)
            } else {
                events = try CaseDecider.decide(command, serviceCase, d.context, policy: slaPolicy)
            }
            return events.map { StreamedEvent(command.stream, .serviceCase($0)) }
        }
    }
}

extension CairnService {
    /// Refuses lead updates that collect an erased person's address. Only what an update
    /// actually records counts, so repeating a lead's own details never trips the list.
    func refuseSuppressed(updatedIn events: [LeadEvent]) throws(CommandError) {
        for case .updated(let updated) in events { try refuseSuppressed([updated.email, updated.phone].compactMap { $0 }) }
    }

    /// Refuses to collect again an address of someone whose data was erased.
    func refuseSuppressed(_ addresses: [String]) throws(CommandError) {
        for address in addresses where try isSuppressed(address) {
            throw CommandError(
                kind: .rejected, code: "contact.suppressed",
                message:
                    "this address belongs to a person whose personal data was erased; it is on the suppression list and is not collected again",
                path: address.utf8.contains(UInt8(ascii: "@")) ? "/email" : "/phone")
        }
    }
}
