/// Who wrote a case message.
public enum MessageAuthor: String, Sendable, Hashable, JSONStringEnum { case agent, customer }

/// What happens to a service case (`case-<id>` stream). Every event names the customer.
public enum CaseEvent: Sendable, Hashable {
    case opened(Opened)
    case assigned(Assigned)
    case messageRecorded(MessageRecorded)
    case escalated(Escalated)
    case priorityChanged(PriorityChanged)
    case resolved(Resolved)
    case reopened(Reopened)
    case closed(Closed)
    case satisfactionRecorded(SatisfactionRecorded)
    case slaBreached(SlaBreached)

    public struct Opened: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var channel: CaseChannel
        public var priority: CasePriority
        public var subject: String
        public var description: String
        public var openedAt: Timestamp
        public var deadlines: CaseDeadlines
    }

    public struct Assigned: Sendable, Hashable { public var caseId: CaseID; public var customerId: CustomerID; public var agentId: UserID }

    public struct MessageRecorded: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var messageId: String
        public var author: MessageAuthor
        /// The agent's user id for agent messages.
        public var authorId: UserID?
        public var body: String
        public var recordedAt: Timestamp
    }

    public struct Escalated: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var level: Int
        public var reason: String
    }

    /// Deadlines are recomputed from the opening time under the new priority.
    public struct PriorityChanged: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var priority: CasePriority
        public var deadlines: CaseDeadlines
    }

    public struct Resolved: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var resolution: String
        public var resolvedAt: Timestamp
    }

    /// A reopened case gets a fresh resolution deadline from the reopening time.
    public struct Reopened: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var reason: String?
        public var resolutionDue: Timestamp
    }

    public struct Closed: Sendable, Hashable {
        public var caseId: CaseID; public var customerId: CustomerID; public var closedAt: Timestamp
    }

    public struct SatisfactionRecorded: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        /// CSAT, 1 (very dissatisfied) to 5 (very satisfied).
        public var score: Int
        public var comment: String?
    }

    public struct SlaBreached: Sendable, Hashable {
        public var caseId: CaseID
        public var customerId: CustomerID
        public var deadline: SlaDeadlineKind
        public var dueAt: Timestamp
        public var detectedAt: Timestamp
    }
}
