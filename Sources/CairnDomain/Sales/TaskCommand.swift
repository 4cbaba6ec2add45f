/// What can be asked of a follow-up task.
public enum TaskCommand: Sendable, Hashable {
    case schedule(taskId: TaskID, customerId: CustomerID, title: String, dueAt: Timestamp, assigneeId: UserID)
    case reassign(taskId: TaskID, assigneeId: UserID)
    case complete(taskId: TaskID, outcome: String?)
    case cancel(taskId: TaskID, reason: String?)

    public var taskId: TaskID {
        switch self {
        case .schedule(let id, _, _, _, _), .reassign(let id, _), .complete(let id, _), .cancel(let id, _): id
        }
    }

    public var stream: StreamName { StreamName(.task, taskId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(taskId, "/taskId")
        switch self {
        case .schedule(_, let customerId, let title, _, let assignee):
            v.id(customerId, "/customerId")
            v.text(title, "/title", max: 500)
            v.id(assignee, "/assigneeId")
        case .reassign(_, let assignee): v.id(assignee, "/assigneeId")
        case .complete(_, let outcome): v.optionalText(outcome, "/outcome", max: 2000)
        case .cancel(_, let reason): v.optionalText(reason, "/reason", max: 1000)
        }
        return v.issues
    }
}
