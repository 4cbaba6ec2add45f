import CairnDomain
import CairnStore
public import Foundation

/// What the rows of an import are.
public enum ImportKind: String, Sendable, CaseIterable {
    case customers, contacts, leads, opportunities, orders, activities, cases

    /// The fields a row of this kind may fill (besides `attributes.<key>` for customers and
    /// contacts). `id` or `externalId` (or `email` for customers, contacts and leads) is the
    /// upsert key; `customer` refers to a customer by external id or e-mail.
    public var fields: [String] {
        let person = ["firstName", "lastName", "fullName", "email", "phone"]
        let address = ["street", "city", "region", "postalCode", "country"]
        return ["id", "externalId"]
            + {
                switch self {
                case .customers:
                    ["kind", "name"] + person + address + ["owner", "source", "tags", "birthDate", "title"]
                case .contacts: person + address + ["organization", "role", "title", "owner", "source", "tags", "birthDate"]
                case .leads: person + ["company", "name", "source", "campaign"]
                case .opportunities: ["customer", "name", "amount", "currency", "closeDate", "owner", "stage", "campaign"]
                case .orders: ["customer", "date", "currency", "sku", "description", "quantity", "unitPrice", "amount", "opportunity"]
                case .activities: ["customer", "kind", "occurredAt", "direction", "channel", "duration", "outcome", "summary"]
                case .cases: ["customer", "channel", "priority", "subject", "description"]
                }
            }()
    }

    var acceptsAttributes: Bool { self == .customers || self == .contacts }
}

/// Which column fills which field. A field not mapped is read from the column of the same name
/// (compared ignoring case, spaces and underscores), so a file whose header already uses the
/// field names needs no mapping at all.
public struct ColumnMapping: Sendable, Equatable {
    /// Field → column header.
    public var columns: [String: String]

    public init(_ columns: [String: String] = [:]) { self.columns = columns }

    /// `field=Column` pairs, as given on the command line.
    public init(pairs: [String]) throws(ImportError) {
        var columns: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex, pair.index(after: equals) != pair.endIndex else {
                throw ImportError(code: "import.badMapping", message: "--map takes field=Column, not '\(pair)'")
            }
            columns[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        self.columns = columns
    }

    /// A JSON object of field → column, e.g. `{"email": "E-mail", "name": "CompanyName"}`.
    public init(json: Data) throws(ImportError) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw ImportError(code: "import.badMapping", message: "a mapping file must be a JSON object of field → column name")
        }
        var columns: [String: String] = [:]
        for (field, column) in object {
            guard let column = column as? String else {
                throw ImportError(code: "import.badMapping", message: "the mapping of \(field) must be a column name (a string)")
            }
            columns[field] = column
        }
        self.columns = columns
    }

    /// These pairs over `self`'s.
    public func merging(_ other: ColumnMapping) -> ColumnMapping {
        ColumnMapping(columns.merging(other.columns) { _, new in new })
    }

    /// Refuses a mapping that names a field `kind` does not have (before anything is opened).
    public func check(for kind: ImportKind) throws(ImportError) {
        for field in columns.keys.sorted() where !kind.fields.contains(field) && !(kind.acceptsAttributes && field.hasPrefix("attributes."))
        {
            throw ImportError(
                code: "import.badMapping",
                message: "\(kind.rawValue) have no field '\(field)'; they have " + kind.fields.joined(separator: ", "))
        }
    }

    /// For each header column, the field it fills (nil for columns not imported).
    func resolve(header: [String], kind: ImportKind) throws(ImportError) -> [String?] {
        try check(for: kind)
        func normal(_ name: String) -> String {
            name.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" }
        }
        var byColumn = [String?](repeating: nil, count: header.count)
        for (field, column) in columns {
            guard let index = header.firstIndex(of: column) ?? header.firstIndex(where: { normal($0) == normal(column) }) else {
                throw ImportError(
                    code: "import.badMapping",
                    message: "no column '\(column)' (mapped to \(field)); the columns are " + header.joined(separator: ", "))
            }
            byColumn[index] = field
        }
        let mapped = Set(columns.keys)
        for field in kind.fields where !mapped.contains(field) {
            if let index = header.firstIndex(where: { normal($0) == normal(field) }), byColumn[index] == nil { byColumn[index] = field }
        }
        return byColumn
    }
}

