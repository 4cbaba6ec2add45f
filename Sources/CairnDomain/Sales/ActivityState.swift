/// Whether the activity was logged.
public struct ActivityState: Sendable, Hashable {
    public var logged: ActivityEvent.Logged?
    public init() {}
}
