/// What happens to a lead (`lead-<id>` stream). A lead is not a customer yet, so its events
/// have no subject until `LeadConverted`, which names the customer it became.
public enum LeadEvent: Sendable, Hashable {
    case captured(Captured)
    case qualified(Qualified)
    case disqualified(Disqualified)
    case converted(Converted)
    case updated(Updated)
    case erased(Erased)

    public struct Captured: Sendable, Hashable {
        public var leadId: LeadID
        public var source: String
        public var campaignId: CampaignID?
        public var personName: PersonName?
        public var companyName: String?
        public var email: String?
        public var phone: String?
        /// Consents given together with the lead (e.g. a ticked newsletter box).
        public var consents: [ConsentGrant]
        public var capturedAt: Timestamp
    }

    /// Only the details that changed: their new values, and the details removed.
    public struct Updated: Sendable, Hashable {
        public var leadId: LeadID
        public var personName: PersonName?
        public var companyName: String?
        public var email: String?
        public var phone: String?
        /// In `LeadDetail.allCases` order; never a detail given a value here.
        public var cleared: [LeadDetail]

        var hasChanges: Bool { personName != nil || companyName != nil || email != nil || phone != nil || !cleared.isEmpty }
    }

    public struct Qualified: Sendable, Hashable { public var leadId: LeadID; public var note: String? }
    public struct Disqualified: Sendable, Hashable { public var leadId: LeadID; public var reason: String }

    /// The lead's personal data was erased: its data keys are destroyed. Who (the actor), when,
    /// the request and its legal basis; nothing personal.
    public struct Erased: Sendable, Hashable {
        public var leadId: LeadID
        public var requestId: String
        public var legalBasis: String
    }

    public struct Converted: Sendable, Hashable {
        public var leadId: LeadID
        public var customerId: CustomerID
        public var opportunityId: OpportunityID
        /// True when the conversion registered a new customer, false when it linked an existing one.
        public var customerCreated: Bool
    }
}

extension LeadEvent: AggregateEvent {
    public static let category = StreamCategory.lead

    public var type: String {
        switch self {
        case .captured: "sales.LeadCaptured"
        case .qualified: "sales.LeadQualified"
        case .disqualified: "sales.LeadDisqualified"
        case .converted: "sales.LeadConverted"
        case .updated: "sales.LeadUpdated"
        case .erased: "sales.LeadErased"
        }
    }

    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? {
        if case .converted(let e) = self { return e.customerId }
        return nil
    }

    public var payload: JSONValue {
        switch self {
        case .captured(let e):
            .object(compacting: [
                "leadId": e.leadId.json, "source": e.source.json, "campaignId": e.campaignId?.json,
                "personName": e.personName?.json, "companyName": e.companyName?.json, "email": e.email?.json,
                "phone": e.phone?.json, "consents": e.consents.json, "capturedAt": e.capturedAt.json,
            ])
        case .updated(let e):
            .object(compacting: [
                "leadId": e.leadId.json, "personName": e.personName?.json, "companyName": e.companyName?.json,
                "email": e.email?.json, "phone": e.phone?.json, "cleared": e.cleared.isEmpty ? nil : e.cleared.json,
            ])
        case .qualified(let e): .object(compacting: ["leadId": e.leadId.json, "note": e.note?.json])
        case .disqualified(let e): .object(["leadId": e.leadId.json, "reason": e.reason.json])
        case .erased(let e): .object(["leadId": e.leadId.json, "requestId": e.requestId.json, "legalBasis": e.legalBasis.json])
        case .converted(let e):
            .object([
                "leadId": e.leadId.json, "customerId": e.customerId.json, "opportunityId": e.opportunityId.json,
                "customerCreated": e.customerCreated.json,
            ])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> LeadEvent {
        let known = personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> LeadEvent in
            let id: LeadID = try r.required("leadId")
            switch type {
            case "sales.LeadCaptured":
                return .captured(
                    .init(
                        leadId: id, source: try r.required("source"), campaignId: try r.optional("campaignId"),
                        personName: try r.optional("personName"), companyName: try r.optional("companyName"),
                        email: try r.optional("email"), phone: try r.optional("phone"), consents: try r.list("consents"),
                        capturedAt: try r.required("capturedAt")))
            case "sales.LeadUpdated":
                return .updated(
                    .init(
                        leadId: id, personName: try r.optional("personName"), companyName: try r.optional("companyName"),
                        email: try r.optional("email"), phone: try r.optional("phone"), cleared: try r.list("cleared")))
            case "sales.LeadQualified": return .qualified(.init(leadId: id, note: try r.optional("note")))
            case "sales.LeadDisqualified": return .disqualified(.init(leadId: id, reason: try r.required("reason")))
            case "sales.LeadErased":
                return .erased(.init(leadId: id, requestId: try r.required("requestId"), legalBasis: try r.required("legalBasis")))
            case "sales.LeadConverted":
                return .converted(
                    .init(
                        leadId: id, customerId: try r.required("customerId"),
                        opportunityId: try r.required("opportunityId"), customerCreated: try r.required("customerCreated")))
            default: throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    static let personalData: [String: [String]] = [
        "sales.LeadCaptured": ["/personName", "/email", "/phone"],
        "sales.LeadUpdated": ["/personName", "/email", "/phone"],
        "sales.LeadQualified": ["/note"],
        "sales.LeadDisqualified": ["/reason"],
        "sales.LeadConverted": [],
        "sales.LeadErased": [],
    ]
}
