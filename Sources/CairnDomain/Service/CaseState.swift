/// A service case folded from its stream.
public struct CaseState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case notOpened, open, resolved, closed }

    /// One deadline as it stood when it was missed; a deadline breaches at most once.
    public struct DeadlineKey: Sendable, Hashable {
        public var kind: SlaDeadlineKind
        public var dueAt: Timestamp
    }

    public var status: Status = .notOpened
    public var id: CaseID = ""
    public var customerId: CustomerID = ""
    public var channel: CaseChannel = .email
    public var priority: CasePriority = .normal
    public var assigneeId: UserID?
    public var openedAt = Timestamp(millisecondsSinceEpoch: 0)
    public var deadlines = CaseDeadlines(
        firstResponseDue: Timestamp(millisecondsSinceEpoch: 0), resolutionDue: Timestamp(millisecondsSinceEpoch: 0))
    /// When the first-response clock stopped: the first agent message, or the case being
    /// resolved or closed before anyone answered.
    public var firstRespondedAt: Timestamp?
    /// When the current resolution cycle ended (resolved, or closed without resolution).
    public var resolutionStoppedAt: Timestamp?
    public var escalationLevel = 0
    public var messageIds: Set<String> = []
    public var satisfaction: Int?
    public var recordedBreaches: Set<DeadlineKey> = []

    public init() {}
}

extension CaseDecider {
    public static func evolve(_ state: CaseState, _ event: CaseEvent) -> CaseState {
        var s = state
        switch event {
        case .opened(let e):
            s.status = .open
            s.id = e.caseId
            s.customerId = e.customerId
            s.channel = e.channel
            s.priority = e.priority
            s.openedAt = e.openedAt
            s.deadlines = e.deadlines
        case .assigned(let e): s.assigneeId = e.agentId
        case .messageRecorded(let e):
            s.messageIds.insert(e.messageId)
            if e.author == .agent, s.firstRespondedAt == nil { s.firstRespondedAt = e.recordedAt }
        case .escalated(let e): s.escalationLevel = e.level
        case .priorityChanged(let e):
            s.priority = e.priority
            s.deadlines = e.deadlines
        case .resolved(let e):
            s.status = .resolved
            s.resolutionStoppedAt = e.resolvedAt
            if s.firstRespondedAt == nil { s.firstRespondedAt = e.resolvedAt }
        case .reopened(let e):
            s.status = .open
            s.resolutionStoppedAt = nil
            s.deadlines.resolutionDue = e.resolutionDue
        case .closed(let e):
            s.status = .closed
            if s.resolutionStoppedAt == nil { s.resolutionStoppedAt = e.closedAt }
            if s.firstRespondedAt == nil { s.firstRespondedAt = e.closedAt }
        case .satisfactionRecorded(let e): s.satisfaction = e.score
        case .slaBreached(let e): s.recordedBreaches.insert(CaseState.DeadlineKey(kind: e.deadline, dueAt: e.dueAt))
        }
        return s
    }
}
