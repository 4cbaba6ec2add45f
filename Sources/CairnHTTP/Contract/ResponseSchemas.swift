import CairnDomain
import CairnProjections
import CairnStore
import Foundation

/// The shape of a JSON answer member, as the contract publishes it (``OpenAPIDocument``) and as
/// ``violations(of:at:)`` checks a real answer against it — the tests run every query endpoint
/// through that check, so an encoder that adds, drops or retypes a member fails them.
indirect enum ResponseShape: Sendable {
    case string
    case integer
    case number
    case boolean
    /// RFC 3339.
    case dateTime
    /// `YYYY-MM-DD`.
    case date
    /// A decimal number written as a string (never binary floating point).
    case decimal
    case uuid
    case enumeration([String])
    case array(ResponseShape)
    /// An object whose member names are data (a currency, a priority, an owner).
    case map(ResponseShape)
    /// A named component schema.
    case ref(String)
    /// Anything (an event's payload).
    case any

    static func enumeration<E: CaseIterable & RawRepresentable<String>>(_: E.Type) -> ResponseShape {
        .enumeration(E.allCases.map(\.rawValue))
    }
}

/// A JSON object in an answer: its members, which are always present, and a summary.
struct ResponseSchema: Sendable {
    typealias Member = SchemaField<ResponseShape>

    let name: String
    let summary: String
    let members: [Member]

    init(_ name: String, _ summary: String, _ members: [Member]) {
        self.name = name
        self.summary = summary
        self.members = members
    }
}

extension ResponseSchema {
    /// Where `value` departs from this schema: undeclared or missing members, wrong types, `null`s.
    func violations(of value: JSONValue, at path: String = "") -> [String] {
        guard case .object(let object) = value else { return ["\(path.isEmpty ? "/" : path): not an object (\(name))"] }
        var found: [String] = []
        let declared = Set(members.map(\.name))
        for key in object.keys.sorted() where !declared.contains(key) {
            found.append("\(path)/\(key): not declared in \(name)")
        }
        for member in members {
            if let present = object[member.name] {
                found += member.type.violations(of: present, at: "\(path)/\(member.name)")
            } else if member.required {
                found.append("\(path)/\(member.name): required by \(name), missing")
            }
        }
        return found
    }
}

extension ResponseShape {
    func violations(of value: JSONValue, at path: String) -> [String] {
        func wrong(_ expected: String) -> [String] { ["\(path): expected \(expected), got \(value.serializedString.prefix(80))"] }
        switch (self, value) {
        case (.any, _): return []
        case (_, .null): return wrong("a value (absent members are left out, never null)")
        case (.string, .string): return []
        case (.integer, .number(let n)): return n.rounded() == n && n.isFinite ? [] : wrong("an integer")
        case (.number, .number(let n)): return n.isFinite ? [] : wrong("a finite number")
        case (.boolean, .bool): return []
        case (.dateTime, .string(let s)): return CairnStore.Timestamp(rfc3339: s) != nil ? [] : wrong("an RFC 3339 time")
        case (.date, .string(let s)): return CalendarDate(iso8601: s) != nil ? [] : wrong("a YYYY-MM-DD date")
        case (.decimal, .string(let s)): return Self.isDecimal(s) ? [] : wrong("a decimal string")
        case (.uuid, .string(let s)): return UUID(uuidString: s) != nil && s == s.lowercased() ? [] : wrong("a lowercase UUID")
        case (.enumeration(let values), .string(let s)): return values.contains(s) ? [] : wrong("one of \(values)")
        case (.array(let element), .array(let items)):
            return items.enumerated().flatMap { element.violations(of: $0.element, at: "\(path)/\($0.offset)") }
        case (.map(let element), .object(let members)):
            return members.keys.sorted().flatMap { element.violations(of: members[$0]!, at: "\(path)/\($0)") }
        case (.ref(let name), _):
            guard let schema = ResponseSchemas.byName[name] else { return ["\(path): no response schema \(name)"] }
            return schema.violations(of: value, at: path)
        case (.string, _): return wrong("a string")
        case (.integer, _): return wrong("an integer")
        case (.number, _): return wrong("a number")
        case (.boolean, _): return wrong("a boolean")
        case (.dateTime, _), (.date, _), (.decimal, _), (.uuid, _), (.enumeration, _): return wrong("a string")
        case (.array, _): return wrong("an array")
        case (.map, _): return wrong("an object")
        }
    }

