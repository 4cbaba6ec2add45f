/// Campaign decisions that need customer state.
extension CampaignDecider {
    /// Records one send. Refused unless the campaign is running and has not passed its end date,
    /// the customer has not been sent this campaign yet, and the customer has marketing consent on
    /// the campaign's channel, has not unsubscribed from it, is not erased, closed or merged, and
    /// has a valid contact point.
    public static func decideSend(
        campaignId: CampaignID, customerId: CustomerID, campaign: CampaignState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [CampaignEvent] {
        var v = FieldValidator()
        v.id(campaignId, "/campaignId")
        v.id(customerId, "/customerId")
        try v.finish()
        try requireRunning(campaign, campaignId)
        try requireNotEnded(campaign, context)
        return [try sendEvent(campaign, customerId: customerId, customer: customer, context)]
    }

    private static func requireRunning(_ campaign: CampaignState, _ id: CampaignID) throws(Rejection) {
        switch campaign.status {
        case .notCreated: throw .notFound("campaign", id)
        case .running: return
        case .completed: throw .rule("campaign.completed", "Campaign \(id) is completed.")
        case .draft, .paused: throw .rule("campaign.notRunning", "Campaign \(id) is not running.")
        }
    }

    private static func sendEvent(
        _ campaign: CampaignState, customerId: CustomerID, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> CampaignEvent {
        guard campaign.recipients[customerId] == nil else {
            throw .rule("campaign.alreadySent", "Campaign \(campaign.id) already reached customer \(customerId).", path: "/customerId")
        }
        var customer = customer
        if customer.id.isEmpty { customer.id = customerId }
        if let reason = customer.marketingIneligibility(on: campaign.channel) { throw reason }
        return .messageSent(
            .init(
                campaignId: campaign.id, customerId: customerId, channel: campaign.channel,
                address: customer.marketingAddress(for: campaign.channel)!, sentAt: context.now))
    }

    /// One candidate audience member as the read side knows them.
    public struct Candidate: Sendable, Hashable {
        public var customer: CustomerState
        public var activity: CustomerActivity

        public init(customer: CustomerState, activity: CustomerActivity = .none) {
            self.customer = customer
            self.activity = activity
        }
    }

    /// A candidate that will not be reached, and why (`segment.notMatched`, `consent.missing`, …).
    public struct Ineligible: Sendable, Hashable {
        public var customerId: CustomerID
        public var reason: Rejection
    }

    /// The result of launching to the segment: events for the campaign stream (the launch, if the
    /// campaign was not running yet, then one `MessageSent` per eligible member) and a report of
    /// everyone left out.
    public struct LaunchPlan: Sendable, Hashable {
        public var events: [CampaignEvent]
        public var ineligible: [Ineligible]

        public var sends: [CampaignEvent.MessageSent] {
            events.compactMap { if case .messageSent(let s) = $0 { s } else { nil } }
        }
    }

    /// Launches (or continues) the campaign to its segment over the given candidates. Refused
    /// with `campaign.ended` after the campaign's end date, whether or not it is running.
    public static func planLaunch(
        campaignId: CampaignID, campaign: CampaignState, candidates: [Candidate], _ context: CommandContext
    ) throws(Rejection) -> LaunchPlan {
        var events: [CampaignEvent] = []
        var state = campaign
        if campaign.status != .running {
            events = try decide(.launch(campaignId: campaignId), campaign, context)
            state = events.reduce(state, evolve)
        } else {
            try requireNotEnded(campaign, context)
        }
        guard let segment = state.segment else {
            throw .rule("campaign.noSegment", "Campaign \(campaignId) has no audience segment.", path: "/segment")
        }
        var ineligible: [Ineligible] = []
        for candidate in candidates {
            let customerId = candidate.customer.id
            guard segment.matches(candidate.customer, activity: candidate.activity, now: context.now) else {
                ineligible.append(
                    Ineligible(
                        customerId: customerId,
                        reason: .rule("segment.notMatched", "Customer \(customerId) is not in the segment.")))
                continue
            }
            do {
                let event = try sendEvent(state, customerId: customerId, customer: candidate.customer, context)
                events.append(event)
                state = evolve(state, event)
            } catch {
                ineligible.append(Ineligible(customerId: customerId, reason: error))
            }
        }
        return LaunchPlan(events: events, ineligible: ineligible)
    }

    /// Records a response; a hard bounce also invalidates the address on the customer's stream
    /// (`customers.ContactPointInvalidated`) unless it already is invalid or gone.
    public static func decideResponse(
        _ command: CampaignCommand, campaign: CampaignState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [StreamedEvent] {
        let campaignEvents = try decide(command, campaign, context)
        var out = campaignEvents.map { StreamedEvent(StreamName(.campaign, campaign.id), .campaign($0)) }
        for event in campaignEvents {
            guard case .bounced(let b) = event, b.bounceType == .hard, let recipient = campaign.recipients[b.customerId] else { continue }
            let invalidate = CustomerCommand.invalidateContactPoint(
                customerId: b.customerId, channel: campaign.channel, value: recipient.address, reason: "hard bounce: \(b.reason)")
            // The customer may have removed or already invalidated the address, or been erased: the bounce still stands.
            if let events = try? CustomerDecider.decide(invalidate, customer, context) {
                out += events.map { StreamedEvent(StreamName(.customer, b.customerId), .customer($0)) }
            }
        }
        return out
    }

    /// A recipient unsubscribes through a campaign message: recorded on the campaign, and on the
    /// customer as `customers.CustomerUnsubscribed` plus the withdrawal of marketing consent on the
    /// campaign's channel.
    ///
    /// If the customer was merged after the send, only the campaign event is returned; use
    /// `planUnsubscribe` to learn the survivor the unsubscribe must be forwarded to.
    public static func decideUnsubscribe(
        campaignId: CampaignID, customerId: CustomerID, campaign: CampaignState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [StreamedEvent] {
        try planUnsubscribe(campaignId: campaignId, customerId: customerId, campaign: campaign, customer: customer, context).events
    }

    /// What an unsubscribe click decides: the events to append now and, when the recipient was
    /// merged into another customer after the send, the unsubscribe still owed to that survivor.
    public struct UnsubscribePlan: Sendable, Hashable {
        /// `marketing.RecipientUnsubscribed` on the campaign, then the recipient's customer events
        /// (none when the recipient was merged away).
        public var events: [StreamedEvent]
        /// For a merged recipient: `recordUnsubscribe` for the survivor, to run as a command of
        /// its own once `events` are appended (this decision did not read the survivor's stream).
        /// The survivor may refuse it with `customer.alreadyUnsubscribed` — nothing left to do —
        /// or `customer.merged` when it was merged again: forward to that `survivorId`.
        public var forward: CustomerCommand?

        /// The customer a merged recipient now lives on.
        public var survivorId: CustomerID? { forward?.customerId }
    }

    /// Decides an unsubscribe click like `decideUnsubscribe`, and also reports where the
    /// unsubscribe must be forwarded when the recipient was merged after the send: the click
    /// happened, so the campaign records it either way.
    public static func planUnsubscribe(
        campaignId: CampaignID, customerId: CustomerID, campaign: CampaignState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> UnsubscribePlan {
        var v = FieldValidator()
        v.id(campaignId, "/campaignId")
        v.id(customerId, "/customerId")
        try v.finish()
        guard campaign.status != .notCreated else { throw .notFound("campaign", campaignId) }
        guard let recipient = campaign.recipients[customerId] else {
            throw .rule("campaign.sendNotFound", "Campaign \(campaignId) sent nothing to customer \(customerId).", path: "/customerId")
        }
        guard !recipient.unsubscribed else {
            throw .rule(
                "campaign.alreadyUnsubscribed", "Customer \(customerId) already unsubscribed via this campaign.", path: "/customerId")
        }
        var out = [
            StreamedEvent(
                StreamName(.campaign, campaignId),
                .campaign(
                    .recipientUnsubscribed(
                        .init(
                            campaignId: campaignId, customerId: customerId, channel: campaign.channel, at: context.now))))
        ]
        if case .merged(let survivorId) = customer.status {
            let forward = CustomerCommand.recordUnsubscribe(customerId: survivorId, channel: campaign.channel, campaignId: campaignId)
            return UnsubscribePlan(events: out, forward: forward)
        }
        let command = CustomerCommand.recordUnsubscribe(customerId: customerId, channel: campaign.channel, campaignId: campaignId)
        do {
            out += try CustomerDecider.decide(command, customer, context).map {
                StreamedEvent(StreamName(.customer, customerId), .customer($0))
            }
        } catch  where error.code == "customer.alreadyUnsubscribed" {
            // Unsubscribed elsewhere already: the campaign still records the click.
        }
        return UnsubscribePlan(events: out, forward: nil)
    }

    /// Nothing is launched or sent after the campaign's last day (UTC).
    static func requireNotEnded(_ campaign: CampaignState, _ context: CommandContext) throws(Rejection) {
        guard context.now.utcDate <= campaign.endDate else {
            throw .rule("campaign.ended", "Campaign \(campaign.id) ended on \(campaign.endDate).")
        }
    }
}
