/// Any event of any aggregate — what cross-stream decisions return and what the catalogue
/// decodes into when only the stored type string is known.
public enum DomainEvent: Sendable, Hashable {
    case customer(CustomerEvent)
    case lead(LeadEvent)
    case opportunity(OpportunityEvent)
    case activity(ActivityEvent)
    case task(TaskEvent)
    case order(OrderEvent)
    case campaign(CampaignEvent)
    case serviceCase(CaseEvent)
    case compliance(ComplianceEvent)

    var base: any AggregateEvent {
        switch self {
        case .customer(let e): e
        case .lead(let e): e
        case .opportunity(let e): e
        case .activity(let e): e
        case .task(let e): e
        case .order(let e): e
        case .campaign(let e): e
        case .serviceCase(let e): e
        case .compliance(let e): e
        }
    }

    public var type: String { base.type }
    public var schemaVersion: Int { base.schemaVersion }
    public var subject: CustomerID? { base.subject }
    public var payload: JSONValue { base.payload }
    public func encoded() -> EncodedEvent { base.encoded() }
}

/// An event together with the stream it must be appended to. Cross-stream decisions (lead
/// conversion, merge, campaign sends with customer side effects) return several of these,
/// to be appended atomically.
public struct StreamedEvent: Sendable, Hashable {
    public let stream: StreamName
    public let event: DomainEvent

    public init(_ stream: StreamName, _ event: DomainEvent) {
        self.stream = stream
        self.event = event
    }
}
