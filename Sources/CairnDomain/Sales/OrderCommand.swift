import Foundation

/// Recording an order for a customer.
public enum OrderCommand: Sendable, Hashable {
    case record(
        orderId: OrderID, customerId: CustomerID, opportunityId: OpportunityID?, lines: [OrderLine], currency: String,
        orderDate: CalendarDate)

    public var orderId: OrderID {
        switch self {
        case .record(let id, _, _, _, _, _): id
        }
    }

    public var stream: StreamName { StreamName(.order, orderId) }

    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        switch self {
        case .record(let id, let customerId, let opportunityId, let lines, let currency, _):
            v.id(id, "/orderId")
            v.id(customerId, "/customerId")
            if let o = opportunityId { v.id(o, "/opportunityId") }
            v.check(!lines.isEmpty && lines.count <= 1000, "/lines", "must have 1–1000 lines")
            for (i, line) in lines.enumerated() {
                v.text(line.sku, "/lines/\(i)/sku", max: 100)
                v.text(line.description, "/lines/\(i)/description", max: 500)
                v.check(line.quantity > 0 && line.quantity <= 1_000_000, "/lines/\(i)/quantity", "must be 1–1000000")
                v.check(line.unitPrice >= 0, "/lines/\(i)/unitPrice", "must be zero or more")
            }
            v.currency(currency, "/currency")
        }
        return v.issues
    }
}
