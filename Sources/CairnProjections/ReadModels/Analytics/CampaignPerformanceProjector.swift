import CairnDomain
package import CairnStore
import Foundation

/// Folds campaign sends and responses, and the opportunities attributed to campaigns, into
/// one performance record per campaign: delivery and response counters, attributed pipeline
/// (the amount of every opportunity opened with the campaign's attribution, per currency) and
/// won revenue (the amounts those opportunities were won at; a reopening takes it back).
package struct CampaignPerformanceProjector: Projector {
    package let name = "campaign-performance"
    package let version = 1
    /// Of the opportunity events, only openings, wins and reopenings move attributed figures.
    package let eventTypePrefixes = ["marketing.", "sales.OpportunityOpened", "sales.OpportunityReopened", "sales.OpportunityWon"]
    package let databaseNames = ["attributions", "campaigns"]

    package init() {}

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var campaigns = AnalyticsBatch<CampaignPerformanceValue>(model["campaigns"])
        var attributions = AnalyticsBatch<CampaignAttribution>(model["attributions"])
        for projected in events {
            let event = projected.record
            let type = projected.type
            if type == "marketing.SegmentDefined" { continue }  // changes no figure; segments can be large
            // A win or reopening of an unattributed deal changes nothing: skip decoding it.
            if type.hasPrefix("sales."), type != "sales.OpportunityOpened",
                try attributions.get(Array(event.stream.utf8.dropFirst(Self.opportunityStreamPrefix)), txn) == nil
            {
                continue
            }
            let decoded = try projected.decoded()
            switch decoded {
            case .campaign(let e):
                let key = Array(e.campaignId.utf8)
                var c = try campaigns.get(key, txn) ?? CampaignPerformanceValue()
                c.apply(e)
                campaigns.set(key, c)
            case .opportunity(let e):
                try Self.attribute(e, &campaigns, &attributions, txn)
            default: break
            }
        }
        try campaigns.flush(txn)
        try attributions.flush(txn)
    }

    private static let opportunityStreamPrefix = StreamName(.opportunity, "").description.utf8.count

    private static func attribute(
        _ event: OpportunityEvent, _ campaigns: inout AnalyticsBatch<CampaignPerformanceValue>,
        _ attributions: inout AnalyticsBatch<CampaignAttribution>, _ txn: borrowing LMDBWriteTransaction
    ) throws {
        switch event {
        case .opened(let e):
            guard let campaignId = e.campaignId else { return }
            let key = Array(e.opportunityId.utf8)
            guard try attributions.get(key, txn) == nil else { return }
            attributions.set(key, CampaignAttribution(campaignId: campaignId, won: nil))
            let ckey = Array(campaignId.utf8)
            var c = try campaigns.get(ckey, txn) ?? CampaignPerformanceValue()
            c.opportunities += 1
            c.pipeline[e.amount.currency, default: 0] += e.amount.amount
            campaigns.set(ckey, c)
        case .won(let e):
            let key = Array(e.opportunityId.utf8)
            guard var a = try attributions.get(key, txn), a.won == nil else { return }
            a.won = e.amount
            attributions.set(key, a)
            try adjustWon(a.campaignId, e.amount, 1, &campaigns, txn)
        case .reopened(let e):
            let key = Array(e.opportunityId.utf8)
            guard var a = try attributions.get(key, txn), let won = a.won else { return }
            a.won = nil
            attributions.set(key, a)
            try adjustWon(a.campaignId, won, -1, &campaigns, txn)
        default: return
        }
    }

    private static func adjustWon(
        _ campaignId: String, _ amount: Money, _ sign: Int, _ campaigns: inout AnalyticsBatch<CampaignPerformanceValue>,
        _ txn: borrowing LMDBWriteTransaction
    ) throws {
        let ckey = Array(campaignId.utf8)
        var c = try campaigns.get(ckey, txn) ?? CampaignPerformanceValue()
        c.wonOpportunities = UInt64(Int64(c.wonOpportunities) + Int64(sign))
        c.wonRevenue[amount.currency, default: 0] += sign > 0 ? amount.amount : -amount.amount
        if c.wonRevenue[amount.currency] == 0 { c.wonRevenue[amount.currency] = nil }
        campaigns.set(ckey, c)
    }
}

/// Which campaign an opportunity is attributed to, and what it was won at while won.
struct CampaignAttribution: AnalyticsRecord {
    var campaignId: String
    var won: Money?

    init(campaignId: String, won: Money?) {
        self.campaignId = campaignId
        self.won = won
    }
    init(reading r: inout AnalyticsReader) throws {
        campaignId = try r.string()
        if try r.u8() == 1 {
            let currency = try r.string()
            won = Money(amount: try r.decimal(), currency: currency)
        }
    }
    func write(to w: inout AnalyticsWriter) {
        w.string(campaignId)
        if let won {
            w.u8(1)
            w.string(won.currency)
            w.decimal(won.amount)
        } else {
            w.u8(0)
        }
    }
}

/// The stored performance of one campaign.
struct CampaignPerformanceValue: AnalyticsRecord {
    var name = ""
    var channel = ""
    var status = ""
    /// sends, deliveries, opens, clicks, replies, hard bounces, soft bounces, unsubscribes, conversions.
    var counters = [UInt64](repeating: 0, count: 9)
    var opportunities: UInt64 = 0
    var wonOpportunities: UInt64 = 0
    var pipeline: [String: Decimal] = [:]
    var wonRevenue: [String: Decimal] = [:]

    init() {}
    init(reading r: inout AnalyticsReader) throws {
        name = try r.string()
        channel = try r.string()
        status = try r.string()
        for i in counters.indices { counters[i] = try r.u64() }
        opportunities = try r.u64()
        wonOpportunities = try r.u64()
        pipeline = try r.sums()
        wonRevenue = try r.sums()
    }
    func write(to w: inout AnalyticsWriter) {
        w.string(name)
        w.string(channel)
        w.string(status)
        for c in counters { w.u64(c) }
        w.u64(opportunities)
        w.u64(wonOpportunities)
        w.sums(pipeline)
        w.sums(wonRevenue)
    }

    mutating func apply(_ event: CampaignEvent) {
        switch event {
        case .created(let e):
            name = e.name
            channel = e.channel.rawValue
            status = "draft"
        case .segmentDefined: break
        case .launched: status = "running"
        case .paused: status = "paused"
        case .completed: status = "completed"
        case .messageSent: counters[0] += 1
        case .delivered: counters[1] += 1
        case .opened: counters[2] += 1
        case .clicked: counters[3] += 1
        case .replied: counters[4] += 1
        case .bounced(let e): counters[e.bounceType == .hard ? 5 : 6] += 1
        case .recipientUnsubscribed: counters[7] += 1
        case .converted: counters[8] += 1
        }
    }
}
