/// Limits that keep one client from taking more than its share.
public struct HTTPLimits: Sendable {
    /// Largest accepted request body (413 beyond it).
    public var maxBodyBytes = 1 << 20
    /// Largest page of events or stream records.
    public var maxPageSize = 1000
    /// Open event streams (SSE) per API key (429 beyond it).
    public var maxSubscriptionsPerKey = 8
    /// How long a query waits for `atLeast` before answering 503.
    public var atLeastTimeout: Duration = .seconds(2)
    /// A comment line on an idle event stream, so proxies and clients know it is alive.
    public var heartbeatInterval: Duration = .seconds(15)
    /// An event stream whose client has not taken a write for this long is closed.
    public var slowClientTimeout: Duration = .seconds(30)

    public init() {}
}
