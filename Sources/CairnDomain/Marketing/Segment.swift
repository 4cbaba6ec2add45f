/// An audience defined by rules over customer state: attributes, tags, consents, kind and activity.
///
/// ```swift
/// let segment = Segment(match: .all, rules: [.hasTag("vip"), .hasConsent(.email, .marketing), .activeWithinDays(90)])
/// segment.matches(customer, activity: summary, now: now)
/// ```
public struct Segment: Sendable, Hashable {
    public enum Match: String, Sendable, Hashable, JSONStringEnum { case all, any }

    public var match: Match
    public var rules: [SegmentRule]

    public init(match: Match = .all, rules: [SegmentRule]) {
        self.match = match
        self.rules = rules
    }

    /// Pure evaluation. A segment without rules matches every active customer.
    public func matches(_ customer: CustomerState, activity: CustomerActivity = .none, now: Timestamp) -> Bool {
        guard customer.status == .active, !customer.erased else { return false }
        guard !rules.isEmpty else { return true }
        switch match {
        case .all: return rules.allSatisfy { $0.matches(customer, activity: activity, now: now) }
        case .any: return rules.contains { $0.matches(customer, activity: activity, now: now) }
        }
    }
}

/// What the read side knows about a customer's activity (activities live in their own streams).
public struct CustomerActivity: Sendable, Hashable {
    public var lastActivityAt: Timestamp?
    public var activityCount: Int

    public init(lastActivityAt: Timestamp?, activityCount: Int) {
        self.lastActivityAt = lastActivityAt
        self.activityCount = activityCount
    }

    public static let none = CustomerActivity(lastActivityAt: nil, activityCount: 0)
}

public enum ComparisonOperator: String, Sendable, Hashable, JSONStringEnum {
    case equals, notEquals, greaterThan, lessThan
}

/// One condition over a customer.
public enum SegmentRule: Sendable, Hashable {
    case attribute(key: String, op: ComparisonOperator, value: AttributeValue)
    case attributeExists(key: String)
    case hasTag(String)
    case lacksTag(String)
    case hasConsent(ContactChannel, ConsentPurpose)
    case kind(CustomerKind)
    /// Some activity within the last `days` days (`dayRange`).
    case activeWithinDays(Int)
    /// No activity within the last `days` days (including never).
    case inactiveForDays(Int)

    /// The look-back windows a rule may have, in days: validated on commands, enforced on decode
    /// (as the published schema says).
    static let dayRange = 1...3650

    public func matches(_ c: CustomerState, activity: CustomerActivity, now: Timestamp) -> Bool {
        switch self {
        case .attribute(let key, let op, let value):
            guard let actual = c.attributes[key] else { return false }
            return SegmentRule.compare(actual, op, value)
        case .attributeExists(let key): return c.attributes[key] != nil
        case .hasTag(let tag): return c.tags.contains(tag)
        case .lacksTag(let tag): return !c.tags.contains(tag)
        case .hasConsent(let channel, let purpose): return c.hasConsent(channel, for: purpose)
        case .kind(let kind): return c.kind == kind
        case .activeWithinDays(let days):
            guard let last = activity.lastActivityAt else { return false }
            return last >= now.subtracting(days: days)
        case .inactiveForDays(let days):
            guard let last = activity.lastActivityAt else { return true }
            return last < now.subtracting(days: days)
        }
    }

    private static func compare(_ a: AttributeValue, _ op: ComparisonOperator, _ b: AttributeValue) -> Bool {
        switch op {
        case .equals: return a == b
        case .notEquals: return a != b
        case .greaterThan, .lessThan:
            let ordered: Bool?
            switch (a, b) {
            case (.number(let x), .number(let y)): ordered = op == .greaterThan ? x > y : x < y
            case (.date(let x), .date(let y)): ordered = op == .greaterThan ? x > y : x < y
            case (.string(let x), .string(let y)): ordered = op == .greaterThan ? x > y : x < y
            default: ordered = nil
            }
            return ordered ?? false
        }
    }

    func validate(_ v: inout FieldValidator, at path: String) {
        switch self {
        case .attribute(let key, let op, let value):
            v.check(AttributeKey.isValid(key), "\(path)/key", "is not a valid attribute key")
            if case .boolean = value, op == .greaterThan || op == .lessThan {
                v.add("\(path)/op", "booleans can only be compared for equality")
            }
            value.validate(&v, at: "\(path)/value")
        case .attributeExists(let key): v.check(AttributeKey.isValid(key), "\(path)/key", "is not a valid attribute key")
        case .hasTag(let tag), .lacksTag(let tag): v.text(tag, "\(path)/tag", max: 64)
        case .hasConsent, .kind: break
        case .activeWithinDays(let d), .inactiveForDays(let d):
            v.check(Self.dayRange.contains(d), "\(path)/days", "must be \(Self.dayRange.lowerBound)–\(Self.dayRange.upperBound)")
        }
    }
}

extension Segment: JSONObjectCodable {
    var json: JSONValue { .object(["match": match.json, "rules": rules.json]) }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        self.init(match: try r.required("match"), rules: try r.required("rules"))
    }

    func validate(_ v: inout FieldValidator, at path: String) {
        v.check(rules.count <= 50, "\(path)/rules", "must have at most 50 rules")
        for (i, rule) in rules.enumerated() { rule.validate(&v, at: "\(path)/rules/\(i)") }
    }
}

extension SegmentRule: JSONObjectCodable {
    var json: JSONValue {
        switch self {
        case .attribute(let key, let op, let value):
            .object(["rule": .string("attribute"), "key": key.json, "op": op.json, "value": value.json])
        case .attributeExists(let key): .object(["rule": .string("attributeExists"), "key": key.json])
        case .hasTag(let tag): .object(["rule": .string("hasTag"), "tag": tag.json])
        case .lacksTag(let tag): .object(["rule": .string("lacksTag"), "tag": tag.json])
        case .hasConsent(let channel, let purpose):
            .object(["rule": .string("hasConsent"), "channel": channel.json, "purpose": purpose.json])
        case .kind(let kind): .object(["rule": .string("kind"), "kind": kind.json])
        case .activeWithinDays(let days): .object(["rule": .string("activeWithinDays"), "days": days.json])
        case .inactiveForDays(let days): .object(["rule": .string("inactiveForDays"), "days": days.json])
        }
    }

    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        let rule: String = try r.required("rule")
        switch rule {
        case "attribute": self = .attribute(key: try r.required("key"), op: try r.required("op"), value: try r.required("value"))
        case "attributeExists": self = .attributeExists(key: try r.required("key"))
        case "hasTag": self = .hasTag(try r.required("tag"))
        case "lacksTag": self = .lacksTag(try r.required("tag"))
        case "hasConsent": self = .hasConsent(try r.required("channel"), try r.required("purpose"))
        case "kind": self = .kind(try r.required("kind"))
        case "activeWithinDays": self = .activeWithinDays(try Self.days(&r))
        case "inactiveForDays": self = .inactiveForDays(try Self.days(&r))
        default: throw EventDecodingError(path: "\(r.path)/rule", reason: .invalidValue("unknown segment rule '\(rule)'"))
        }
    }

    private static func days(_ r: inout PayloadReader) throws(EventDecodingError) -> Int {
        let days: Int = try r.required("days")
        guard dayRange.contains(days) else {
            let reason = "\(days) is outside \(dayRange.lowerBound)–\(dayRange.upperBound) days"
            throw EventDecodingError(path: "\(r.path)/days", reason: .invalidValue(reason))
        }
        return days
    }
}
