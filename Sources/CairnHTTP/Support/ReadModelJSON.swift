import CairnDomain
import CairnProjections
import CairnStore
import Foundation

/// A read-model value as the API answers it.
///
/// Written by hand for each type, as event payloads are: members carry their property names,
/// absent values are left out (never `null`), amounts and decimals are strings (never binary
/// floating point), money is `{amount, currency}`, times are RFC 3339 and dates `YYYY-MM-DD`,
/// enums their raw value. (These replaced a reflection-based encoder that cost more CPU than
/// the query it answered: ~0.7 ms of a customer-360 request's ~0.75.)
protocol APIRepresentable {
    var api: JSONValue { get }
}

/// An object under construction; assigning nil leaves the member out.
struct APIObject {
    private(set) var members: [String: JSONValue]

    init(capacity: Int) { members = Dictionary(minimumCapacity: capacity) }

    subscript(key: String) -> JSONValue? {
        get { members[key] }
        set { if let newValue { members[key] = newValue } }
    }

    var json: JSONValue { .object(members) }
}

extension JSONValue {
    static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(Double(value)) }
    /// Nil (so left out) when not finite, as JSON has no NaN or infinity.
    static func double(_ value: Double?) -> JSONValue? { value.flatMap { $0.isFinite ? .number($0) : nil } }
    static func decimal(_ value: Decimal) -> JSONValue { .string(value.description) }
    static func time(_ value: CairnStore.Timestamp) -> JSONValue { .string(value.rfc3339) }
    static func time(_ value: CairnDomain.Timestamp) -> JSONValue { .string(value.description) }
    static func date(_ value: CalendarDate) -> JSONValue { .string(value.description) }
    static func money(_ value: Money) -> JSONValue { .object(["amount": .decimal(value.amount), "currency": .string(value.currency)]) }
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    static func list(_ values: [some APIRepresentable]) -> JSONValue { .array(values.map(\.api)) }
    static func decimals(_ values: [String: Decimal]) -> JSONValue { .object(values.mapValues { .decimal($0) }) }
    static func month(_ value: PipelineMonth) -> JSONValue { .object(["year": .int(value.year), "month": .int(value.month)]) }
}

// MARK: Customers

extension Customer360: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 28)
        o["customerId"] = .string(customerId)
        o["kind"] = .string(kind)
        o["status"] = .string(status.name)
        o["isErased"] = .bool(isErased)
        o["givenName"] = givenName.map { .string($0) }
        o["familyName"] = familyName.map { .string($0) }
        o["organizationName"] = organizationName.map { .string($0) }
        o["emails"] = .strings(emails)
        o["phones"] = .strings(phones)
        o["addresses"] = .list(addresses)
        o["attributes"] = .list(attributes)
        o["ownerId"] = ownerId.map { .string($0) }
        o["source"] = source.map { .string($0) }
        o["organizations"] = .list(organizations)
        o["consents"] = .list(consents)
        o["consentHistory"] = .list(consentHistory)
        o["unsubscribedChannels"] = .strings(unsubscribedChannels)
        o["invalidContactPoints"] = .strings(invalidContactPoints)
        o["tags"] = .strings(tags)
        o["mergedIds"] = .strings(mergedIds)
        o["mergedInto"] = mergedInto.map { .string($0) }
        o["openOpportunities"] = .list(openOpportunities)
        o["openCases"] = .list(openCases)
        o["orderTotals"] = .list(orderTotals)
        o["orderCount"] = .int(orderCount)
        o["lastContactAt"] = lastContactAt.map { .time($0) }
        o["registeredAt"] = registeredAt.map { .time($0) }
        o["lastPosition"] = .int(lastPosition)
        return o.json
    }
}

extension Customer360.Status {
    var name: String {
        switch self {
        case .open: "open"
        case .closed: "closed"
        case .merged: "merged"
        case .erased: "erased"
        }
    }
}

extension Customer360.Address: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 6)
        o["addressId"] = .string(addressId)
        o["lines"] = .strings(lines)
        o["city"] = .string(city)
        o["region"] = region.map { .string($0) }
        o["postalCode"] = postalCode.map { .string($0) }
        o["country"] = .string(country)
        return o.json
    }
}

extension Customer360.Attribute: APIRepresentable {
    var api: JSONValue { .object(["key": .string(key), "type": .string(type), "value": .string(value)]) }
}

extension Customer360.OrganizationLink: APIRepresentable {
    var api: JSONValue { .object(["organizationId": .string(organizationId), "role": .string(role)]) }
}

extension Customer360.Consent: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 7)
        o["channel"] = .string(channel)
        o["purpose"] = .string(purpose)
        o["granted"] = .bool(granted)
        o["legalBasis"] = legalBasis.map { .string($0) }
        o["source"] = .string(source)
        o["at"] = .time(at)
        o["position"] = .int(position)
        return o.json
    }
}

extension Customer360.Opportunity: APIRepresentable {
    var api: JSONValue {
        .object([
            "opportunityId": .string(opportunityId), "stage": .string(stage), "amount": .decimal(amount), "currency": .string(currency),
        ])
    }
}

