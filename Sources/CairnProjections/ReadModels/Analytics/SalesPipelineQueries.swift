package import CairnDomain
import CairnStore
package import Foundation

/// A calendar month (`2026-06`), the granularity of expected close dates in the pipeline.
package struct PipelineMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var year: Int
    package var month: Int

    package init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    init(key: UInt32) { self.init(year: Int(key / 100), month: Int(key % 100)) }
    var key: UInt32 { UInt32(clamping: year * 100 + month) }

    package static func < (a: Self, b: Self) -> Bool { (a.year, a.month) < (b.year, b.month) }
    package var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
}

/// Narrows pipeline queries; nil fields match everything. Months are inclusive.
package struct PipelineFilter: Sendable, Hashable {
    package var owner: UserID?
    package var stage: OpportunityStage?
    package var fromMonth: PipelineMonth?
    package var throughMonth: PipelineMonth?

    package init(owner: UserID? = nil, stage: OpportunityStage? = nil, fromMonth: PipelineMonth? = nil, throughMonth: PipelineMonth? = nil)
    {
        self.owner = owner
        self.stage = stage
        self.fromMonth = fromMonth
        self.throughMonth = throughMonth
    }

    func matches(month: UInt32, stage: UInt8, owner: String) -> Bool {
        if let fromMonth, month < fromMonth.key { return false }
        if let throughMonth, month > throughMonth.key { return false }
        if let s = self.stage, s.analyticsIndex != stage { return false }
        if let o = self.owner, o != owner { return false }
        return true
    }
}

/// Open opportunities sharing a close month, stage, owner and currency.
package struct PipelineCell: Sendable, Hashable {
    package var month: PipelineMonth
    package var stage: OpportunityStage
    package var owner: UserID
    package var currency: String
    package var count: Int
    package var amount: Decimal
    /// Σ amount × probability / 100.
    package var weightedAmount: Decimal
}

/// The weighted forecast of one owner for one close month, in one currency (all stages).
package struct ForecastRow: Sendable, Hashable {
    package var month: PipelineMonth
    package var owner: UserID
    package var currency: String
    package var count: Int
    package var amount: Decimal
    package var weightedAmount: Decimal
}

extension ForecastRow {
    fileprivate mutating func add(_ cell: PipelineCell) {
        count += cell.count
        amount += cell.amount
        weightedAmount += cell.weightedAmount
    }
}

/// One open opportunity as the pipeline sees it.
package struct PipelineOpportunitySummary: Sendable, Hashable {
    package var opportunityId: OpportunityID
    package var stage: OpportunityStage
    package var probability: Int
    package var owner: UserID
    package var closeMonth: PipelineMonth
    package var amount: Money
    package var weightedAmount: Decimal
}

/// Closed-deal figures of one owner, or of everyone when `owner` is nil.
package struct WinRate: Sendable, Hashable {
    package var owner: UserID?
    package var won: Int
    package var lost: Int
    package var closed: Int { won + lost }
    /// won ÷ closed; nil before anything closed.
    package var rate: Double? { closed == 0 ? nil : Double(won) / Double(closed) }
    /// Mean days from opening to winning or losing; nil before anything closed.
    package var averageCycleDays: Double?
    package var wonRevenue: [String: Decimal]
}

/// Overall win rate and sales cycle, and the same per owner (owner order).
package struct WinRateReport: Sendable, Hashable {
    package var overall: WinRate
    package var byOwner: [WinRate]
}

/// How leads of one source or campaign moved through the funnel.
package struct LeadFunnelRow: Sendable, Hashable {
    /// The source, or the campaign id.
    package var key: String
    package var captured: Int
    package var qualified: Int
    package var disqualified: Int
    package var converted: Int
    /// converted ÷ captured; nil when nothing was captured.
    package var conversionRate: Double? { captured == 0 ? nil : Double(converted) / Double(captured) }
}

/// What a lead funnel is grouped by.
package enum LeadFunnelGrouping: Sendable, Hashable { case source, campaign }

