/// A follow-up task folded from its stream.
public struct TaskState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case notScheduled, open, completed, cancelled }
    public var status: Status = .notScheduled
    public var customerId: CustomerID = ""
    public var title = ""
    public var dueAt = Timestamp(millisecondsSinceEpoch: 0)
    public var assigneeId: UserID = ""
    public init() {}
}
