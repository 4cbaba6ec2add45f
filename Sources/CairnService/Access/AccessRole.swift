/// What an API key may do. Each HTTP endpoint names the roles it admits; `admin` is admitted
/// everywhere.
public enum AccessRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Everything.
    case admin
    /// The sales context: customers, leads, opportunities, activities, tasks, orders; reads.
    case sales
    /// The marketing context: campaigns, sends, responses, unsubscribes, consents; reads.
    case marketing
    /// The service context: cases; customers' contact data; reads.
    case service
    /// Reads everything, tails the log, exports and erases personal data.
    case compliance
    /// Projection status and lag, metrics.
    case ops
    /// Tails the log and keeps a durable position; nothing else.
    case consumer

    public var description: String { rawValue }
}
