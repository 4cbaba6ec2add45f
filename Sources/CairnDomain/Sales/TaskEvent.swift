/// Follow-up tasks on a customer (`task-<id>` stream).
public enum TaskEvent: Sendable, Hashable {
    case scheduled(Scheduled)
    case reassigned(Reassigned)
    case completed(Completed)
    case cancelled(Cancelled)

    public struct Scheduled: Sendable, Hashable {
        public var taskId: TaskID
        public var customerId: CustomerID
        public var title: String
        public var dueAt: Timestamp
        public var assigneeId: UserID
    }

    public struct Reassigned: Sendable, Hashable {
        public var taskId: TaskID
        public var customerId: CustomerID
        public var assigneeId: UserID
    }

    public struct Completed: Sendable, Hashable {
        public var taskId: TaskID
        public var customerId: CustomerID
        public var completedAt: Timestamp
        public var outcome: String?
    }

    public struct Cancelled: Sendable, Hashable {
        public var taskId: TaskID
        public var customerId: CustomerID
        public var reason: String?
    }
}

extension TaskEvent: AggregateEvent {
    public static let category = StreamCategory.task

    public var type: String {
        switch self {
        case .scheduled: "sales.TaskScheduled"
        case .reassigned: "sales.TaskReassigned"
        case .completed: "sales.TaskCompleted"
        case .cancelled: "sales.TaskCancelled"
        }
    }

    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? {
        switch self {
        case .scheduled(let e): e.customerId
        case .reassigned(let e): e.customerId
        case .completed(let e): e.customerId
        case .cancelled(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .scheduled(let e):
            .object([
                "taskId": e.taskId.json, "customerId": e.customerId.json, "title": e.title.json,
                "dueAt": e.dueAt.json, "assigneeId": e.assigneeId.json,
            ])
        case .reassigned(let e): .object(["taskId": e.taskId.json, "customerId": e.customerId.json, "assigneeId": e.assigneeId.json])
        case .completed(let e):
            .object(compacting: [
                "taskId": e.taskId.json, "customerId": e.customerId.json, "completedAt": e.completedAt.json,
                "outcome": e.outcome?.json,
            ])
        case .cancelled(let e): .object(compacting: ["taskId": e.taskId.json, "customerId": e.customerId.json, "reason": e.reason?.json])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> TaskEvent {
        let known = personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> TaskEvent in
            let id: TaskID = try r.required("taskId")
            let customerId: CustomerID = try r.required("customerId")
            switch type {
            case "sales.TaskScheduled":
                return .scheduled(
                    .init(
                        taskId: id, customerId: customerId, title: try r.required("title"),
                        dueAt: try r.required("dueAt"), assigneeId: try r.required("assigneeId")))
            case "sales.TaskReassigned":
                return .reassigned(.init(taskId: id, customerId: customerId, assigneeId: try r.required("assigneeId")))
            case "sales.TaskCompleted":
                return .completed(
                    .init(
                        taskId: id, customerId: customerId, completedAt: try r.required("completedAt"), outcome: try r.optional("outcome")))
            case "sales.TaskCancelled": return .cancelled(.init(taskId: id, customerId: customerId, reason: try r.optional("reason")))
            default: throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    static let personalData: [String: [String]] = [
        "sales.TaskScheduled": ["/title"],
        "sales.TaskReassigned": [],
        "sales.TaskCompleted": ["/outcome"],
        "sales.TaskCancelled": ["/reason"],
    ]
}
