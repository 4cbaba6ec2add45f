/// Decides service-case commands under an SLA policy.
public enum CaseDecider: Decider {
    public typealias Command = CaseCommand
    public typealias Event = CaseEvent
    public typealias State = CaseState

    public static var initialState: CaseState { CaseState() }

    /// Decides under `SlaPolicy.standard`.
    public static func decide(_ command: CaseCommand, _ state: CaseState, _ context: CommandContext) throws(Rejection) -> [CaseEvent] {
        try decide(command, state, context, policy: .standard)
    }

    public static func decide(
        _ command: CaseCommand, _ state: CaseState, _ context: CommandContext, policy: SlaPolicy
    ) throws(Rejection) -> [CaseEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.caseId
        if case .open(_, let customerId, let channel, let priority, let subject, let description) = command {
            guard state.status == .notOpened else { throw .rule("case.alreadyExists", "Case \(id) already exists.", path: "/caseId") }
            return [
                .opened(
                    .init(
                        caseId: id, customerId: customerId, channel: channel, priority: priority, subject: subject,
                        description: description,
                        openedAt: context.now, deadlines: policy.deadlines(priority: priority, openedAt: context.now)))
            ]
        }
        guard state.status != .notOpened else { throw .notFound("case", id) }
        let customerId = state.customerId

        switch command {
        case .open: return []
        case .recordSlaBreaches:
            return SlaEvaluation.unrecordedMissedDeadlines(state, now: context.now).map {
                .slaBreached(.init(caseId: id, customerId: customerId, deadline: $0.kind, dueAt: $0.dueAt, detectedAt: context.now))
            }
        case .recordSatisfaction(_, let score, let comment):
            guard state.status == .resolved || state.status == .closed else {
                throw .rule("case.notResolved", "Satisfaction is asked once case \(id) is resolved.")
            }
            guard state.satisfaction == nil else { throw .rule("case.satisfactionAlreadyRecorded", "Case \(id) already has a CSAT score.") }
            return [.satisfactionRecorded(.init(caseId: id, customerId: customerId, score: score, comment: comment))]
        default: break
        }

        guard state.status != .closed else { throw .rule("case.closed", "Case \(id) is closed.") }

        switch command {
        case .open, .recordSlaBreaches, .recordSatisfaction: return []
        case .assign(_, let agent):
            guard agent != state.assigneeId else {
                throw .rule("case.sameAssignee", "Case \(id) is already assigned to \(agent).", path: "/agentId")
            }
            return [.assigned(.init(caseId: id, customerId: customerId, agentId: agent))]
        case .recordMessage(_, let messageId, let author, let authorId, let body):
            guard !state.messageIds.contains(messageId) else {
                throw .rule("case.messageExists", "Message \(messageId) is already on case \(id).", path: "/messageId")
            }
            return [
                .messageRecorded(
                    .init(
                        caseId: id, customerId: customerId, messageId: messageId, author: author,
                        authorId: authorId, body: body, recordedAt: context.now))
            ]
        case .escalate(_, let reason, let priority):
            guard state.status == .open else { throw .rule("case.resolved", "Case \(id) is resolved; reopen it first.") }
            var events: [CaseEvent] = [
                .escalated(.init(caseId: id, customerId: customerId, level: state.escalationLevel + 1, reason: reason))
            ]
            if let priority, priority > state.priority {
                events.append(priorityChange(state, priority, policy))
            }
            return events
        case .changePriority(_, let priority):
            guard priority != state.priority else {
                throw .rule("case.samePriority", "Case \(id) already has priority \(priority.rawValue).", path: "/priority")
            }
            return [priorityChange(state, priority, policy)]
        case .resolve(_, let resolution):
            guard state.status == .open else { throw .rule("case.alreadyResolved", "Case \(id) is already resolved.") }
            return [.resolved(.init(caseId: id, customerId: customerId, resolution: resolution, resolvedAt: context.now))]
        case .reopen(_, let reason):
            guard state.status == .resolved else { throw .rule("case.notResolved", "Case \(id) is not resolved.") }
            let due = context.now.adding(seconds: policy.targets(for: state.priority).resolutionSeconds)
            return [.reopened(.init(caseId: id, customerId: customerId, reason: reason, resolutionDue: due))]
        case .close:
            return [.closed(.init(caseId: id, customerId: customerId, closedAt: context.now))]
        }
    }

    private static func priorityChange(_ state: CaseState, _ priority: CasePriority, _ policy: SlaPolicy) -> CaseEvent {
        var deadlines = policy.deadlines(priority: priority, openedAt: state.openedAt)
        // A reopened case keeps its reopening-based resolution clock.
        if state.deadlines.resolutionDue > policy.deadlines(priority: state.priority, openedAt: state.openedAt).resolutionDue {
            deadlines.resolutionDue = state.deadlines.resolutionDue
        }
        return .priorityChanged(.init(caseId: state.id, customerId: state.customerId, priority: priority, deadlines: deadlines))
    }

    /// Opens a case after checking the customer exists and is neither merged away nor erased
    /// (a closed customer may still open one).
    public static func decideOpen(
        _ command: CaseCommand, _ state: CaseState, customer: CustomerState, _ context: CommandContext,
        policy: SlaPolicy = .standard
    ) throws(Rejection) -> [CaseEvent] {
        try FieldValidator.finish(command.validate())
        if case .open(_, let customerId, _, _, _, _) = command {
            try CustomerDecider.requireReachable(customer, customerId)
            if customer.erased { throw CustomerDecider.erasedRejection(customerId, path: "/customerId") }
        }
        return try decide(command, state, context, policy: policy)
    }
}