    /// `-?digits(.digits)?`, as `Decimal.description` writes it.
    static func isDecimal(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
    }

    /// The OpenAPI `format` of a string shape that has one.
    var format: String {
        switch self {
        case .dateTime: "date-time"
        case .date: "date"
        case .uuid: "uuid"
        default: ""
        }
    }

    /// Decimal strings as the contract states them.
    static let decimalPattern = "^-?[0-9]+(\\.[0-9]+)?$"
}

/// Every JSON answer's schema, by component name (the names routes give in `.json(…)`).
enum ResponseSchemas {
    static let byName: [String: ResponseSchema] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Names `schema` refers to, directly or through others.
    static func references(of schema: ResponseSchema) -> Set<String> {
        var found: Set<String> = []
        func walk(_ shape: ResponseShape) {
            switch shape {
            case .ref(let name):
                guard found.insert(name).inserted, let nested = byName[name] else { return }
                nested.members.forEach { walk($0.type) }
            case .array(let element), .map(let element): walk(element)
            default: break
            }
        }
        schema.members.forEach { walk($0.type) }
        return found
    }

    static func page(_ name: String, of item: String, _ summary: String) -> ResponseSchema {
        ResponseSchema(
            name, summary,
            [.required("items", .array(.ref(item))), .optional("next", .string, "Cursor of the next page; absent on the last.")])
    }

    /// What an as-of route (`QueryRoutes.asOf`) answers: the point asked for, what was folded up
    /// to it, and the `aggregate`'s state under `member` once it had an event.
    static func asOf(_ name: String, _ aggregate: String, id: String, member: String, state: String) -> ResponseSchema {
        ResponseSchema(
            name, "The \(aggregate) as it stood at a point in history, folded from its own stream.",
            [
                .required(id, .string), .optional("asOf", .dateTime, "The time asked for."),
                .optional("asOfPosition", .integer, "The log position asked for."),
                .required("version", .integer, "The stream version folded: 0 when the \(aggregate) had no event yet."),
                .required("position", .integer, "The log position of the last event folded, 0 when none."),
                .optional("recordedAt", .dateTime, "When the last event folded was recorded."),
                .optional(member, .ref(state), "Absent when the \(aggregate) had no event yet."),
            ])
    }

    static let all: [ResponseSchema] = customers + analysis + sales + marketing + service + operations

    // MARK: Customers

