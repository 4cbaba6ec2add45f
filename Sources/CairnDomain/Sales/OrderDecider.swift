import Foundation

/// Decides order recording.
public enum OrderDecider: Decider {
    public typealias Command = OrderCommand
    public typealias Event = OrderEvent
    public typealias State = OrderState

    public static var initialState: OrderState { OrderState() }

    public static func decide(_ command: OrderCommand, _ state: OrderState, _ context: CommandContext) throws(Rejection) -> [OrderEvent] {
        try FieldValidator.finish(command.validate())
        switch command {
        case .record(let id, let customerId, let opportunityId, let lines, let currency, let orderDate):
            guard state.recorded == nil else { throw .rule("order.alreadyExists", "Order \(id) was already recorded.", path: "/orderId") }
            guard orderDate <= context.now.utcDate.addingDays(1) else {
                throw .rule("order.dateInFuture", "An order cannot be dated in the future.", path: "/orderDate")
            }
            let total = lines.reduce(Decimal(0)) { $0 + $1.lineTotal }
            return [
                .recorded(
                    .init(
                        orderId: id, customerId: customerId, opportunityId: opportunityId, lines: lines,
                        currency: currency, total: total, orderDate: orderDate))
            ]
        }
    }

    /// Records an order after checking its customer exists and is not merged away, closed or
    /// erased (`customer.merged` carries the survivor's id).
    public static func decideRecord(
        _ command: OrderCommand, _ state: OrderState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [OrderEvent] {
        try FieldValidator.finish(command.validate())
        switch command {
        case .record(_, let customerId, _, _, _, _):
            try CustomerDecider.requireActive(customer, customerId, path: "/customerId")
        }
        return try decide(command, state, context)
    }

    public static func evolve(_ state: OrderState, _ event: OrderEvent) -> OrderState {
        var s = state
        switch event {
        case .recorded(let e): s.recorded = e
        }
        return s
    }
}
