import CairnDomain
import HTTPTypes

/// Body parts shared by several commands.
enum Schemas {
    static let personName = BodySchema(
        "PersonName", "A person's name as they gave it.",
        [.required("given", .string(maxLength: 200)), .required("family", .string(maxLength: 200))])

    static let address = BodySchema(
        "PostalAddress", "A postal address with a client-chosen id.",
        [
            .required("addressId", .id), .required("lines", .array(.string(maxLength: 200), maxItems: 5)),
            .required("city", .string(maxLength: 100)), .optional("region", .string(maxLength: 100)),
            .optional("postalCode", .string(maxLength: 20)),
            .required("country", .string(maxLength: 2), "ISO 3166-1 alpha-2"),
        ])

    static let consent = BodySchema(
        "ConsentGrant", "A consent as captured.",
        [
            .required("channel", .enumeration(ContactChannel.self)), .required("purpose", .enumeration(ConsentPurpose.self)),
            .required("legalBasis", .enumeration(LegalBasis.self)), .required("source", .string(maxLength: 200)),
        ])

    static let money = BodySchema(
        "Money", "An amount in one ISO 4217 currency.",
        [.required("amount", .decimal), .required("currency", .string(maxLength: 3))])

    static let attributeValue = BodySchema(
        "AttributeValue", "A typed custom attribute value.",
        [
            .required("type", .enumeration(["string", "number", "boolean", "date"])),
            .required("value", .any, "A string, number, boolean or YYYY-MM-DD date, as `type` says."),
        ])

    static let segmentRule = BodySchema(
        "SegmentRule", "One condition over a customer; which other fields apply depends on `rule`.",
        [
            .required(
                "rule",
                .enumeration([
                    "attribute", "attributeExists", "hasTag", "lacksTag", "hasConsent", "kind", "activeWithinDays", "inactiveForDays",
                ])
            ),
            .optional("key", .string(maxLength: 64)), .optional("op", .enumeration(ComparisonOperator.self)),
            .optional("value", .object(attributeValue)), .optional("tag", .string(maxLength: 64)),
            .optional("channel", .enumeration(ContactChannel.self)), .optional("purpose", .enumeration(ConsentPurpose.self)),
            .optional("kind", .enumeration(CustomerKind.self)), .optional("days", .integer(minimum: 1, maximum: 3650)),
        ])

    static let segment = BodySchema(
        "Segment", "An audience defined by rules.",
        [.optional("match", .enumeration(Segment.Match.self)), .required("rules", .array(.object(segmentRule), maxItems: 50))])

    static let orderLine = BodySchema(
        "OrderLine", "One line of an order.",
        [
            .required("sku", .string(maxLength: 100)), .required("description", .string(maxLength: 500)),
            .required("quantity", .integer(minimum: 1, maximum: 1_000_000)), .required("unitPrice", .decimal),
        ])

    static let campaignResponse = BodySchema(
        "CampaignResponse", "A recipient's reaction; `url` for clicks, `bounceType` and `reason` for bounces.",
        [
            .required("type", .enumeration(["delivered", "opened", "clicked", "replied", "bounced", "converted"])),
            .optional("url", .string(maxLength: 2048)), .optional("bounceType", .enumeration(BounceType.self)),
            .optional("reason", .string(maxLength: 1000)), .optional("opportunityId", .id), .optional("orderId", .id),
        ])

    static let empty = BodySchema("Empty", "No fields.", [])
}

extension CheckedBody {
    var personName: PersonName? {
        object("personName").map { PersonName(given: $0.string("given") ?? "", family: $0.string("family") ?? "") }
    }

    func address(_ o: CheckedBody) -> PostalAddress {
        PostalAddress(
            addressId: o.string("addressId") ?? "", lines: o.strings("lines"), city: o.string("city") ?? "", region: o.string("region"),
            postalCode: o.string("postalCode"), country: o.string("country") ?? "")
    }

    static func consent(_ o: CheckedBody) -> ConsentGrant {
        ConsentGrant(
            channel: o.enumeration("channel") ?? .email, purpose: o.enumeration("purpose") ?? .marketing,
            legalBasis: o.enumeration("legalBasis") ?? .consent, source: o.string("source") ?? "")
    }

    /// The attribute value at `key`, or an issue when `value` does not have the type `type` names.
    func attributeValue(_ key: String, _ issues: inout [FieldIssue]) -> AttributeValue? {
        guard let o = object(key) else { return nil }
        let path = "\(o.path)/value"
        switch (o.string("type"), o.value("value")) {
        case ("string", .string(let s)?): return .string(s)
        case ("number", .number(let n)?): return .number(n)
        case ("boolean", .bool(let b)?): return .boolean(b)
        case ("date", .string(let s)?):
            if let date = CalendarDate(iso8601: s) { return .date(date) }
            issues.append(FieldIssue(path: path, message: "must be a date as YYYY-MM-DD"))
        case (let type?, _): issues.append(FieldIssue(path: path, message: "must be a \(type) value"))
        default: break
        }
        return nil
    }

    func segment(_ key: String, _ issues: inout [FieldIssue]) -> Segment? {
        guard let o = object(key) else { return nil }
        var rules: [SegmentRule] = []
        for rule in o.objects("rules") {
            func need<T>(_ value: T?, _ field: String) -> T? {
                if value == nil { issues.append(FieldIssue(path: "\(rule.path)/\(field)", message: "is required for this rule")) }
                return value
            }
            let made: SegmentRule?
            switch rule.string("rule") {
            case "attribute":
                let value = rule.attributeValue("value", &issues)
                if let key = need(rule.string("key"), "key"), let op = need(rule.enumeration("op", as: ComparisonOperator.self), "op"),
                    let value = need(value, "value")
                {
                    made = .attribute(key: key, op: op, value: value)
                } else {
                    made = nil
                }
            case "attributeExists": made = need(rule.string("key"), "key").map { .attributeExists(key: $0) }
            case "hasTag": made = need(rule.string("tag"), "tag").map { .hasTag($0) }
            case "lacksTag": made = need(rule.string("tag"), "tag").map { .lacksTag($0) }
            case "hasConsent":
                let channel = need(rule.enumeration("channel", as: ContactChannel.self), "channel")
                let purpose = need(rule.enumeration("purpose", as: ConsentPurpose.self), "purpose")
                made = channel.flatMap { c in purpose.map { .hasConsent(c, $0) } }
            case "kind": made = need(rule.enumeration("kind", as: CustomerKind.self), "kind").map { .kind($0) }
            case "activeWithinDays": made = need(rule.int("days"), "days").map { .activeWithinDays($0) }
            case "inactiveForDays": made = need(rule.int("days"), "days").map { .inactiveForDays($0) }
            default: made = nil
            }
            if let made { rules.append(made) }
        }
        return Segment(match: o.enumeration("match") ?? .all, rules: rules)
    }
}

/// Issues found while mapping a body onto a command: thrown as one 400.
func requireValid(_ issues: [FieldIssue]) throws {
    guard issues.isEmpty else { throw Problem.invalid(issues) }
}
