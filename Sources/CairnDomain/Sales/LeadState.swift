/// A lead folded from its stream.
public struct LeadState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case notCaptured, open, qualified, disqualified, converted }

    public var status: Status = .notCaptured
    public var id: LeadID = ""
    public var source = ""
    public var campaignId: CampaignID?
    public var personName: PersonName?
    public var companyName: String?
    public var email: String?
    public var phone: String?
    public var consents: [ConsentGrant] = []
    public var convertedTo: CustomerID?
    public var opportunityId: OpportunityID?

    public init() {}
}

extension LeadDecider {
    public static func evolve(_ state: LeadState, _ event: LeadEvent) -> LeadState {
        var s = state
        switch event {
        case .captured(let e):
            s.status = .open
            s.id = e.leadId
            s.source = e.source
            s.campaignId = e.campaignId
            s.personName = e.personName
            s.companyName = e.companyName
            s.email = e.email
            s.phone = e.phone
            s.consents = e.consents
        case .qualified: s.status = .qualified
        case .disqualified: s.status = .disqualified
        case .converted(let e):
            s.status = .converted
            s.convertedTo = e.customerId
            s.opportunityId = e.opportunityId
        }
        return s
    }
}
