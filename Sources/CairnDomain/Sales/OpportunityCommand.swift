/// What can be asked of an opportunity.
public enum OpportunityCommand: Sendable, Hashable {
    case open(Opening)
    /// `probability` defaults to the stage's default.
    case moveToStage(opportunityId: OpportunityID, stage: OpportunityStage, probability: Int?)
    case changeAmount(opportunityId: OpportunityID, amount: Money)
    case changeCloseDate(opportunityId: OpportunityID, expectedCloseDate: CalendarDate)
    case changeOwner(opportunityId: OpportunityID, ownerId: UserID)
    case win(opportunityId: OpportunityID)
    case lose(opportunityId: OpportunityID, reason: String)
    case reopen(opportunityId: OpportunityID, stage: OpportunityStage)

    public struct Opening: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var name: String
        public var amount: Money
        public var expectedCloseDate: CalendarDate
        public var ownerId: UserID
        public var stage: OpportunityStage
        public var probability: Int?
        public var campaignId: CampaignID?
        public var leadId: LeadID?

        public init(
            opportunityId: OpportunityID, customerId: CustomerID, name: String, amount: Money, expectedCloseDate: CalendarDate,
            ownerId: UserID, stage: OpportunityStage = .prospecting, probability: Int? = nil,
            campaignId: CampaignID? = nil, leadId: LeadID? = nil
        ) {
            self.opportunityId = opportunityId
            self.customerId = customerId
            self.name = name
            self.amount = amount
            self.expectedCloseDate = expectedCloseDate
            self.ownerId = ownerId
            self.stage = stage
            self.probability = probability
            self.campaignId = campaignId
            self.leadId = leadId
        }
    }

    public var opportunityId: OpportunityID {
        switch self {
        case .open(let o): o.opportunityId
        case .moveToStage(let id, _, _), .changeAmount(let id, _), .changeCloseDate(let id, _), .changeOwner(let id, _),
            .win(let id), .lose(let id, _), .reopen(let id, _):
            id
        }
    }

    public var stream: StreamName { StreamName(.opportunity, opportunityId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(opportunityId, "/opportunityId")
        switch self {
        case .open(let o):
            v.id(o.customerId, "/customerId")
            v.text(o.name, "/name", max: 200)
            v.money(o.amount, "/amount")
            v.id(o.ownerId, "/ownerId")
            if let p = o.probability { v.check((0...100).contains(p), "/probability", "must be 0–100") }
            if let c = o.campaignId { v.id(c, "/campaignId") }
            if let l = o.leadId { v.id(l, "/leadId") }
        case .moveToStage(_, _, let p): if let p { v.check((0...100).contains(p), "/probability", "must be 0–100") }
        case .changeAmount(_, let amount): v.money(amount, "/amount")
        case .changeCloseDate: break
        case .changeOwner(_, let owner): v.id(owner, "/ownerId")
        case .win: break
        case .lose(_, let reason): v.text(reason, "/reason", max: 1000)
        case .reopen: break
        }
        return v.issues
    }
}
