import Foundation

/// The Northwind Traders tables the demo loads (`Customers`, `Employees`, `Orders`,
/// `Order_Details`, `Products`, `Shippers`), read from their CSV files.
struct NorthwindData {
    struct Customer {
        var id: String
        var company: String
        var contactName: String
        var contactTitle: String
        var address: String
        var city: String
        var region: String
        var postalCode: String
        var country: String
        var phone: String
        var fax: String
    }

    struct Employee {
        var id: String
        var firstName: String
        var lastName: String
        var title: String
    }

    struct Order {
        var id: String
        var customerId: String
        var employeeId: String
        var orderDate: String
        var requiredDate: String
        var shippedDate: String
        var shipVia: String
        var freight: String
        var lines: [Line] = []
    }

    struct Line {
        var productId: String
        var unitPrice: Decimal
        var quantity: Int
        var discount: Decimal
    }

    var customers: [Customer] = []
    var employees: [Employee] = []
    /// In order id order; each with its lines.
    var orders: [Order] = []
    var products: [String: String] = [:]
    var shippers: [String: String] = [:]

    init(directory: String) throws {
        func table(_ name: String) throws -> [[String: String]] {
            let reader: CSVReader
            do { reader = try CSVReader(path: directory + "/" + name) } catch {
                throw ImportError(code: "demo.dataMissing", message: "cannot read \(directory)/\(name): \(error.message)")
            }
            guard let header = try reader.next()?.fields else { return [] }
            var rows: [[String: String]] = []
            while let record = try reader.next() {
                rows.append(Dictionary(zip(header, record.fields), uniquingKeysWith: { first, _ in first }))
            }
            return rows
        }
        customers = try table("Customers.csv").map {
            Customer(
                id: $0["CustomerID"] ?? "", company: $0["CompanyName"] ?? "", contactName: $0["ContactName"] ?? "",
                contactTitle: $0["ContactTitle"] ?? "", address: $0["Address"] ?? "", city: $0["City"] ?? "", region: $0["Region"] ?? "",
                postalCode: $0["PostalCode"] ?? "", country: $0["Country"] ?? "", phone: $0["Phone"] ?? "", fax: $0["Fax"] ?? "")
        }
        employees = try table("Employees.csv").map {
            Employee(id: $0["EmployeeID"] ?? "", firstName: $0["FirstName"] ?? "", lastName: $0["LastName"] ?? "", title: $0["Title"] ?? "")
        }
        for row in try table("Products.csv") { products[row["ProductID"] ?? ""] = row["ProductName"] }
        for row in try table("Shippers.csv") { shippers[row["ShipperID"] ?? ""] = row["CompanyName"] }
        var lines: [String: [Line]] = [:]
        for row in try table("Order_Details.csv") {
            lines[row["OrderID"] ?? "", default: []].append(
                Line(
                    productId: row["ProductID"] ?? "", unitPrice: Decimal(string: row["UnitPrice"] ?? "") ?? 0,
                    quantity: Int(row["Quantity"] ?? "") ?? 0, discount: Decimal(string: row["Discount"] ?? "") ?? 0))
        }
        orders = try table("Orders.csv").map {
            Order(
                id: $0["OrderID"] ?? "", customerId: $0["CustomerID"] ?? "", employeeId: $0["EmployeeID"] ?? "",
                orderDate: $0["OrderDate"] ?? "", requiredDate: $0["RequiredDate"] ?? "", shippedDate: $0["ShippedDate"] ?? "",
                shipVia: $0["ShipVia"] ?? "", freight: $0["Freight"] ?? "", lines: lines[$0["OrderID"] ?? ""] ?? [])
        }
        guard !customers.isEmpty, !employees.isEmpty, !orders.isEmpty else {
            throw ImportError(code: "demo.dataMissing", message: "\(directory) does not hold the Northwind tables")
        }
    }
}
