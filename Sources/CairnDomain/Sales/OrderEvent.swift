public import Foundation

/// A recorded order (`order-<id>` stream; one event per stream).
public enum OrderEvent: Sendable, Hashable {
    case recorded(Recorded)

    public struct Recorded: Sendable, Hashable {
        public var orderId: OrderID
        public var customerId: CustomerID
        public var opportunityId: OpportunityID?
        public var lines: [OrderLine]
        public var currency: String
        /// Sum of the lines, fixed at recording time.
        public var total: Decimal
        public var orderDate: CalendarDate
    }
}

extension OrderEvent: AggregateEvent {
    public static let category = StreamCategory.order

    public var type: String { "sales.OrderRecorded" }
    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? {
        switch self {
        case .recorded(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .recorded(let e):
            .object(compacting: [
                "orderId": e.orderId.json, "customerId": e.customerId.json, "opportunityId": e.opportunityId?.json,
                "lines": e.lines.json, "currency": e.currency.json, "total": .string(e.total.description), "orderDate": e.orderDate.json,
            ])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> OrderEvent {
        guard type == "sales.OrderRecorded" else { throw EventDecoding.unknown(type, schemaVersion, known: false) }
        guard schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: true) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> OrderEvent in
            let totalText: String = try r.required("total")
            guard let total = Money.parseAmount(totalText) else {
                throw EventDecodingError(path: "/total", reason: .invalidValue("'\(totalText)' is not a decimal amount"))
            }
            return .recorded(
                .init(
                    orderId: try r.required("orderId"), customerId: try r.required("customerId"),
                    opportunityId: try r.optional("opportunityId"),
                    lines: try r.required("lines"), currency: try r.required("currency"), total: total,
                    orderDate: try r.required("orderDate")))
        }
    }

    static let personalData: [String: [String]] = ["sales.OrderRecorded": []]
}