extension CairnService {
    /// Imports the CSV file at `path`: the header names the columns, every other record is one
    /// row of `kind`, mapped to fields by `mapping`. Each row becomes the domain's commands
    /// (register or update, open, record, …) with every rule applied; refused rows land in the
    /// report, not in the data. Throws only when the file cannot be read or the mapping does
    /// not fit it — before anything is written.
    public func importCSV(
        path: String, as kind: ImportKind, mapping: ColumnMapping = ColumnMapping(), defaults: ImportDefaults = ImportDefaults(),
        options: ImportOptions = ImportOptions()
    ) async throws(ImportError) -> ImportReport {
        var defaults = defaults
        defaults.today = CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000).utcDate
        defaults.slaPolicy = slaPolicy
        let source = try CSVSource(path: path, kind: kind, mapping: mapping, defaults: defaults)
        return try await runImport(source, options, runId: "import-\(UUID.v7(at: clock.now()).uuidString.lowercased())")
    }
}

/// Reads a CSV file as planned rows, refusing a key seen earlier in the same file.
final class CSVSource: ImportSource {
    private let reader: CSVReader
    private let fieldOfColumn: [String?]
    private let columnCount: Int
    private let kind: ImportKind
    private let defaults: ImportDefaults
    private let keys: ImportKeyGuard
    private var finished = false
    let bytesTotal: Int

    init(path: String, kind: ImportKind, mapping: ColumnMapping, defaults: ImportDefaults) throws(ImportError) {
        do {
            reader = try CSVReader(path: path)
            guard let header = try reader.next() else { throw ImportError(code: "import.emptyFile", message: "\(path) is empty") }
            fieldOfColumn = try mapping.resolve(header: header.fields, kind: kind)
            columnCount = header.fields.count
        } catch let error as CSVError {
            throw ImportError(code: "import.unreadable", message: "\(path): \(error)")
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError(code: "import.unreadable", message: "\(path): \(error)")
        }
        self.kind = kind
        self.defaults = defaults
        keys = try ImportKeyGuard()
        bytesTotal = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    var bytesRead: Int { reader.bytesRead }

    func next(_ count: Int) throws(ImportError) -> (records: [ImportRecord], refused: [ImportRowError]) {
        var rows: [ImportRecord] = []
        var refused: [ImportRowError] = []
        rows.reserveCapacity(count)
        while !finished && rows.count < count {
            let record: CSVRecord
            do {
                guard let next = try reader.next() else {
                    finished = true
                    break
                }
                record = next
            } catch {
                finished = true
                refused.append(ImportRowError(line: error.line, code: "csv.malformed", reason: error.message))
                break
            }
            guard record.fields.count == columnCount else {
                refused.append(
                    ImportRowError(
                        line: record.line, code: "csv.wrongFieldCount",
                        reason: "\(record.fields.count) fields where the header has \(columnCount)"))
                continue
            }
            var values: [String: String] = Dictionary(minimumCapacity: columnCount)
            for (index, field) in fieldOfColumn.enumerated() {
                if let field { values[field] = record.fields[index] }
            }
            rows.append(ImportRecord(line: record.line, values: values))
        }
        let admitted = try keys.admit(rows, key: { ImportPlans.key($0, kind) }, earlier: "line", file: nil)
        return (admitted.records, refused + admitted.refused)
    }

    func plan(_ record: ImportRecord) throws(ImportRowError) -> PlannedRow {
        switch kind {
        case .customers, .contacts:
            let plan = try CustomerPlan(record, contacts: kind == .contacts, defaults: defaults)
            return PlannedRow(line: record.line, key: plan.key, primary: StreamName(.customer, plan.customerId), decide: plan.row)
        case .leads: return try ImportPlans.lead(record, defaults)
        case .opportunities: return try ImportPlans.opportunity(record, defaults)
        case .orders: return try ImportPlans.order(record, defaults)
        case .activities: return try ImportPlans.activity(record, defaults)
        case .cases: return try ImportPlans.serviceCase(record, defaults)
        }
    }
}
