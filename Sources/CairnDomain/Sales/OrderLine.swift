public import Foundation

/// One line of an order.
public struct OrderLine: Sendable, Hashable {
    public var sku: String
    public var description: String
    public var quantity: Int
    public var unitPrice: Decimal

    public init(sku: String, description: String, quantity: Int, unitPrice: Decimal) {
        self.sku = sku
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    public var lineTotal: Decimal { unitPrice * Decimal(quantity) }
}

extension OrderLine: JSONObjectCodable {
    var json: JSONValue {
        .object(["sku": sku.json, "description": description.json, "quantity": quantity.json, "unitPrice": .string(unitPrice.description)])
    }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        let price: String = try r.required("unitPrice")
        guard let unitPrice = Money.parseAmount(price) else {
            throw EventDecodingError(path: "\(r.path)/unitPrice", reason: .invalidValue("'\(price)' is not a decimal amount"))
        }
        self.init(
            sku: try r.required("sku"), description: try r.required("description"), quantity: try r.required("quantity"),
            unitPrice: unitPrice)
    }
}