    static let customers: [ResponseSchema] = [
        page("CustomerPage", of: "Customer360", "Customers, by id or by the search term's match."),
        ResponseSchema(
            "Customer360", "One customer's profile, contacts, consents and commercial facts.",
            [
                .required("customerId", .string), .required("kind", .enumeration(CustomerKind.self)),
                .required("status", .enumeration(["open", "closed", "merged", "erased"])), .required("isErased", .boolean),
                .optional("givenName", .string), .optional("familyName", .string), .optional("organizationName", .string),
                .required("emails", .array(.string)), .required("phones", .array(.string)),
                .required("addresses", .array(.ref("CustomerAddress"))), .required("attributes", .array(.ref("CustomerAttribute"))),
                .optional("ownerId", .string), .optional("source", .string),
                .required("organizations", .array(.ref("OrganizationLink"))), .required("consents", .array(.ref("ConsentState"))),
                .required("consentHistory", .array(.ref("ConsentState")), "Every consent change, oldest first."),
                .required("unsubscribedChannels", .array(.string)), .required("invalidContactPoints", .array(.string)),
                .required("tags", .array(.string)), .required("mergedIds", .array(.string), "Duplicates merged into this customer."),
                .optional("mergedInto", .string, "The survivor, once this customer was merged into it."),
                .required("openOpportunities", .array(.ref("CustomerOpportunity"))), .required("openCases", .array(.ref("CustomerCase"))),
                .required("orderTotals", .array(.ref("OrderTotal"))), .required("orderCount", .integer),
                .optional("lastContactAt", .dateTime), .optional("registeredAt", .dateTime),
                .required("lastPosition", .integer, "The last log position that changed this view."),
            ]),
        ResponseSchema(
            "CustomerAddress", "A postal address.",
            [
                .required("addressId", .string), .required("lines", .array(.string)), .required("city", .string),
                .optional("region", .string), .optional("postalCode", .string), .required("country", .string),
            ]),
        ResponseSchema(
            "CustomerAttribute", "A custom attribute, its value rendered as text.",
            [
                .required("key", .string), .required("type", .enumeration(["string", "number", "boolean", "date"])),
                .required("value", .string),
            ]),
        ResponseSchema(
            "OrganizationLink", "A link to an organization.", [.required("organizationId", .string), .required("role", .string)]),
        ResponseSchema(
            "ConsentState", "A consent as granted or withdrawn.",
            [
                .required("channel", .enumeration(ContactChannel.self)), .required("purpose", .enumeration(ConsentPurpose.self)),
                .required("granted", .boolean), .optional("legalBasis", .enumeration(LegalBasis.self)), .required("source", .string),
                .required("at", .dateTime), .required("position", .integer),
            ]),
        ResponseSchema(
            "CustomerOpportunity", "An open opportunity of the customer.",
            [
                .required("opportunityId", .string), .required("stage", .enumeration(OpportunityStage.self)), .required("amount", .decimal),
                .required("currency", .string),
            ]),
        ResponseSchema(
            "CustomerCase", "An open service case of the customer.",
            [.required("caseId", .string), .required("priority", .enumeration(CasePriority.self)), .required("status", .string)]),
        ResponseSchema("OrderTotal", "Orders' total in one currency.", [.required("currency", .string), .required("total", .decimal)]),
        asOf("CustomerAsOf", "customer", id: "customerId", member: "profile", state: "CustomerProfile"),
        ResponseSchema(
            "CustomerProfile", "Every field the customer's stream holds (personal data shown erased once its key is gone).",
            [
                .required("customerId", .string), .required("status", .enumeration(["not_registered", "active", "closed", "merged"])),
                .optional("mergedInto", .string), .required("kind", .enumeration(CustomerKind.self)),
                .optional("name", .ref("ProfileName")),
                .optional("organizationName", .string), .required("emails", .array(.string)), .required("phones", .array(.string)),
                .required("addresses", .array(.ref("CustomerAddress"))), .required("attributes", .map(.ref("TypedAttribute"))),
                .required("organizations", .map(.string), "Role by organization id."), .required("tags", .array(.string)),
                .optional("ownerId", .string), .optional("source", .string), .required("unsubscribedChannels", .array(.string)),
                .required("invalidContactPoints", .array(.string)), .required("erased", .boolean),
                .required("absorbedDuplicates", .array(.string)), .required("consents", .array(.ref("ProfileConsent"))),
            ]),
        ResponseSchema("ProfileName", "A person's name.", [.required("given", .string), .required("family", .string)]),
        ResponseSchema(
            "TypedAttribute", "A custom attribute with its value as stored.",
            [.required("type", .enumeration(["string", "number", "boolean", "date"])), .required("value", .any)]),
        ResponseSchema(
            "ProfileConsent", "A consent's current state.",
            [
                .required("channel", .enumeration(ContactChannel.self)), .required("purpose", .enumeration(ConsentPurpose.self)),
                .required("granted", .boolean), .optional("legalBasis", .enumeration(LegalBasis.self)), .required("source", .string),
                .required("at", .dateTime),
            ]),
        ResponseSchema(
            "TimelinePage", "A page of the customer's contact-point timeline (merged customers as one).",
            [
                .required("requestedId", .string), .required("customerId", .string, "The survivor the requested id resolves to."),
                .required("memberIds", .array(.string), "Every id whose entries the timeline interleaves."),
                .required("entries", .array(.ref("TimelineEntry"))), .optional("next", .string), .optional("previous", .string),
            ]),
        ResponseSchema(
            "TimelineEntry", "One interaction or change concerning the customer.",
            [
                .required("customerId", .string), .required("position", .integer), .required("eventId", .uuid),
                .required("eventType", .string), .required("recordedAt", .dateTime), .optional("occurredAt", .dateTime),
                .required("kind", .enumeration(CustomerTimelineKind.self)), .optional("channel", .string), .required("actor", .string),
                .required("summary", .string), .optional("detail", .string), .required("changes", .array(.ref("FieldChange"))),
                .required("isErased", .boolean),
            ]),
        ResponseSchema(
            "FieldChange", "A profile field's old and new value.",
            [
                .required("field", .string), .optional("oldValue", .string), .optional("newValue", .string),
                .required("isPersonal", .boolean),
            ]),
    ]

    // MARK: Customer analysis

