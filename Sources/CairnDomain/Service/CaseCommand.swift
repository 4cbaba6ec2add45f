/// What can be asked of a service case.
public enum CaseCommand: Sendable, Hashable {
    case open(caseId: CaseID, customerId: CustomerID, channel: CaseChannel, priority: CasePriority, subject: String, description: String)
    case assign(caseId: CaseID, agentId: UserID)
    case recordMessage(caseId: CaseID, messageId: String, author: MessageAuthor, authorId: UserID?, body: String)
    /// Escalates one level; `priority`, when higher than the current one, also raises the priority.
    case escalate(caseId: CaseID, reason: String, priority: CasePriority?)
    case changePriority(caseId: CaseID, priority: CasePriority)
    case resolve(caseId: CaseID, resolution: String)
    case reopen(caseId: CaseID, reason: String?)
    case close(caseId: CaseID)
    case recordSatisfaction(caseId: CaseID, score: Int, comment: String?)
    /// Records `service.SlaBreached` for every missed deadline not yet recorded, as of `context.now`.
    /// Emits nothing when there is nothing new — the SLA watcher may call it as often as it likes.
    case recordSlaBreaches(caseId: CaseID)

    public var caseId: CaseID {
        switch self {
        case .open(let id, _, _, _, _, _), .assign(let id, _), .recordMessage(let id, _, _, _, _), .escalate(let id, _, _),
            .changePriority(let id, _), .resolve(let id, _), .reopen(let id, _), .close(let id),
            .recordSatisfaction(let id, _, _), .recordSlaBreaches(let id):
            id
        }
    }

    public var stream: StreamName { StreamName(.case, caseId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(caseId, "/caseId")
        switch self {
        case .open(_, let customerId, _, _, let subject, let description):
            v.id(customerId, "/customerId")
            v.text(subject, "/subject", max: 300)
            v.text(description, "/description", max: 20_000)
        case .assign(_, let agent): v.id(agent, "/agentId")
        case .recordMessage(_, let messageId, let author, let authorId, let body):
            v.id(messageId, "/messageId")
            if let a = authorId { v.id(a, "/authorId") }
            v.check(author == .customer || authorId != nil, "/authorId", "is required for agent messages")
            v.text(body, "/body", max: 50_000)
        case .escalate(_, let reason, _): v.text(reason, "/reason", max: 2000)
        case .changePriority: break
        case .resolve(_, let resolution): v.text(resolution, "/resolution", max: 5000)
        case .reopen(_, let reason): v.optionalText(reason, "/reason", max: 2000)
        case .close: break
        case .recordSatisfaction(_, let score, let comment):
            v.check((1...5).contains(score), "/score", "must be 1–5")
            v.optionalText(comment, "/comment", max: 5000)
        case .recordSlaBreaches: break
        }
        return v.issues
    }
}
