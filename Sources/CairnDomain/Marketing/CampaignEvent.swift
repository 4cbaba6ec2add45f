/// How a recipient's mail/message bounced.
public enum BounceType: String, Sendable, Hashable, JSONStringEnum { case hard, soft }

/// What happens to a campaign (`campaign-<id>` stream). Sends and responses live on the
/// campaign's stream and name the recipient as subject; a campaign reaches each customer once,
/// so a send is identified by its customer id.
public enum CampaignEvent: Sendable, Hashable {
    case created(Created)
    case segmentDefined(SegmentDefined)
    case launched(Launched)
    case paused(Paused)
    case completed(Completed)
    case messageSent(MessageSent)
    case delivered(Response)
    case opened(Response)
    case clicked(Clicked)
    case replied(Response)
    case bounced(Bounced)
    case converted(Converted)
    case recipientUnsubscribed(RecipientUnsubscribed)

    public struct Created: Sendable, Hashable {
        public var campaignId: CampaignID
        public var name: String
        public var channel: ContactChannel
        public var budget: Money?
        public var startDate: CalendarDate
        public var endDate: CalendarDate
        public var segment: Segment?
    }

    public struct SegmentDefined: Sendable, Hashable { public var campaignId: CampaignID; public var segment: Segment }
    public struct Launched: Sendable, Hashable { public var campaignId: CampaignID; public var launchedAt: Timestamp }
    public struct Paused: Sendable, Hashable { public var campaignId: CampaignID; public var reason: String? }
    public struct Completed: Sendable, Hashable { public var campaignId: CampaignID; public var completedAt: Timestamp }

    public struct MessageSent: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var channel: ContactChannel
        /// The email, phone or address id the message went to.
        public var address: String
        public var sentAt: Timestamp
    }

    /// Delivered, opened, replied: the bare fact and when.
    public struct Response: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var at: Timestamp
    }

    public struct Clicked: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var url: String
        public var at: Timestamp
    }

    public struct Bounced: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var bounceType: BounceType
        public var reason: String
        public var at: Timestamp
    }

    public struct Converted: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var opportunityId: OpportunityID?
        public var orderId: OrderID?
        public var at: Timestamp
    }

    public struct RecipientUnsubscribed: Sendable, Hashable {
        public var campaignId: CampaignID
        public var customerId: CustomerID
        public var channel: ContactChannel
        public var at: Timestamp
    }
}
