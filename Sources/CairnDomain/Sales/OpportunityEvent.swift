/// What happens to an opportunity (`opportunity-<id>` stream). Every event names the customer.
public enum OpportunityEvent: Sendable, Hashable {
    case opened(Opened)
    case stageChanged(StageChanged)
    case amountChanged(AmountChanged)
    case closeDateChanged(CloseDateChanged)
    case ownerChanged(OwnerChanged)
    case won(Won)
    case lost(Lost)
    case reopened(Reopened)

    public struct Opened: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var name: String
        public var amount: Money
        public var expectedCloseDate: CalendarDate
        public var ownerId: UserID
        public var stage: OpportunityStage
        public var probability: Int
        /// Campaign attribution.
        public var campaignId: CampaignID?
        /// The lead it was converted from.
        public var leadId: LeadID?
    }

    public struct StageChanged: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var from: OpportunityStage
        public var to: OpportunityStage
        public var probability: Int
    }

    public struct AmountChanged: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var amount: Money
    }

    public struct CloseDateChanged: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var expectedCloseDate: CalendarDate
    }

    public struct OwnerChanged: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var ownerId: UserID
    }

    public struct Won: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var amount: Money
        public var closedAt: Timestamp
    }

    public struct Lost: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var reason: String
        public var closedAt: Timestamp
    }

    public struct Reopened: Sendable, Hashable {
        public var opportunityId: OpportunityID
        public var customerId: CustomerID
        public var stage: OpportunityStage
        public var probability: Int
    }
}

extension OpportunityEvent: AggregateEvent {
    public static let category = StreamCategory.opportunity

    public var type: String {
        switch self {
        case .opened: "sales.OpportunityOpened"
        case .stageChanged: "sales.OpportunityStageChanged"
        case .amountChanged: "sales.OpportunityAmountChanged"
        case .closeDateChanged: "sales.OpportunityCloseDateChanged"
        case .ownerChanged: "sales.OpportunityOwnerChanged"
        case .won: "sales.OpportunityWon"
        case .lost: "sales.OpportunityLost"
        case .reopened: "sales.OpportunityReopened"
        }
    }

    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? {
        switch self {
        case .opened(let e): e.customerId
        case .stageChanged(let e): e.customerId
        case .amountChanged(let e): e.customerId
        case .closeDateChanged(let e): e.customerId
        case .ownerChanged(let e): e.customerId
        case .won(let e): e.customerId
        case .lost(let e): e.customerId
        case .reopened(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .opened(let e):
            .object(compacting: [
                "opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "name": e.name.json,
                "amount": e.amount.json, "expectedCloseDate": e.expectedCloseDate.json, "ownerId": e.ownerId.json,
                "stage": e.stage.json, "probability": e.probability.json, "campaignId": e.campaignId?.json, "leadId": e.leadId?.json,
            ])
        case .stageChanged(let e):
            .object([
                "opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "from": e.from.json,
                "to": e.to.json, "probability": e.probability.json,
            ])
        case .amountChanged(let e):
            .object(["opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "amount": e.amount.json])
        case .closeDateChanged(let e):
            .object(["opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "expectedCloseDate": e.expectedCloseDate.json])
        case .ownerChanged(let e):
            .object(["opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "ownerId": e.ownerId.json])
        case .won(let e):
            .object([
                "opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "amount": e.amount.json,
                "closedAt": e.closedAt.json,
            ])
        case .lost(let e):
            .object([
                "opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "reason": e.reason.json,
                "closedAt": e.closedAt.json,
            ])
        case .reopened(let e):
            .object([
                "opportunityId": e.opportunityId.json, "customerId": e.customerId.json, "stage": e.stage.json,
                "probability": e.probability.json,
            ])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> OpportunityEvent {
        let known = personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> OpportunityEvent in
            let id: OpportunityID = try r.required("opportunityId")
            let customerId: CustomerID = try r.required("customerId")
            switch type {
            case "sales.OpportunityOpened":
                return .opened(
                    .init(
                        opportunityId: id, customerId: customerId, name: try r.required("name"), amount: try r.required("amount"),
                        expectedCloseDate: try r.required("expectedCloseDate"), ownerId: try r.required("ownerId"),
                        stage: try r.required("stage"), probability: try r.required("probability"),
                        campaignId: try r.optional("campaignId"), leadId: try r.optional("leadId")))
            case "sales.OpportunityStageChanged":
                return .stageChanged(
                    .init(
                        opportunityId: id, customerId: customerId, from: try r.required("from"),
                        to: try r.required("to"), probability: try r.required("probability")))
            case "sales.OpportunityAmountChanged":
                return .amountChanged(.init(opportunityId: id, customerId: customerId, amount: try r.required("amount")))
            case "sales.OpportunityCloseDateChanged":
                return .closeDateChanged(
                    .init(opportunityId: id, customerId: customerId, expectedCloseDate: try r.required("expectedCloseDate")))
            case "sales.OpportunityOwnerChanged":
                return .ownerChanged(.init(opportunityId: id, customerId: customerId, ownerId: try r.required("ownerId")))
            case "sales.OpportunityWon":
                return .won(
                    .init(opportunityId: id, customerId: customerId, amount: try r.required("amount"), closedAt: try r.required("closedAt"))
                )
            case "sales.OpportunityLost":
                return .lost(
                    .init(opportunityId: id, customerId: customerId, reason: try r.required("reason"), closedAt: try r.required("closedAt"))
                )
            case "sales.OpportunityReopened":
                return .reopened(
                    .init(
                        opportunityId: id, customerId: customerId, stage: try r.required("stage"),
                        probability: try r.required("probability")))
            default:
                throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    static let personalData: [String: [String]] = [
        "sales.OpportunityOpened": [],
        "sales.OpportunityStageChanged": [],
        "sales.OpportunityAmountChanged": [],
        "sales.OpportunityCloseDateChanged": [],
        "sales.OpportunityOwnerChanged": [],
        "sales.OpportunityWon": [],
        "sales.OpportunityLost": ["/reason"],
        "sales.OpportunityReopened": [],
    ]
}
