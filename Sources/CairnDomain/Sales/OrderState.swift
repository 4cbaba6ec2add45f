/// Whether the order was recorded.
public struct OrderState: Sendable, Hashable {
    public var recorded: OrderEvent.Recorded?
    public init() {}
}
