package import CairnDomain
import CairnStore
package import Foundation

/// How one campaign performed.
package struct CampaignPerformance: Sendable, Hashable {
    package var campaignId: CampaignID
    /// Empty when only attributed opportunities are known (the campaign's creation not folded).
    package var name: String
    package var channel: String
    /// draft, running, paused or completed.
    package var status: String
    package var sends: Int
    package var deliveries: Int
    package var opens: Int
    /// Click events (a recipient may click several links).
    package var clicks: Int
    package var replies: Int
    package var hardBounces: Int
    package var softBounces: Int
    package var bounces: Int { hardBounces + softBounces }
    package var unsubscribes: Int
    package var conversions: Int
    /// Opportunities opened with this campaign's attribution, and how many of them are won.
    package var attributedOpportunities: Int
    package var wonOpportunities: Int
    /// Σ opening amount of attributed opportunities, per currency.
    package var attributedPipeline: [String: Decimal]
    /// Σ won amount of attributed opportunities currently won, per currency.
    package var wonRevenue: [String: Decimal]

    init(_ id: String, _ v: CampaignPerformanceValue) {
        campaignId = id
        name = v.name
        channel = v.channel
        status = v.status
        sends = Int(v.counters[0])
        deliveries = Int(v.counters[1])
        opens = Int(v.counters[2])
        clicks = Int(v.counters[3])
        replies = Int(v.counters[4])
        hardBounces = Int(v.counters[5])
        softBounces = Int(v.counters[6])
        unsubscribes = Int(v.counters[7])
        conversions = Int(v.counters[8])
        attributedOpportunities = Int(v.opportunities)
        wonOpportunities = Int(v.wonOpportunities)
        attributedPipeline = v.pipeline
        wonRevenue = v.wonRevenue
    }
}

/// Queries over the ``CampaignPerformanceProjector`` read model.
package struct CampaignPerformanceQueries: Sendable {
    package let engine: ProjectionEngine
    package let name: String

    package init(_ engine: ProjectionEngine, name: String = CampaignPerformanceProjector().name) {
        self.engine = engine
        self.name = name
    }

    /// One campaign's performance; nil when nothing about it was folded.
    package func campaign(_ campaignId: CampaignID) throws -> CampaignPerformance? {
        try engine.read(name) { model, txn in
            try txn.get(model["campaigns"], Array(campaignId.utf8)).map {
                CampaignPerformance(campaignId, try CampaignPerformanceValue(bytes: $0))
            }
        }
    }

    /// Every campaign in id order, a page at a time; `status` keeps only campaigns in it.
    package func campaigns(
        status: String? = nil, limit: Int = 50, after cursorText: String? = nil
    ) throws -> AnalyticsPage<CampaignPerformance> {
        try AnalyticsQueryError.check(limit: limit)
        let after = try AnalyticsCursor.key(cursorText)
        return try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["campaigns"])
            var entry = try after.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            var items: [CampaignPerformance] = []
            while let (key, value) = entry {
                if Array(key) != after {
                    let v = try CampaignPerformanceValue(bytes: value)
                    if status == nil || status == v.status {
                        if items.count == limit {
                            return AnalyticsPage(items: items, nextCursor: AnalyticsCursor.encode(Array(items.last!.campaignId.utf8)))
                        }
                        items.append(CampaignPerformance(String(decoding: key, as: UTF8.self), v))
                    }
                }
                entry = try cursor.next()
            }
            return AnalyticsPage(items: items, nextCursor: nil)
        }
    }
}
