/// Logging an activity on a customer.
public enum ActivityCommand: Sendable, Hashable {
    case log(ActivityEvent.Logged)

    public var activityId: ActivityID {
        switch self {
        case .log(let a): a.activityId
        }
    }

    public var stream: StreamName { StreamName(.activity, activityId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        switch self {
        case .log(let a):
            v.id(a.activityId, "/activityId")
            v.id(a.customerId, "/customerId")
            if let d = a.durationSeconds { v.check(d >= 0 && d <= 7 * 86_400, "/durationSeconds", "must be 0 to 7 days") }
            v.optionalText(a.outcome, "/outcome", max: 500)
            v.check(a.participants.count <= 50, "/participants", "must list at most 50 participants")
            for (i, p) in a.participants.enumerated() { v.text(p, "/participants/\(i)", max: 200) }
            v.optionalText(a.summary, "/summary", max: 10_000)
            if a.kind == .email, let channel = a.channel {
                v.check(channel == .email, "/channel", "an email activity happens on the email channel")
            }
        }
        return v.issues
    }
}
