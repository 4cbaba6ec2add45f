import CairnDomain
import HTTPTypes

/// The shape of a JSON request body, declared once: the request decoder checks bodies against
/// it (collecting every invalid field), and the OpenAPI document is generated from it.
struct BodySchema: Sendable {
    /// The OpenAPI component name (`RegisterCustomer`).
    var name: String
    var summary: String
    var fields: [BodyField]

    init(_ name: String, _ summary: String = "", _ fields: [BodyField]) {
        self.name = name
        self.summary = summary
        self.fields = fields
    }
}

/// A member of a JSON object the contract describes: a request body's field (of a
/// ``FieldType``) or an answer's member (of a ``ResponseShape``).
struct SchemaField<Kind: Sendable>: Sendable {
    var name: String
    var type: Kind
    /// Always present; an optional member is left out when it has no value (never `null`).
    var required: Bool
    var description: String

    static func required(_ name: String, _ type: Kind, _ description: String = "") -> Self {
        Self(name: name, type: type, required: true, description: description)
    }

    static func optional(_ name: String, _ type: Kind, _ description: String = "") -> Self {
        Self(name: name, type: type, required: false, description: description)
    }
}

typealias BodyField = SchemaField<FieldType>

indirect enum FieldType: Sendable {
    case string(maxLength: Int)
    /// Ids: 1–100 characters of A–Z, a–z, 0–9, '_' and '-'.
    case id
    case integer(minimum: Int, maximum: Int)
    case number
    case boolean
    case enumeration([String])
    /// `YYYY-MM-DD`.
    case date
    /// RFC 3339.
    case dateTime
    /// A decimal amount as a string (`"1250.50"`).
    case decimal
    case array(FieldType, maxItems: Int)
    case object(BodySchema)
    /// Any JSON value; the command checks it.
    case any

    static var text: FieldType { .string(maxLength: 10_000) }
    static func enumeration<E: RawRepresentable<String> & CaseIterable>(_ type: E.Type) -> FieldType {
        .enumeration(E.allCases.map(\.rawValue))
    }
}

/// A JSON body checked against its schema: every field present has the declared type.
struct CheckedBody: Sendable {
    let members: [String: JSONValue]
    let path: String

    func has(_ key: String) -> Bool { members[key].map { $0 != .null } ?? false }

    func string(_ key: String) -> String? {
        if case .string(let s)? = members[key] { return s }
        return nil
    }

    func int(_ key: String) -> Int? {
        if case .number(let n)? = members[key] { return Int(n) }
        return nil
    }

    func value(_ key: String) -> JSONValue? { members[key] }

    func strings(_ key: String) -> [String] {
        guard case .array(let items)? = members[key] else { return [] }
        return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    func object(_ key: String) -> CheckedBody? {
        guard case .object(let o)? = members[key] else { return nil }
        return CheckedBody(members: o, path: "\(path)/\(key)")
    }

    func objects(_ key: String) -> [CheckedBody] {
        guard case .array(let items)? = members[key] else { return [] }
        return items.enumerated().compactMap { i, item in
            if case .object(let o) = item { CheckedBody(members: o, path: "\(path)/\(key)/\(i)") } else { nil }
        }
    }

    func enumeration<E: RawRepresentable<String>>(_ key: String, as type: E.Type = E.self) -> E? {
        string(key).flatMap(E.init(rawValue:))
    }

    func date(_ key: String) -> CalendarDate? { string(key).flatMap { CalendarDate(iso8601: $0) } }

    func timestamp(_ key: String) -> CairnDomain.Timestamp? { string(key).flatMap { CairnDomain.Timestamp(rfc3339: $0) } }

    func money(_ key: String) -> Money? {
        guard let o = object(key), let amount = o.string("amount"), let currency = o.string("currency") else { return nil }
        return Money(amount, currency)
    }
}

/// Checks JSON against a schema, collecting every problem with its JSON-pointer path.
struct BodyChecker {
    var issues: [FieldIssue] = []

    mutating func check(_ value: JSONValue, against schema: BodySchema, at path: String = "") -> CheckedBody? {
        guard case .object(let members) = value else {
            issues.append(FieldIssue(path: path.isEmpty ? "/" : path, message: "must be a JSON object"))
            return nil
        }
        let known = Set(schema.fields.map(\.name))
        for key in members.keys.sorted() where !known.contains(key) {
            issues.append(FieldIssue(path: "\(path)/\(key)", message: "is not a field of \(schema.name)"))
        }
        for field in schema.fields {
            let fieldPath = "\(path)/\(field.name)"
            guard let member = members[field.name], member != .null else {
                if field.required { issues.append(FieldIssue(path: fieldPath, message: "is required")) }
                continue
            }
            check(member, field.type, at: fieldPath)
        }
        return CheckedBody(members: members, path: path)
    }

    private mutating func check(_ value: JSONValue, _ type: FieldType, at path: String) {
        func fail(_ message: String) { issues.append(FieldIssue(path: path, message: message)) }
        switch type {
        case .string(let maxLength):
            guard case .string(let s) = value else { return fail("must be a string") }
            if s.count > maxLength { fail("must be at most \(maxLength) characters") }
        case .id:
            guard case .string(let s) = value else { return fail("must be a string") }
            if !Identifier.isValid(s) { fail("must be 1–100 characters of A–Z, a–z, 0–9, '_' and '-'") }
        case .integer(let minimum, let maximum):
            guard case .number(let n) = value, n == n.rounded(), abs(n) < 9_007_199_254_740_992 else { return fail("must be an integer") }
            if n < Double(minimum) || n > Double(maximum) { fail("must be between \(minimum) and \(maximum)") }
        case .number:
            guard case .number = value else { return fail("must be a number") }
        case .boolean:
            guard case .bool = value else { return fail("must be true or false") }
        case .enumeration(let values):
            guard case .string(let s) = value else { return fail("must be a string") }
            if !values.contains(s) { fail("must be one of \(values.joined(separator: ", "))") }
        case .date:
            guard case .string(let s) = value else { return fail("must be a string") }
            if CalendarDate(iso8601: s) == nil { fail("must be a date as YYYY-MM-DD") }
        case .dateTime:
            guard case .string(let s) = value else { return fail("must be a string") }
            if CairnDomain.Timestamp(rfc3339: s) == nil { fail("must be an RFC 3339 date-time") }
        case .decimal:
            guard case .string(let s) = value else { return fail("must be a decimal amount as a string, such as \"1250.50\"") }
            if Money(s, "EUR") == nil { fail("must be a decimal amount as a string, such as \"1250.50\"") }
        case .array(let element, let maxItems):
            guard case .array(let items) = value else { return fail("must be an array") }
            if items.count > maxItems { fail("must have at most \(maxItems) items") }
            for (i, item) in items.prefix(maxItems).enumerated() { check(item, element, at: "\(path)/\(i)") }
        case .object(let schema):
            _ = check(value, against: schema, at: path)
        case .any:
            break
        }
    }
}
