/// A campaign folded from its stream.
public struct CampaignState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case notCreated, draft, running, paused, completed }

    /// What happened to the message sent to one customer.
    public struct Recipient: Sendable, Hashable {
        public var address: String
        public var sentAt: Timestamp
        public var delivered = false
        public var opened = false
        public var clicks = 0
        public var replied = false
        public var bounce: BounceType?
        public var converted = false
        public var unsubscribed = false
    }

    public var status: Status = .notCreated
    public var id: CampaignID = ""
    public var name = ""
    public var channel: ContactChannel = .email
    public var budget: Money?
    public var startDate = CalendarDate(uncheckedYear: 1970, month: 1, day: 1)
    public var endDate = CalendarDate(uncheckedYear: 1970, month: 1, day: 1)
    public var segment: Segment?
    public var recipients: [CustomerID: Recipient] = [:]

    public init() {}
}

extension CampaignDecider {
    public static func evolve(_ state: CampaignState, _ event: CampaignEvent) -> CampaignState {
        var s = state
        switch event {
        case .created(let e):
            s.status = .draft
            s.id = e.campaignId
            s.name = e.name
            s.channel = e.channel
            s.budget = e.budget
            s.startDate = e.startDate
            s.endDate = e.endDate
            s.segment = e.segment
        case .segmentDefined(let e): s.segment = e.segment
        case .launched: s.status = .running
        case .paused: s.status = .paused
        case .completed: s.status = .completed
        case .messageSent(let e): s.recipients[e.customerId] = CampaignState.Recipient(address: e.address, sentAt: e.sentAt)
        case .delivered(let e): s.recipients[e.customerId]?.delivered = true
        case .opened(let e): s.recipients[e.customerId]?.opened = true
        case .replied(let e): s.recipients[e.customerId]?.replied = true
        case .clicked(let e): s.recipients[e.customerId]?.clicks += 1
        case .bounced(let e): s.recipients[e.customerId]?.bounce = e.bounceType
        case .converted(let e): s.recipients[e.customerId]?.converted = true
        case .recipientUnsubscribed(let e): s.recipients[e.customerId]?.unsubscribed = true
        }
        return s
    }
}
