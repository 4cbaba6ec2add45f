extension CampaignEvent: AggregateEvent {
    public static let category = StreamCategory.campaign

    public var type: String {
        switch self {
        case .created: "marketing.CampaignCreated"
        case .segmentDefined: "marketing.SegmentDefined"
        case .launched: "marketing.CampaignLaunched"
        case .paused: "marketing.CampaignPaused"
        case .completed: "marketing.CampaignCompleted"
        case .messageSent: "marketing.MessageSent"
        case .delivered: "marketing.MessageDelivered"
        case .opened: "marketing.MessageOpened"
        case .clicked: "marketing.MessageClicked"
        case .replied: "marketing.MessageReplied"
        case .bounced: "marketing.MessageBounced"
        case .converted: "marketing.RecipientConverted"
        case .recipientUnsubscribed: "marketing.RecipientUnsubscribed"
        }
    }

    public var schemaVersion: Int { 1 }

    public var campaignId: CampaignID {
        switch self {
        case .created(let e): e.campaignId
        case .segmentDefined(let e): e.campaignId
        case .launched(let e): e.campaignId
        case .paused(let e): e.campaignId
        case .completed(let e): e.campaignId
        case .messageSent(let e): e.campaignId
        case .delivered(let e), .opened(let e), .replied(let e): e.campaignId
        case .clicked(let e): e.campaignId
        case .bounced(let e): e.campaignId
        case .converted(let e): e.campaignId
        case .recipientUnsubscribed(let e): e.campaignId
        }
    }

    public var subject: CustomerID? {
        switch self {
        case .created, .segmentDefined, .launched, .paused, .completed: nil
        case .messageSent(let e): e.customerId
        case .delivered(let e), .opened(let e), .replied(let e): e.customerId
        case .clicked(let e): e.customerId
        case .bounced(let e): e.customerId
        case .converted(let e): e.customerId
        case .recipientUnsubscribed(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .created(let e):
            .object(compacting: [
                "campaignId": e.campaignId.json, "name": e.name.json, "channel": e.channel.json, "budget": e.budget?.json,
                "startDate": e.startDate.json, "endDate": e.endDate.json, "segment": e.segment?.json,
            ])
        case .segmentDefined(let e): .object(["campaignId": e.campaignId.json, "segment": e.segment.json])
        case .launched(let e): .object(["campaignId": e.campaignId.json, "launchedAt": e.launchedAt.json])
        case .paused(let e): .object(compacting: ["campaignId": e.campaignId.json, "reason": e.reason?.json])
        case .completed(let e): .object(["campaignId": e.campaignId.json, "completedAt": e.completedAt.json])
        case .messageSent(let e):
            .object([
                "campaignId": e.campaignId.json, "customerId": e.customerId.json, "channel": e.channel.json,
                "address": e.address.json, "sentAt": e.sentAt.json,
            ])
        case .delivered(let e), .opened(let e), .replied(let e):
            .object(["campaignId": e.campaignId.json, "customerId": e.customerId.json, "at": e.at.json])
        case .clicked(let e):
            .object(["campaignId": e.campaignId.json, "customerId": e.customerId.json, "url": e.url.json, "at": e.at.json])
        case .bounced(let e):
            .object([
                "campaignId": e.campaignId.json, "customerId": e.customerId.json, "bounceType": e.bounceType.json,
                "reason": e.reason.json, "at": e.at.json,
            ])
        case .converted(let e):
            .object(compacting: [
                "campaignId": e.campaignId.json, "customerId": e.customerId.json, "opportunityId": e.opportunityId?.json,
                "orderId": e.orderId?.json, "at": e.at.json,
            ])
        case .recipientUnsubscribed(let e):
            .object(["campaignId": e.campaignId.json, "customerId": e.customerId.json, "channel": e.channel.json, "at": e.at.json])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> CampaignEvent {
        let known = personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> CampaignEvent in
            let id: CampaignID = try r.required("campaignId")
            switch type {
            case "marketing.CampaignCreated":
                return .created(
                    .init(
                        campaignId: id, name: try r.required("name"), channel: try r.required("channel"), budget: try r.optional("budget"),
                        startDate: try r.required("startDate"), endDate: try r.required("endDate"), segment: try r.optional("segment")))
            case "marketing.SegmentDefined": return .segmentDefined(.init(campaignId: id, segment: try r.required("segment")))
            case "marketing.CampaignLaunched": return .launched(.init(campaignId: id, launchedAt: try r.required("launchedAt")))
            case "marketing.CampaignPaused": return .paused(.init(campaignId: id, reason: try r.optional("reason")))
            case "marketing.CampaignCompleted": return .completed(.init(campaignId: id, completedAt: try r.required("completedAt")))
            default: break
            }
            let customerId: CustomerID = try r.required("customerId")
            switch type {
            case "marketing.MessageSent":
                return .messageSent(
                    .init(
                        campaignId: id, customerId: customerId, channel: try r.required("channel"),
                        address: try r.required("address"), sentAt: try r.required("sentAt")))
            case "marketing.MessageDelivered": return .delivered(.init(campaignId: id, customerId: customerId, at: try r.required("at")))
            case "marketing.MessageOpened": return .opened(.init(campaignId: id, customerId: customerId, at: try r.required("at")))
            case "marketing.MessageReplied": return .replied(.init(campaignId: id, customerId: customerId, at: try r.required("at")))
            case "marketing.MessageClicked":
                return .clicked(.init(campaignId: id, customerId: customerId, url: try r.required("url"), at: try r.required("at")))
            case "marketing.MessageBounced":
                return .bounced(
                    .init(
                        campaignId: id, customerId: customerId, bounceType: try r.required("bounceType"),
                        reason: try r.required("reason"), at: try r.required("at")))
            case "marketing.RecipientConverted":
                return .converted(
                    .init(
                        campaignId: id, customerId: customerId, opportunityId: try r.optional("opportunityId"),
                        orderId: try r.optional("orderId"), at: try r.required("at")))
            case "marketing.RecipientUnsubscribed":
                return .recipientUnsubscribed(
                    .init(campaignId: id, customerId: customerId, channel: try r.required("channel"), at: try r.required("at")))
            default: throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    static let personalData: [String: [String]] = [
        "marketing.CampaignCreated": [],
        "marketing.SegmentDefined": [],
        "marketing.CampaignLaunched": [],
        "marketing.CampaignPaused": [],
        "marketing.CampaignCompleted": [],
        "marketing.MessageSent": ["/address"],
        "marketing.MessageDelivered": [],
        "marketing.MessageOpened": [],
        "marketing.MessageClicked": [],
        "marketing.MessageReplied": [],
        "marketing.MessageBounced": ["/reason"],
        "marketing.RecipientConverted": [],
        "marketing.RecipientUnsubscribed": [],
    ]
}
