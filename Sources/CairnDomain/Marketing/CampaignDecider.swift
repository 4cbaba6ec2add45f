/// Decides campaign commands; the cross-stream parts (sends, launches to a segment, hard
/// bounces, unsubscribes) are in `CampaignDecider+Audience.swift`.
public enum CampaignDecider: Decider {
    public typealias Command = CampaignCommand
    public typealias Event = CampaignEvent
    public typealias State = CampaignState

    public static var initialState: CampaignState { CampaignState() }

    public static func decide(
        _ command: CampaignCommand, _ state: CampaignState, _ context: CommandContext
    ) throws(Rejection) -> [CampaignEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.campaignId
        if case .create(_, let name, let channel, let budget, let start, let end, let segment) = command {
            guard state.status == .notCreated else {
                throw .rule("campaign.alreadyExists", "Campaign \(id) already exists.", path: "/campaignId")
            }
            return [
                .created(
                    .init(campaignId: id, name: name, channel: channel, budget: budget, startDate: start, endDate: end, segment: segment))
            ]
        }
        guard state.status != .notCreated else { throw .notFound("campaign", id) }

        if case .recordResponse(_, let customerId, let response, let at) = command {
            return try responseEvents(state, customerId, response, at ?? context.now)
        }
        guard state.status != .completed else { throw .rule("campaign.completed", "Campaign \(id) is completed.") }

        switch command {
        case .create, .recordResponse: return []
        case .defineSegment(_, let segment):
            guard segment != state.segment else { return [] }
            return [.segmentDefined(.init(campaignId: id, segment: segment))]
        case .launch:
            guard state.status != .running else { throw .rule("campaign.alreadyRunning", "Campaign \(id) is already running.") }
            try requireNotEnded(state, context)
            return [.launched(.init(campaignId: id, launchedAt: context.now))]
        case .pause(_, let reason):
            guard state.status == .running else { throw .rule("campaign.notRunning", "Campaign \(id) is not running.") }
            return [.paused(.init(campaignId: id, reason: reason))]
        case .complete:
            guard state.status != .draft else { throw .rule("campaign.notLaunched", "Campaign \(id) was never launched.") }
            return [.completed(.init(campaignId: id, completedAt: context.now))]
        }
    }

    private static func responseEvents(
        _ state: CampaignState, _ customerId: CustomerID, _ response: CampaignResponse, _ at: Timestamp
    ) throws(Rejection) -> [CampaignEvent] {
        let id = state.id
        guard let recipient = state.recipients[customerId] else {
            throw .rule("campaign.sendNotFound", "Campaign \(id) sent nothing to customer \(customerId).", path: "/customerId")
        }
        func once(_ done: Bool) throws(Rejection) {
            if done {
                throw .rule("campaign.responseAlreadyRecorded", "That response is already recorded for \(customerId).", path: "/response")
            }
        }
        let r = CampaignEvent.Response(campaignId: id, customerId: customerId, at: at)
        switch response {
        case .delivered:
            try once(recipient.delivered)
            return [.delivered(r)]
        case .opened:
            try once(recipient.opened)
            return [.opened(r)]
        case .replied:
            try once(recipient.replied)
            return [.replied(r)]
        case .clicked(let url):
            return [.clicked(.init(campaignId: id, customerId: customerId, url: url, at: at))]
        case .bounced(let type, let reason):
            try once(recipient.bounce == .hard || recipient.bounce == type)
            return [.bounced(.init(campaignId: id, customerId: customerId, bounceType: type, reason: reason, at: at))]
        case .converted(let opp, let order):
            try once(recipient.converted)
            return [.converted(.init(campaignId: id, customerId: customerId, opportunityId: opp, orderId: order, at: at))]
        }
    }
}