/// Queries over the ``SalesPipelineProjector`` read model.
package struct SalesPipelineQueries: Sendable {
    package let engine: ProjectionEngine
    package let name: String

    package init(_ engine: ProjectionEngine, name: String = SalesPipelineProjector().name) {
        self.engine = engine
        self.name = name
    }

    /// Open pipeline cells matching `filter`, by close month, stage, owner, currency.
    package func pipeline(_ filter: PipelineFilter = PipelineFilter()) throws -> [PipelineCell] {
        try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["openCells"])
            var entry =
                try filter.fromMonth.map { month in
                    try withUnsafeBytes(of: month.key.bigEndian) { try cursor.seek(atLeast: $0) }
                } ?? cursor.first()
            var cells: [PipelineCell] = []
            while let (key, value) = entry {
                let month = UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))
                if let through = filter.throughMonth, month > through.key { break }
                let rest = key[5...]
                let zero = rest.firstIndex(of: 0) ?? rest.endIndex
                let owner = String(decoding: key[5..<zero], as: UTF8.self)
                let currency = String(decoding: key[(zero == rest.endIndex ? zero : zero + 1)...], as: UTF8.self)
                if filter.matches(month: month, stage: key[4], owner: owner), let stage = OpportunityStage(analyticsIndex: key[4]) {
                    let cell = try PipelineCellValue(bytes: value)
                    cells.append(
                        PipelineCell(
                            month: PipelineMonth(key: month), stage: stage, owner: owner, currency: currency,
                            count: Int(cell.count), amount: cell.amount, weightedAmount: cell.weighted))
                }
                entry = try cursor.next()
            }
            return cells
        }
    }

    /// Weighted forecast per close month and owner (and currency), over the stages `filter` admits.
    package func forecast(_ filter: PipelineFilter = PipelineFilter()) throws -> [ForecastRow] {
        var rows: [String: ForecastRow] = [:]
        for cell in try pipeline(filter) {
            rows[
                "\(cell.month) \(cell.owner) \(cell.currency)",
                default: ForecastRow(month: cell.month, owner: cell.owner, currency: cell.currency, count: 0, amount: 0, weightedAmount: 0)
            ]
            .add(cell)
        }
        return rows.values.sorted { ($0.month, $0.owner, $0.currency) < ($1.month, $1.owner, $1.currency) }
    }

    /// Open opportunities matching `filter`, in opportunity-id order, a page at a time.
    package func openOpportunities(
        _ filter: PipelineFilter = PipelineFilter(), limit: Int = 50, after cursorText: String? = nil
    ) throws -> AnalyticsPage<PipelineOpportunitySummary> {
        try AnalyticsQueryError.check(limit: limit)
        let after = try AnalyticsCursor.key(cursorText)
        return try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["opportunities"])
            var entry = try after.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            var items: [PipelineOpportunitySummary] = []
            var lastKey: [UInt8] = []
            while let (key, value) = entry {
                if let after, Array(key) == after {
                    entry = try cursor.next()
                    continue
                }
                let o = try PipelineOpportunity(bytes: value)
                if o.status == .open, filter.matches(month: o.closeMonth, stage: o.stage, owner: o.owner),
                    let stage = OpportunityStage(analyticsIndex: o.stage)
                {
                    if items.count == limit { return AnalyticsPage(items: items, nextCursor: AnalyticsCursor.encode(lastKey)) }
                    items.append(
                        PipelineOpportunitySummary(
                            opportunityId: String(decoding: key, as: UTF8.self), stage: stage, probability: Int(o.probability),
                            owner: o.owner, closeMonth: PipelineMonth(key: o.closeMonth),
                            amount: Money(amount: o.amount, currency: o.currency), weightedAmount: o.weighted))
                    lastKey = Array(key)
                }
                entry = try cursor.next()
            }
            return AnalyticsPage(items: items, nextCursor: nil)
        }
    }

    /// Win rate and average sales-cycle length overall and per owner; `owner` keeps only that
    /// owner's row (the overall figures then equal it).
    package func winRates(owner: UserID? = nil) throws -> WinRateReport {
        try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["owners"])
            var entry = try owner.map { try cursor.seek(atLeast: Array($0.utf8)) } ?? cursor.first()
            var rows: [WinRate] = []
            var total = PipelineOwnerValue()
            while let (key, value) = entry {
                let name = String(decoding: key, as: UTF8.self)
                if let owner, owner != name { break }
                let v = try PipelineOwnerValue(bytes: value)
                rows.append(Self.rate(name, v))
                total.won += v.won
                total.lost += v.lost
                total.cycleMillis += v.cycleMillis
                total.wonRevenue.merge(v.wonRevenue, uniquingKeysWith: +)
                entry = try cursor.next()
            }
            return WinRateReport(overall: Self.rate(nil, total), byOwner: rows)
        }
    }

    private static func rate(_ owner: String?, _ v: PipelineOwnerValue) -> WinRate {
        let closed = v.won + v.lost
        return WinRate(
            owner: owner, won: Int(v.won), lost: Int(v.lost),
            averageCycleDays: closed == 0 ? nil : Double(v.cycleMillis) / Double(closed) / 86_400_000,
            wonRevenue: v.wonRevenue)
    }

    /// The lead funnel grouped by source or campaign, in key order, a page at a time.
    package func leadFunnel(
        by grouping: LeadFunnelGrouping, limit: Int = 50, after cursorText: String? = nil
    ) throws -> AnalyticsPage<LeadFunnelRow> {
        try AnalyticsQueryError.check(limit: limit)
        let kind = grouping == .source ? PipelineFunnelKey.source : PipelineFunnelKey.campaign
        let start = try AnalyticsCursor.key(cursorText) ?? [kind]
        guard start.first == kind else { throw AnalyticsQueryError.invalidCursor }
        return try engine.read(name) { model, txn in
            let cursor = try txn.cursor(model["funnel"])
            var entry = try cursor.seek(atLeast: start)
            var rows: [LeadFunnelRow] = []
            var lastKey: [UInt8] = []
            while let (key, value) = entry, key.first == kind {
                if cursorText != nil, Array(key) == start {
                    entry = try cursor.next()
                    continue
                }
                if rows.count == limit { return AnalyticsPage(items: rows, nextCursor: AnalyticsCursor.encode(lastKey)) }
                let v = try PipelineFunnelValue(bytes: value)
                rows.append(
                    LeadFunnelRow(
                        key: String(decoding: key.dropFirst(), as: UTF8.self), captured: Int(v.captured), qualified: Int(v.qualified),
                        disqualified: Int(v.disqualified), converted: Int(v.converted)))
                lastKey = Array(key)
                entry = try cursor.next()
            }
            return AnalyticsPage(items: rows, nextCursor: nil)
        }
    }
}
