/// A recipient's reaction to a campaign message.
public enum CampaignResponse: Sendable, Hashable {
    case delivered
    case opened
    case clicked(url: String)
    case replied
    /// A hard bounce also invalidates the address on the customer (see `CampaignDecider.decideResponse`).
    case bounced(BounceType, reason: String)
    case converted(opportunityId: OpportunityID?, orderId: OrderID?)
}

/// Commands on a campaign itself. Sends, launches to a segment and unsubscribes need customer
/// state too and go through `CampaignDecider.decideSend`, `planLaunch` and `decideUnsubscribe`.
public enum CampaignCommand: Sendable, Hashable {
    case create(
        campaignId: CampaignID, name: String, channel: ContactChannel, budget: Money?,
        startDate: CalendarDate, endDate: CalendarDate, segment: Segment?)
    case defineSegment(campaignId: CampaignID, segment: Segment)
    case launch(campaignId: CampaignID)
    case pause(campaignId: CampaignID, reason: String?)
    case complete(campaignId: CampaignID)
    /// `at` is when the provider observed it (defaults to the command time).
    case recordResponse(campaignId: CampaignID, customerId: CustomerID, response: CampaignResponse, at: Timestamp?)

    public var campaignId: CampaignID {
        switch self {
        case .create(let id, _, _, _, _, _, _), .defineSegment(let id, _), .launch(let id), .pause(let id, _), .complete(let id),
            .recordResponse(let id, _, _, _):
            id
        }
    }

    public var stream: StreamName { StreamName(.campaign, campaignId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(campaignId, "/campaignId")
        switch self {
        case .create(_, let name, _, let budget, let start, let end, let segment):
            v.text(name, "/name", max: 200)
            if let budget { v.money(budget, "/budget") }
            v.check(end >= start, "/endDate", "must not be before startDate")
            segment?.validate(&v, at: "/segment")
        case .defineSegment(_, let segment): segment.validate(&v, at: "/segment")
        case .launch, .complete: break
        case .pause(_, let reason): v.optionalText(reason, "/reason", max: 1000)
        case .recordResponse(_, let customerId, let response, _):
            v.id(customerId, "/customerId")
            switch response {
            case .clicked(let url):
                v.check(url.hasPrefix("https://") || url.hasPrefix("http://"), "/response/url", "must be an http(s) URL")
                v.check(url.utf8.count <= 2048, "/response/url", "must be at most 2048 bytes")
            case .bounced(_, let reason): v.text(reason, "/response/reason", max: 1000)
            case .converted(let opp, let order):
                if let opp { v.id(opp, "/response/opportunityId") }
                if let order { v.id(order, "/response/orderId") }
            case .delivered, .opened, .replied: break
            }
        }
        return v.issues
    }
}