    static let analysis: [ResponseSchema] = [
        page("CustomerAnalysisPage", of: "CustomerAnalysis", "Customers' analyses, in the requested order."),
        ResponseSchema(
            "CustomerAnalysis", "RFM, lifetime value, churn risk and segments of one customer, as of the request.",
            [
                .required("customerId", .string), .required("status", .enumeration(["active", "closed", "merged", "unknown"])),
                .optional("mergedInto", .string), .optional("ownerId", .string), .required("tags", .array(.string)),
                .required("orderCount", .integer), .optional("firstOrderDate", .date), .optional("lastOrderDate", .date),
                .required("totals", .array(.ref("CurrencyTotal"))), .required("activityCount", .integer),
                .optional("lastActivityAt", .dateTime), .required("openCases", .integer), .required("openBreachedCases", .integer),
                .required("slaBreaches", .integer), .required("csatResponses", .integer), .optional("csatAverage", .number),
                .required("lowCsatResponses", .integer), .required("churn", .ref("ChurnRisk")),
                .required("lifetimeValue", .ref("LifetimeValue")), .optional("rfm", .ref("RfmScore"), "Absent without orders."),
                .required("segments", .array(.string)),
            ]),
        ResponseSchema(
            "CurrencyTotal", "Orders in one currency.",
            [
                .required("currency", .string), .required("orders", .integer), .required("total", .decimal),
                .required("firstOrderDate", .date), .required("lastOrderDate", .date),
            ]),
        ResponseSchema(
            "ChurnRisk", "Churn risk 0–100 and the signals it is made of.",
            [
                .required("score", .integer), .required("level", .enumeration(ChurnRisk.Level.self)), .required("recency", .integer),
                .required("cadence", .integer), .required("engagement", .integer), .required("service", .integer),
            ]),
        ResponseSchema(
            "LifetimeValue", "Historic and projected customer lifetime value in the reporting currency.",
            [
                .required("currency", .string), .required("orders", .integer), .required("historic", .decimal),
                .required("averageOrderValue", .decimal), .optional("ordersPerYear", .number),
                .optional("expectedLifespanYears", .number), .optional("retention", .number), .required("projected", .decimal),
                .required("total", .decimal),
            ]),
        ResponseSchema(
            "RfmScore", "Recency, frequency and monetary quintiles (1–5) and the segment they place the customer in.",
            [
                .required("recency", .integer), .required("frequency", .integer), .required("monetary", .integer),
                .required("segment", .enumeration(RFMSegment.self)), .required("daysSinceLastOrder", .integer),
                .required("orders", .integer), .required("monetaryTotal", .decimal),
            ]),
        ResponseSchema(
            "RfmDistribution", "How customers spread over RFM segments and scores.",
            [
                .required("currency", .string), .required("customers", .integer),
                .required("segments", .array(.ref("RfmSegmentCount"))), .required("recencyScores", .array(.integer)),
                .required("frequencyScores", .array(.integer)), .required("monetaryScores", .array(.integer)),
                .required("recencyByFrequency", .array(.array(.integer))),
            ]),
        ResponseSchema(
            "RfmSegmentCount", "Customers in one RFM segment.",
            [.required("segment", .enumeration(RFMSegment.self)), .required("customers", .integer)]),
        ResponseSchema(
            "SegmentMembers", "A page of the customers a campaign's segment holds now.",
            [
                .required("campaignId", .string), .required("segmentDefined", .boolean), .required("members", .array(.string)),
                .optional("nextCursor", .string),
            ]),
    ]

    // MARK: Sales

