/// What can be asked of a lead. Conversion spans streams: see `LeadDecider.decideConversion`.
public enum LeadCommand: Sendable, Hashable {
    case capture(Capture)
    case qualify(leadId: LeadID, note: String?)
    case disqualify(leadId: LeadID, reason: String)
    /// Corrects or completes the lead's contact details while it is open or qualified.
    case update(DetailChanges)
    /// The person's personal data is being erased, for `legalBasis`: a lead that never became a
    /// customer (a converted one is erased with the customer it became).
    case recordErasure(leadId: LeadID, requestId: String, legalBasis: String)

    public struct Capture: Sendable, Hashable {
        public var leadId: LeadID
        public var source: String
        public var campaignId: CampaignID?
        public var personName: PersonName?
        public var companyName: String?
        public var email: String?
        public var phone: String?
        public var consents: [ConsentGrant]

        public init(
            leadId: LeadID, source: String, campaignId: CampaignID? = nil, personName: PersonName? = nil,
            companyName: String? = nil, email: String? = nil, phone: String? = nil, consents: [ConsentGrant] = []
        ) {
            self.leadId = leadId
            self.source = source
            self.campaignId = campaignId
            self.personName = personName
            self.companyName = companyName
            self.email = email
            self.phone = phone
            self.consents = consents
        }
    }

    /// Details left nil are unchanged; `clear` names details to remove (a wrong number, or a
    /// person asking for their phone to be deleted). A lead keeps an email or a phone, and a
    /// person or company name.
    public struct DetailChanges: Sendable, Hashable {
        public var leadId: LeadID
        public var personName: PersonName?
        public var companyName: String?
        public var email: String?
        public var phone: String?
        public var clear: Set<LeadDetail>

        public init(
            leadId: LeadID, personName: PersonName? = nil, companyName: String? = nil, email: String? = nil, phone: String? = nil,
            clear: Set<LeadDetail> = []
        ) {
            self.leadId = leadId
            self.personName = personName
            self.companyName = companyName
            self.email = email
            self.phone = phone
            self.clear = clear
        }

        /// The details given a new value.
        var given: Set<LeadDetail> {
            var given: Set<LeadDetail> = []
            if personName != nil { given.insert(.personName) }
            if companyName != nil { given.insert(.companyName) }
            if email != nil { given.insert(.email) }
            if phone != nil { given.insert(.phone) }
            return given
        }
    }

    public var leadId: LeadID {
        switch self {
        case .capture(let c): c.leadId
        case .update(let u): u.leadId
        case .qualify(let id, _), .disqualify(let id, _), .recordErasure(let id, _, _): id
        }
    }

    public var stream: StreamName { StreamName(.lead, leadId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(leadId, "/leadId")
        switch self {
        case .capture(let c):
            v.text(c.source, "/source", max: 200)
            if let id = c.campaignId { v.id(id, "/campaignId") }
            if let name = c.personName { name.validate(&v, at: "/personName") }
            v.optionalText(c.companyName, "/companyName", max: 200)
            if let email = c.email { v.email(email, "/email") }
            if let phone = c.phone { v.phone(phone, "/phone") }
            v.check(c.email != nil || c.phone != nil, "/email", "a lead needs an email or a phone")
            v.check(c.personName != nil || c.companyName != nil, "/personName", "a lead needs a person or company name")
            for (i, consent) in c.consents.enumerated() { v.text(consent.source, "/consents/\(i)/source", max: 200) }
        case .update(let u):
            if let name = u.personName { name.validate(&v, at: "/personName") }
            v.optionalText(u.companyName, "/companyName", max: 200)
            if let email = u.email { v.email(email, "/email") }
            if let phone = u.phone { v.phone(phone, "/phone") }
            for detail in LeadDetail.allCases where u.clear.contains(detail) && u.given.contains(detail) {
                v.add("/\(detail.rawValue)", "is both given and cleared")
            }
            v.check(!u.given.isEmpty || !u.clear.isEmpty, "", "changes nothing")
        case .qualify(_, let note): v.optionalText(note, "/note", max: 2000)
        case .disqualify(_, let reason): v.text(reason, "/reason", max: 1000)
        case .recordErasure(_, let requestId, let legalBasis):
            v.id(requestId, "/requestId")
            v.text(legalBasis, "/legalBasis", max: 200)
        }
        return v.issues
    }
}

/// A contact detail of a lead, by its frozen storage name (`sales.LeadUpdated` lists the
/// cleared ones).
public enum LeadDetail: String, Sendable, Hashable, CaseIterable, JSONStringEnum {
    case personName, companyName, email, phone
}

/// Converting a lead: either register `newCustomerId` from the lead's details or link
/// `existingCustomerId`; in both cases open `opportunity`.
public struct LeadConversion: Sendable, Hashable {
    public enum CustomerTarget: Sendable, Hashable {
        case register(newCustomerId: CustomerID)
        case link(existingCustomerId: CustomerID)
    }

    public var leadId: LeadID
    public var customer: CustomerTarget
    public var opportunityId: OpportunityID
    public var opportunityName: String
    public var amount: Money
    public var expectedCloseDate: CalendarDate
    public var ownerId: UserID

    public init(
        leadId: LeadID, customer: CustomerTarget, opportunityId: OpportunityID, opportunityName: String,
        amount: Money, expectedCloseDate: CalendarDate, ownerId: UserID
    ) {
        self.leadId = leadId
        self.customer = customer
        self.opportunityId = opportunityId
        self.opportunityName = opportunityName
        self.amount = amount
        self.expectedCloseDate = expectedCloseDate
        self.ownerId = ownerId
    }

    public var customerId: CustomerID {
        switch customer {
        case .register(let id), .link(let id): id
        }
    }
}
