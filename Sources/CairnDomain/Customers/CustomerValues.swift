/// Whether a customer is a natural person or an organization.
public enum CustomerKind: String, Sendable, Hashable, JSONStringEnum {
    case person, organization
}

/// A person's name as they gave it.
public struct PersonName: Sendable, Hashable {
    public var given: String
    public var family: String

    public init(given: String, family: String) {
        self.given = given
        self.family = family
    }
}

/// A postal address with a client-chosen id, so it can be removed later.
public struct PostalAddress: Sendable, Hashable {
    public var addressId: String
    public var lines: [String]
    public var city: String
    public var region: String?
    public var postalCode: String?
    /// ISO 3166-1 alpha-2.
    public var country: String

    public init(addressId: String, lines: [String], city: String, region: String? = nil, postalCode: String? = nil, country: String) {
        self.addressId = addressId
        self.lines = lines
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }
}

/// A typed custom attribute value.
public enum AttributeValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    case date(CalendarDate)
}

extension PersonName: JSONObjectCodable {
    var json: JSONValue { .object(["given": .string(given), "family": .string(family)]) }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        self.init(given: try r.required("given"), family: try r.required("family"))
    }
}

extension PostalAddress: JSONObjectCodable {
    var json: JSONValue {
        .object(compacting: [
            "addressId": addressId.json, "lines": lines.json, "city": city.json,
            "region": region?.json, "postalCode": postalCode?.json, "country": country.json,
        ])
    }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        self.init(
            addressId: try r.required("addressId"), lines: try r.required("lines"), city: try r.required("city"),
            region: try r.optional("region"), postalCode: try r.optional("postalCode"), country: try r.required("country"))
    }

    func validate(_ v: inout FieldValidator, at path: String) {
        v.id(addressId, "\(path)/addressId")
        v.check(!lines.isEmpty && lines.count <= 5, "\(path)/lines", "must have 1–5 lines")
        for (i, line) in lines.enumerated() { v.text(line, "\(path)/lines/\(i)", max: 200) }
        v.text(city, "\(path)/city", max: 100)
        v.optionalText(region, "\(path)/region", max: 100)
        v.optionalText(postalCode, "\(path)/postalCode", max: 20)
        v.check(
            country.utf8.count == 2 && country.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }, "\(path)/country",
            "must be an ISO 3166-1 alpha-2 code such as DE")
    }
}

extension AttributeValue: JSONObjectCodable {
    var json: JSONValue {
        switch self {
        case .string(let s): .object(["type": .string("string"), "value": .string(s)])
        case .number(let n): .object(["type": .string("number"), "value": .number(n)])
        case .boolean(let b): .object(["type": .string("boolean"), "value": .bool(b)])
        case .date(let d): .object(["type": .string("date"), "value": d.json])
        }
    }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        let type: String = try r.required("type")
        switch type {
        case "string": self = .string(try r.required("value"))
        case "number": self = .number(try r.required("value"))
        case "boolean": self = .boolean(try r.required("value"))
        case "date": self = .date(try r.required("value"))
        default: throw EventDecodingError(path: "\(r.path)/type", reason: .invalidValue("unknown attribute type '\(type)'"))
        }
    }

    func validate(_ v: inout FieldValidator, at path: String) {
        switch self {
        case .string(let s): v.check(s.count <= 1000, path, "must be at most 1000 characters")
        case .number(let n): v.check(n.isFinite, path, "must be a finite number")
        case .boolean, .date: break
        }
    }
}

/// Custom attribute keys: like ids, but they also appear as JSON pointer segments.
enum AttributeKey {
    static func isValid(_ key: String) -> Bool { Identifier.isValid(key) && key.utf8.count <= 64 }
}