    static let sales: [ResponseSchema] = [
        page("OpportunityPage", of: "OpportunitySummary", "Opportunities in the pipeline."),
        asOf("OpportunityAsOf", "opportunity", id: "opportunityId", member: "opportunity", state: "OpportunityHistoryState"),
        ResponseSchema(
            "OpportunityHistoryState", "Every field the opportunity's stream holds.",
            [
                .required("opportunityId", .string), .required("status", .enumeration(["not_opened", "open", "won", "lost"])),
                .required("customerId", .string), .required("name", .string), .required("amount", .ref("MoneyAmount")),
                .required("expectedCloseDate", .date), .required("ownerId", .string),
                .required("stage", .enumeration(OpportunityStage.self)),
                .required("probability", .integer), .optional("campaignId", .string), .optional("leadId", .string),
                .optional("closedAt", .dateTime), .optional("lostReason", .string), .required("timesWon", .integer),
                .required("timesLost", .integer),
            ]),
        ResponseSchema(
            "OpportunitySummary", "An opportunity as the pipeline counts it.",
            [
                .required("opportunityId", .string), .required("stage", .enumeration(OpportunityStage.self)),
                .required("probability", .integer), .required("owner", .string), .required("closeMonth", .ref("Month")),
                .required("amount", .ref("MoneyAmount")), .required("weightedAmount", .decimal),
            ]),
        ResponseSchema("Month", "A calendar month.", [.required("year", .integer), .required("month", .integer)]),
        ResponseSchema("MoneyAmount", "An amount in one currency.", [.required("amount", .decimal), .required("currency", .string)]),
        ResponseSchema(
            "Pipeline", "Open opportunities by close month, stage, owner and currency.", [.required("cells", .array(.ref("PipelineCell")))]),
        ResponseSchema(
            "PipelineCell", "One close month, stage, owner and currency of the pipeline.",
            [
                .required("month", .ref("Month")), .required("stage", .enumeration(OpportunityStage.self)), .required("owner", .string),
                .required("currency", .string), .required("count", .integer), .required("amount", .decimal),
                .required("weightedAmount", .decimal),
            ]),
        ResponseSchema(
            "Forecast", "The weighted forecast by close month, owner and currency.", [.required("rows", .array(.ref("ForecastRow")))]),
        ResponseSchema(
            "ForecastRow", "One close month, owner and currency of the forecast.",
            [
                .required("month", .ref("Month")), .required("owner", .string), .required("currency", .string),
                .required("count", .integer),
                .required("amount", .decimal), .required("weightedAmount", .decimal),
            ]),
        ResponseSchema(
            "WinRates", "Win rates and sales-cycle length, overall and by owner.",
            [.required("overall", .ref("WinRate")), .required("byOwner", .array(.ref("WinRate")))]),
        ResponseSchema(
            "WinRate", "Closed opportunities of one owner (or all).",
            [
                .optional("owner", .string, "Absent for the overall figure."), .required("won", .integer), .required("lost", .integer),
                .required("closed", .integer), .optional("rate", .number, "won / closed; absent while none closed."),
                .optional("averageCycleDays", .number), .required("wonRevenue", .map(.decimal), "By currency."),
            ]),
    ]

    // MARK: Marketing

    static let marketing: [ResponseSchema] = [
        page("CampaignPage", of: "CampaignPerformance", "Campaigns and their performance."),
        ResponseSchema(
            "CampaignPerformance", "A campaign's funnel and the pipeline and revenue attributed to it.",
            [
                .required("campaignId", .string), .required("name", .string), .required("channel", .string), .required("status", .string),
                .required("sends", .integer), .required("deliveries", .integer), .required("opens", .integer),
                .required("clicks", .integer), .required("replies", .integer), .required("hardBounces", .integer),
                .required("softBounces", .integer), .required("bounces", .integer, "hardBounces + softBounces."),
                .required("unsubscribes", .integer), .required("conversions", .integer),
                .required("attributedOpportunities", .integer), .required("wonOpportunities", .integer),
                .required("attributedPipeline", .map(.decimal), "By currency."), .required("wonRevenue", .map(.decimal), "By currency."),
            ]),
    ]

    // MARK: Service

