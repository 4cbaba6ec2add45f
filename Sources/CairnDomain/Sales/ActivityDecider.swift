/// Decides activity logging.
public enum ActivityDecider: Decider {
    public typealias Command = ActivityCommand
    public typealias Event = ActivityEvent
    public typealias State = ActivityState

    public static var initialState: ActivityState { ActivityState() }

    /// Activities may be logged after the fact but not in the future (5 minutes of clock skew allowed).
    public static func decide(
        _ command: ActivityCommand, _ state: ActivityState, _ context: CommandContext
    ) throws(Rejection) -> [ActivityEvent] {
        try FieldValidator.finish(command.validate())
        switch command {
        case .log(let a):
            guard state.logged == nil else {
                throw .rule("activity.alreadyExists", "Activity \(a.activityId) was already logged.", path: "/activityId")
            }
            guard a.occurredAt <= context.now.adding(seconds: 300) else {
                throw .rule("activity.inFuture", "An activity cannot be logged before it happens.", path: "/occurredAt")
            }
            return [.logged(a)]
        }
    }

    /// Logs after checking the customer exists and is not merged or erased.
    public static func decideLog(
        _ command: ActivityCommand, _ state: ActivityState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [ActivityEvent] {
        try FieldValidator.finish(command.validate())
        guard case .log(let a) = command else { return [] }
        try CustomerDecider.requireReachable(customer, a.customerId)
        if customer.erased { throw CustomerDecider.erasedRejection(a.customerId, path: "/customerId") }
        return try decide(command, state, context)
    }

    public static func evolve(_ state: ActivityState, _ event: ActivityEvent) -> ActivityState {
        var s = state
        switch event {
        case .logged(let e): s.logged = e
        }
        return s
    }
}