extension Customer360.ServiceCase: APIRepresentable {
    var api: JSONValue { .object(["caseId": .string(caseId), "priority": .string(priority), "status": .string(status)]) }
}

extension Customer360.OrderTotal: APIRepresentable {
    var api: JSONValue { .object(["currency": .string(currency), "total": .decimal(total)]) }
}

extension CustomerTimelineEntry: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 13)
        o["customerId"] = .string(customerId)
        o["position"] = .int(position)
        o["eventId"] = .string(eventId.uuidString.lowercased())
        o["eventType"] = .string(eventType)
        o["recordedAt"] = .time(recordedAt)
        o["occurredAt"] = occurredAt.map { .time($0) }
        o["kind"] = .string(kind.rawValue)
        o["channel"] = channel.map { .string($0) }
        o["actor"] = .string(actor)
        o["summary"] = .string(summary)
        o["detail"] = detail.map { .string($0) }
        o["changes"] = .list(changes)
        o["isErased"] = .bool(isErased)
        return o.json
    }
}

extension CustomerFieldChange: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 4)
        o["field"] = .string(field)
        o["oldValue"] = oldValue.map { .string($0) }
        o["newValue"] = newValue.map { .string($0) }
        o["isPersonal"] = .bool(isPersonal)
        return o.json
    }
}

// MARK: Customer analysis

extension CustomerAnalysis: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 22)
        o["customerId"] = .string(customerId)
        o["status"] = .string(status.rawValue)
        o["mergedInto"] = mergedInto.map { .string($0) }
        o["ownerId"] = ownerId.map { .string($0) }
        o["tags"] = .strings(tags)
        o["orderCount"] = .int(orderCount)
        o["firstOrderDate"] = firstOrderDate.map { .date($0) }
        o["lastOrderDate"] = lastOrderDate.map { .date($0) }
        o["totals"] = .list(totals)
        o["activityCount"] = .int(activityCount)
        o["lastActivityAt"] = lastActivityAt.map { .time($0) }
        o["openCases"] = .int(openCases)
        o["openBreachedCases"] = .int(openBreachedCases)
        o["slaBreaches"] = .int(slaBreaches)
        o["csatResponses"] = .int(csatResponses)
        o["csatAverage"] = .double(csatAverage)
        o["lowCsatResponses"] = .int(lowCsatResponses)
        o["churn"] = churn.api
        o["lifetimeValue"] = lifetimeValue.api
        o["rfm"] = rfm?.api
        o["segments"] = .strings(segments)
        return o.json
    }
}

extension CurrencyTotal: APIRepresentable {
    var api: JSONValue {
        .object([
            "currency": .string(currency), "orders": .int(orders), "total": .decimal(total), "firstOrderDate": .date(firstOrderDate),
            "lastOrderDate": .date(lastOrderDate),
        ])
    }
}

extension ChurnRisk: APIRepresentable {
    var api: JSONValue {
        .object([
            "score": .int(score), "level": .string(level.rawValue), "recency": .int(recency), "cadence": .int(cadence),
            "engagement": .int(engagement), "service": .int(service),
        ])
    }
}

extension LifetimeValue: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 9)
        o["currency"] = .string(currency)
        o["orders"] = .int(orders)
        o["historic"] = .decimal(historic)
        o["averageOrderValue"] = .decimal(averageOrderValue)
        o["ordersPerYear"] = .double(ordersPerYear)
        o["expectedLifespanYears"] = .double(expectedLifespanYears)
        o["retention"] = .double(retention)
        o["projected"] = .decimal(projected)
        o["total"] = .decimal(total)
        return o.json
    }
}

extension RFMScore: APIRepresentable {
    var api: JSONValue {
        .object([
            "recency": .int(recency), "frequency": .int(frequency), "monetary": .int(monetary), "segment": .string(segment.rawValue),
            "daysSinceLastOrder": .int(daysSinceLastOrder), "orders": .int(orders), "monetaryTotal": .decimal(monetaryTotal),
        ])
    }
}

extension RFMDistribution: APIRepresentable {
    var api: JSONValue {
        .object([
            "currency": .string(currency), "customers": .int(customers),
            "segments": .array(segments.map { .object(["segment": .string($0.segment.rawValue), "customers": .int($0.customers)]) }),
            "recencyScores": .array(recencyScores.map { .int($0) }), "frequencyScores": .array(frequencyScores.map { .int($0) }),
            "monetaryScores": .array(monetaryScores.map { .int($0) }),
            "recencyByFrequency": .array(recencyByFrequency.map { row in .array(row.map { .int($0) }) }),
        ])
    }
}

extension SegmentMembersPage: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 4)
        o["campaignId"] = .string(campaignId)
        o["segmentDefined"] = .bool(segmentDefined)
        o["members"] = .strings(members)
        o["nextCursor"] = nextCursor.map { .string($0) }
        return o.json
    }
}

// MARK: Sales