    static let service: [ResponseSchema] = [
        page("CasePage", of: "OpenCaseSummary", "Open cases."),
        ResponseSchema(
            "OpenCaseSummary", "An open case, its age and deadlines.",
            [
                .required("caseId", .string), .required("customerId", .string), .required("priority", .enumeration(CasePriority.self)),
                .optional("assignee", .string), .required("openedAt", .dateTime), .required("ageSeconds", .integer),
                .required("firstResponseDue", .dateTime), .required("resolutionDue", .dateTime), .required("responded", .boolean),
            ]),
        ResponseSchema(
            "CaseBreakdown", "Open cases counted by priority, assignee and age.",
            [
                .required("total", .integer), .required("byPriority", .map(.integer)), .required("byAssignee", .map(.integer)),
                .required("byAge", .array(.integer), "Counts per age band."), .optional("oldestAgeSeconds", .integer),
            ]),
        page("SlaDeadlinePage", of: "SlaDeadline", "SLA deadlines, soonest first."),
        ResponseSchema(
            "SlaDeadline", "A first-response or resolution deadline of an open case.",
            [
                .required("caseId", .string), .required("kind", .enumeration(["firstResponse", "resolution"])),
                .required("dueAt", .dateTime), .required("priority", .enumeration(CasePriority.self)), .optional("assignee", .string),
                .required("breachRecorded", .boolean),
            ]),
        ResponseSchema(
            "ServiceTimes", "First-response and resolution times, and breaches.",
            [
                .required("firstResponse", .ref("DurationStatistics")), .required("resolution", .ref("DurationStatistics")),
                .required("firstResponseBreaches", .integer), .required("resolutionBreaches", .integer),
            ]),
        ResponseSchema(
            "DurationStatistics", "Durations in milliseconds; the order statistics are absent while there are none.",
            [
                .required("count", .integer), .optional("averageMillis", .number), .optional("minimumMillis", .integer),
                .optional("medianMillis", .integer), .optional("p90Millis", .integer), .optional("p95Millis", .integer),
                .optional("p99Millis", .integer), .optional("maximumMillis", .integer),
            ]),
        ResponseSchema(
            "CsatReport", "CSAT averages, overall and by agent.",
            [.required("overall", .ref("CsatScore")), .required("byAgent", .array(.ref("CsatScore")))]),
        ResponseSchema(
            "CsatScore", "Satisfaction ratings of one agent (or all).",
            [.optional("agent", .string), .required("ratings", .integer), .optional("average", .number)]),
    ]

    // MARK: Operations, tailing and compliance

    static let operations: [ResponseSchema] = [
        ResponseSchema(
            "Health", "Liveness or readiness.",
            [.required("status", .enumeration(["live", "ready"])), .optional("head", .integer, "The log's head, when ready.")]),
        ResponseSchema(
            "ProjectionStatusList", "Every read model's state.",
            [
                .required("projections", .array(.ref("ProjectionStatus"))), .required("head", .integer),
                .optional("purgeFailure", .string, "A failed rebuild after an erasure or retention run."),
            ]),
        ResponseSchema(
            "ProjectionStatus", "One read-model version: checkpoint, lag, rate and state.",
            [
                .required("projection", .string), .required("version", .integer), .required("serving", .boolean),
                .required("state", .string, "live, catching up, rebuilding, or failed with its position and error."),
                .required("checkpoint", .integer), .required("head", .integer), .required("lagEvents", .integer),
                .required("lagSeconds", .number), .required("eventsPerSecond", .number), .optional("etaSeconds", .number),
            ]),
        ResponseSchema(
            "RebuildStarted", "A rebuild that goes on after the answer.",
            [.required("projection", .string), .required("status", .enumeration(["rebuilding"]))]),
        ResponseSchema(
            "ConsumerPosition", "A durable consumer's acknowledged position.",
            [
                .required("consumer", .string), .required("position", .integer), .required("updatedAt", .dateTime),
                .required("updatedBy", .string),
            ]),
        ResponseSchema(
            "StreamPage", "A page of one stream's events.",
            [
                .required("stream", .string), .required("version", .integer, "The stream's current version."),
                .required("events", .array(.ref("CloudEvent"))), .optional("next", .integer, "The stream version to read from next."),
            ]),
        ResponseSchema(
            "EventPage", "A page of the log's events and the position to read from next.",
            [
                .required("events", .array(.ref("CloudEvent"))), .required("next", .integer, "Pass it as `from` for the next page."),
                .required("head", .integer, "The log's head when the page was read."),
            ]),
        ResponseSchema(
            "CloudEvent", "CloudEvents 1.0 JSON with the log's envelope as extensions; `data` is the event's payload.",
            [
                .required("specversion", .enumeration(["1.0"])), .required("id", .uuid), .required("source", .string),
                .required("type", .string), .required("time", .dateTime, "When the log recorded it."),
                .required("datacontenttype", .enumeration(["application/json"])), .required("dataschema", .string),
                .required("data", .any), .required("position", .integer), .required("stream", .string),
                .required("streamversion", .integer), .required("schemaversion", .integer), .required("actor", .string),
                .optional("subject", .string, "The customer the event concerns."), .optional("occurredat", .dateTime),
                .optional("correlationid", .string), .optional("causationid", .string),
            ]),
        ResponseSchema("SuppressionCheck", "Whether an address is on the suppression list.", [.required("suppressed", .boolean)]),
    ]
}
