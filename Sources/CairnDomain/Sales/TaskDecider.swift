/// Decides follow-up task commands.
public enum TaskDecider: Decider {
    public typealias Command = TaskCommand
    public typealias Event = TaskEvent
    public typealias State = TaskState

    public static var initialState: TaskState { TaskState() }

    public static func decide(_ command: TaskCommand, _ state: TaskState, _ context: CommandContext) throws(Rejection) -> [TaskEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.taskId
        if case .schedule(_, let customerId, let title, let dueAt, let assignee) = command {
            guard state.status == .notScheduled else { throw .rule("task.alreadyExists", "Task \(id) already exists.", path: "/taskId") }
            return [.scheduled(.init(taskId: id, customerId: customerId, title: title, dueAt: dueAt, assigneeId: assignee))]
        }
        switch state.status {
        case .notScheduled: throw .notFound("task", id)
        case .completed: throw .rule("task.completed", "Task \(id) is already completed.")
        case .cancelled: throw .rule("task.cancelled", "Task \(id) was cancelled.")
        case .open: break
        }
        switch command {
        case .schedule: return []
        case .reassign(_, let assignee):
            guard assignee != state.assigneeId else {
                throw .rule("task.sameAssignee", "Task \(id) is already assigned to \(assignee).", path: "/assigneeId")
            }
            return [.reassigned(.init(taskId: id, customerId: state.customerId, assigneeId: assignee))]
        case .complete(_, let outcome):
            return [.completed(.init(taskId: id, customerId: state.customerId, completedAt: context.now, outcome: outcome))]
        case .cancel(_, let reason):
            return [.cancelled(.init(taskId: id, customerId: state.customerId, reason: reason))]
        }
    }

    /// Schedules a task after checking its customer exists and is not merged away, closed or
    /// erased (`customer.merged` carries the survivor's id). Other task commands do not involve
    /// the customer and are decided as by `decide`.
    public static func decideSchedule(
        _ command: TaskCommand, _ state: TaskState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [TaskEvent] {
        try FieldValidator.finish(command.validate())
        if case .schedule(_, let customerId, _, _, _) = command {
            try CustomerDecider.requireActive(customer, customerId, path: "/customerId")
        }
        return try decide(command, state, context)
    }

    public static func evolve(_ state: TaskState, _ event: TaskEvent) -> TaskState {
        var s = state
        switch event {
        case .scheduled(let e):
            s.status = .open
            s.customerId = e.customerId
            s.title = e.title
            s.dueAt = e.dueAt
            s.assigneeId = e.assigneeId
        case .reassigned(let e): s.assigneeId = e.assigneeId
        case .completed: s.status = .completed
        case .cancelled: s.status = .cancelled
        }
        return s
    }
}
