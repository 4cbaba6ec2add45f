package import CairnDomain
package import Foundation

/// Settings of the query-time figures.
package struct CustomerAnalysisOptions: Sendable, Hashable {
    /// RFM and lifetime value count only orders in this currency; others are ignored (no
    /// conversion rates exist in the log, and mixing currencies would rank nonsense).
    package var reportingCurrency: String
    /// The horizon of the lifetime-value projection.
    package var expectedLifespanYears: Double

    package init(reportingCurrency: String = "EUR", expectedLifespanYears: Double = 3) {
        self.reportingCurrency = reportingCurrency
        self.expectedLifespanYears = expectedLifespanYears
    }
}

/// One customer's analysis as of the query's `now`.
package struct CustomerAnalysis: Sendable, Hashable {
    package enum Status: String, Sendable, Hashable {
        case active, closed, merged
        /// Facts arrived for an id whose registration the model has not seen.
        case unknown
    }

    package var customerId: CustomerID
    package var status: Status
    /// Where a merged customer's facts went.
    package var mergedInto: CustomerID?
    package var ownerId: UserID?
    package var tags: [String]
    /// Orders in every currency.
    package var orderCount: Int
    package var firstOrderDate: CalendarDate?
    package var lastOrderDate: CalendarDate?
    /// Per currency, sorted by currency.
    package var totals: [CurrencyTotal]
    package var activityCount: Int
    package var lastActivityAt: CairnDomain.Timestamp?
    package var openCases: Int
    package var openBreachedCases: Int
    package var slaBreaches: Int
    package var csatResponses: Int
    package var csatAverage: Double?
    package var lowCsatResponses: Int
    package var churn: ChurnRisk
    package var lifetimeValue: LifetimeValue
    /// Nil unless the customer is active and has orders in the reporting currency.
    package var rfm: RFMScore?
    /// Campaigns whose current segment the customer matches as of `now`, sorted.
    package var segments: [CampaignID]
}

/// A customer's orders in one currency.
package struct CurrencyTotal: Sendable, Hashable {
    package var currency: String
    package var orders: Int
    package var total: Decimal
    package var firstOrderDate: CalendarDate
    package var lastOrderDate: CalendarDate
}

/// How ``CustomerAnalysisQueries/customers(sortedBy:now:options:filter:limit:cursor:)`` orders
/// its list: highest first, ties by customer id.
package enum CustomerAnalysisSort: String, Sendable, Hashable {
    case lifetimeValue
    case churnRisk
}

/// Which active customers a list returns; nil fields do not filter.
package struct CustomerAnalysisFilter: Sendable, Hashable {
    package var churnLevels: Set<ChurnRisk.Level>?
    package var rfmSegments: Set<RFMSegment>?
    package var tag: String?
    package var ownerId: UserID?
    /// Only members of this campaign's segment.
    package var campaignSegment: CampaignID?

    package init(
        churnLevels: Set<ChurnRisk.Level>? = nil, rfmSegments: Set<RFMSegment>? = nil, tag: String? = nil,
        ownerId: UserID? = nil, campaignSegment: CampaignID? = nil
    ) {
        self.churnLevels = churnLevels
        self.rfmSegments = rfmSegments
        self.tag = tag
        self.ownerId = ownerId
        self.campaignSegment = campaignSegment
    }
}

/// One page of analysed customers.
package struct CustomerAnalysisPage: Sendable, Hashable {
    package var items: [CustomerAnalysis]
    /// Pass back to get the next page; nil on the last one. Valid for the same sort; reuse the
    /// same `now` for a stable order.
    package var nextCursor: String?
}

/// How the active customers with orders in one currency spread over RFM scores and segments.
package struct RFMDistribution: Sendable, Hashable {
    package struct SegmentCount: Sendable, Hashable {
        package var segment: RFMSegment
        package var customers: Int
    }

    package var currency: String
    package var customers: Int
    /// Every segment, in ``RFMSegment`` order, zeros included.
    package var segments: [SegmentCount]
    /// Customers per score: index 0 is score 1, index 4 score 5.
    package var recencyScores: [Int]
    package var frequencyScores: [Int]
    package var monetaryScores: [Int]
    /// Customers per recency (row) × frequency (column) score, both 1…5 at index 0…4.
    package var recencyByFrequency: [[Int]]
}

/// One page of a campaign segment's current members.
package struct SegmentMembersPage: Sendable, Hashable {
    package var campaignId: CampaignID
    /// False when the campaign has no segment (or is unknown): then there are no members.
    package var segmentDefined: Bool
    package var members: [CustomerID]
    package var nextCursor: String?
}

/// Why an analysis query was refused.
package struct CustomerAnalysisQueryError: QueryArgumentError, Sendable {
    package let code: String
    package let message: String
    package var parameter: String { "cursor" }

    /// The cursor was not issued by this query (or for another sort).
    package static func invalidCursor(_ message: String) -> Self { Self(code: "invalid_cursor", message: message) }

    package var description: String { message }
}
