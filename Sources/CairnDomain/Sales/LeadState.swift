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
    /// Emails and phones the lead held before an update replaced or cleared them: erasing the
    /// person suppresses these too, not only the ones the lead ended with.
    public var formerContacts: [String] = []
    /// The person's personal data was erased: its keys are gone, and the lead takes no command.
    public var erased = false
    public var convertedTo: CustomerID?
    public var opportunityId: OpportunityID?

    public init() {}

    fileprivate mutating func keepFormer(_ contact: String?) {
        if let contact, !formerContacts.contains(contact) { formerContacts.append(contact) }
    }
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
        case .updated(let e):
            if e.email != nil || e.cleared.contains(.email) { s.keepFormer(s.email) }
            if e.phone != nil || e.cleared.contains(.phone) { s.keepFormer(s.phone) }
            if let name = e.personName { s.personName = name }
            if let company = e.companyName { s.companyName = company }
            if let email = e.email { s.email = email }
            if let phone = e.phone { s.phone = phone }
            for detail in e.cleared {
                switch detail {
                case .personName: s.personName = nil
                case .companyName: s.companyName = nil
                case .email: s.email = nil
                case .phone: s.phone = nil
                }
            }
        case .qualified: s.status = .qualified
        case .disqualified: s.status = .disqualified
        case .erased:
            // What a fold after the keys went reads is placeholders; the state keeps none of it.
            s.erased = true
            s.personName = nil
            s.email = nil
            s.phone = nil
            s.formerContacts = []
        case .converted(let e):
            s.status = .converted
            s.convertedTo = e.customerId
            s.opportunityId = e.opportunityId
        }
        return s
    }
}
