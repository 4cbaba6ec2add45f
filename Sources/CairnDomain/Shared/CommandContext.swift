/// What a decision may know about the world besides the command and the state: the time and
/// who is asking. Passed in so deciders stay pure and tests deterministic.
public struct CommandContext: Sendable, Hashable {
    public var now: Timestamp
    public var actor: UserID

    public init(now: Timestamp, actor: UserID) {
        self.now = now
        self.actor = actor
    }
}