extension PipelineCell: APIRepresentable {
    var api: JSONValue {
        .object([
            "month": .month(month), "stage": .string(stage.rawValue), "owner": .string(owner), "currency": .string(currency),
            "count": .int(count), "amount": .decimal(amount), "weightedAmount": .decimal(weightedAmount),
        ])
    }
}

extension ForecastRow: APIRepresentable {
    var api: JSONValue {
        .object([
            "month": .month(month), "owner": .string(owner), "currency": .string(currency), "count": .int(count),
            "amount": .decimal(amount), "weightedAmount": .decimal(weightedAmount),
        ])
    }
}

extension PipelineOpportunitySummary: APIRepresentable {
    var api: JSONValue {
        .object([
            "opportunityId": .string(opportunityId), "stage": .string(stage.rawValue), "probability": .int(probability),
            "owner": .string(owner), "closeMonth": .month(closeMonth), "amount": .money(amount), "weightedAmount": .decimal(weightedAmount),
        ])
    }
}

extension WinRate: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 7)
        o["owner"] = owner.map { .string($0) }
        o["won"] = .int(won)
        o["lost"] = .int(lost)
        o["closed"] = .int(closed)
        o["rate"] = .double(rate)
        o["averageCycleDays"] = .double(averageCycleDays)
        o["wonRevenue"] = .decimals(wonRevenue)
        return o.json
    }
}

extension WinRateReport: APIRepresentable {
    var api: JSONValue { .object(["overall": overall.api, "byOwner": .list(byOwner)]) }
}

// MARK: Marketing

extension CampaignPerformance: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 18)
        o["campaignId"] = .string(campaignId)
        o["name"] = .string(name)
        o["channel"] = .string(channel)
        o["status"] = .string(status)
        o["sends"] = .int(sends)
        o["deliveries"] = .int(deliveries)
        o["opens"] = .int(opens)
        o["clicks"] = .int(clicks)
        o["replies"] = .int(replies)
        o["hardBounces"] = .int(hardBounces)
        o["softBounces"] = .int(softBounces)
        o["bounces"] = .int(bounces)
        o["unsubscribes"] = .int(unsubscribes)
        o["conversions"] = .int(conversions)
        o["attributedOpportunities"] = .int(attributedOpportunities)
        o["wonOpportunities"] = .int(wonOpportunities)
        o["attributedPipeline"] = .decimals(attributedPipeline)
        o["wonRevenue"] = .decimals(wonRevenue)
        return o.json
    }
}

// MARK: Service

extension OpenCaseSummary: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 9)
        o["caseId"] = .string(caseId)
        o["customerId"] = .string(customerId)
        o["priority"] = .string(priority.rawValue)
        o["assignee"] = assignee.map { .string($0) }
        o["openedAt"] = .time(openedAt)
        o["ageSeconds"] = .int(ageSeconds)
        o["firstResponseDue"] = .time(firstResponseDue)
        o["resolutionDue"] = .time(resolutionDue)
        o["responded"] = .bool(responded)
        return o.json
    }
}

extension OpenCaseBreakdown: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 5)
        o["total"] = .int(total)
        o["byPriority"] = .object(Dictionary(uniqueKeysWithValues: byPriority.map { ($0.key.rawValue, .int($0.value)) }))
        o["byAssignee"] = .object(byAssignee.mapValues { .int($0) })
        o["byAge"] = .array(byAge.map { .int($0) })
        o["oldestAgeSeconds"] = oldestAgeSeconds.map { .int($0) }
        return o.json
    }
}

extension SlaDeadlineItem: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 6)
        o["caseId"] = .string(caseId)
        o["kind"] = .string(kind.rawValue)
        o["dueAt"] = .time(dueAt)
        o["priority"] = .string(priority.rawValue)
        o["assignee"] = assignee.map { .string($0) }
        o["breachRecorded"] = .bool(breachRecorded)
        return o.json
    }
}

extension DurationStatistics: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 8)
        o["count"] = .int(count)
        o["averageMillis"] = .double(averageMillis)
        o["minimumMillis"] = minimumMillis.map { .int($0) }
        o["medianMillis"] = medianMillis.map { .int($0) }
        o["p90Millis"] = p90Millis.map { .int($0) }
        o["p95Millis"] = p95Millis.map { .int($0) }
        o["p99Millis"] = p99Millis.map { .int($0) }
        o["maximumMillis"] = maximumMillis.map { .int($0) }
        return o.json
    }
}

extension ServiceTimes: APIRepresentable {
    var api: JSONValue {
        .object([
            "firstResponse": firstResponse.api, "resolution": resolution.api, "firstResponseBreaches": .int(firstResponseBreaches),
            "resolutionBreaches": .int(resolutionBreaches),
        ])
    }
}

extension CsatScore: APIRepresentable {
    var api: JSONValue {
        var o = APIObject(capacity: 3)
        o["agent"] = agent.map { .string($0) }
        o["ratings"] = .int(ratings)
        o["average"] = .double(average)
        return o.json
    }
}

extension CsatReport: APIRepresentable {
    var api: JSONValue { .object(["overall": overall.api, "byAgent": .list(byAgent)]) }
}
