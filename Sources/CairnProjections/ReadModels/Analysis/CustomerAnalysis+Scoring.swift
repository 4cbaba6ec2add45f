package import Foundation

/// How likely a customer is to drift away, 0 (safe) to 100, with the parts it is made of.
///
/// The score is a transparent sum of four capped parts, each computed at query time from `now`:
/// - **recency** (≤ 35): days since the last order or activity, whichever is later, over a year
///   (never any contact: 35);
/// - **cadence** (≤ 20): with two or more orders, how overdue the next one is against the
///   customer's usual gap (0 within the gap, 20 at four gaps or more); with one order, its age
///   over a year; with none, 10 — no buying habit to lose yet, but none to rely on either;
/// - **engagement** (≤ 15): days since the last logged activity over 180 days (none ever: 15);
/// - **service** (≤ 30): 10 per open case with a missed SLA deadline (at most 20), 2 per other
///   open case (at most 4), and up to 10 for a CSAT average below 3 (`(3 − average) × 5`).
///
/// A closed customer has churned: 100, level `.churned`.
package struct ChurnRisk: Sendable, Hashable {
    package enum Level: String, Sendable, Hashable, CaseIterable {
        case low, medium, high, churned
    }

    package var score: Int
    package var level: Level
    package var recency: Int
    package var cadence: Int
    package var engagement: Int
    package var service: Int

    static func level(for score: Int) -> Level { score >= 60 ? .high : score >= 30 ? .medium : .low }
}

/// Customer lifetime value in one reporting currency.
///
/// `historic` is what the customer has spent; `projected` is
/// `averageOrderValue × ordersPerYear × expectedLifespanYears × retention`, where
/// `ordersPerYear` is the order count over the years since the first order (at least one
/// year, so a brand-new customer is not extrapolated from a single week) and `retention` is
/// `1 − churn score / 100`. `total = historic + projected`, rounded to cents.
package struct LifetimeValue: Sendable, Hashable {
    package var currency: String
    package var orders: Int
    package var historic: Decimal
    package var averageOrderValue: Decimal
    package var ordersPerYear: Double
    package var expectedLifespanYears: Double
    package var retention: Double
    package var projected: Decimal
    package var total: Decimal
}

/// A customer's RFM quintile scores (1–5, 5 best) in one currency and the named segment they
/// fall in. Scores rank the customer among every active customer with orders in that currency.
package struct RFMScore: Sendable, Hashable {
    package var recency: Int
    package var frequency: Int
    package var monetary: Int
    package var segment: RFMSegment
    /// Days since the last order in the currency, as of the query's `now`.
    package var daysSinceLastOrder: Int
    package var orders: Int
    package var monetaryTotal: Decimal
}

/// Named RFM segments, decided from the recency (R) and frequency (F) scores, and monetary
/// (M) for champions:
///
/// | segment | rule (first match) |
/// | --- | --- |
/// | champions | R ≥ 4, F ≥ 4, M ≥ 4 |
/// | loyal | R ≥ 3, F ≥ 3 |
/// | newCustomers | R ≥ 4, F = 1 |
/// | potentialLoyalists | R ≥ 4, F = 2 |
/// | needAttention | R = 3 (F ≤ 2) |
/// | cantLoseThem | R = 1, F ≥ 4 |
/// | atRisk | R ≤ 2, F ≥ 3 |
/// | hibernating | R = 2 (F ≤ 2) |
/// | lost | R = 1 (F ≤ 2) |
package enum RFMSegment: String, Sendable, Hashable, CaseIterable {
    case champions, loyal, newCustomers, potentialLoyalists, needAttention, cantLoseThem, atRisk, hibernating, lost

    package static func of(recency r: Int, frequency f: Int, monetary m: Int) -> RFMSegment {
        if r >= 4 && f >= 4 && m >= 4 { return .champions }
        if r >= 3 && f >= 3 { return .loyal }
        if r >= 4 { return f == 1 ? .newCustomers : .potentialLoyalists }
        if r == 3 { return .needAttention }
        if r == 1 && f >= 4 { return .cantLoseThem }
        if f >= 3 { return .atRisk }
        return r == 2 ? .hibernating : .lost
    }
}

extension CustomerAnalysisRecord {
    static let dayMs: Int64 = 86_400_000

    var lastOrderDay: Int32? { orders.map(\.lastDay).max() }
    var firstOrderDay: Int32? { orders.map(\.firstDay).min() }
    var orderCount: Int { orders.reduce(0) { $0 + Int($1.count) } }

    func churnRisk(nowMs: Int64) -> ChurnRisk {
        if status == .closed { return ChurnRisk(score: 100, level: .churned, recency: 0, cadence: 0, engagement: 0, service: 0) }
        let nowDay = nowMs.analysisFloorDiv(Self.dayMs)
        let orderDays = lastOrderDay.map { max(0, nowDay - Int64($0)) }
        let activityDays = lastActivityMs.map { max(0, nowDay - $0.analysisFloorDiv(Self.dayMs)) }
        let contactDays = [orderDays, activityDays].compactMap { $0 }.min()

        let recency = contactDays.map { 35 * Double(min($0, 365)) / 365 } ?? 35
        let cadence: Double
        switch (orderCount, orderDays) {
        case (0, _), (_, nil): cadence = 10
        case (1, let days?): cadence = 20 * Double(min(days, 365)) / 365
        case (let n, let days?):
            let span = Double(Int64(lastOrderDay!) - Int64(firstOrderDay!))
            let usualGap = max(1, span / Double(n - 1))
            cadence = 20 * min(max((Double(days) / usualGap - 1) / 3, 0), 1)
        }
        let engagement = activityDays.map { 15 * Double(min($0, 180)) / 180 } ?? 15
        var service = Double(min(casesOpenBreached * 10, 20)) + Double(min((casesOpen - min(casesOpen, casesOpenBreached)) * 2, 4))
        if csatCount > 0 {
            let average = Double(csatSum) / Double(csatCount)
            service += max(0, 3 - average) * 5
        }
        service = min(service, 30)
        let parts = [recency, cadence, engagement, service].map { Int($0.rounded()) }
        let score = min(100, parts.reduce(0, +))
        return ChurnRisk(
            score: score, level: ChurnRisk.level(for: score), recency: parts[0], cadence: parts[1], engagement: parts[2],
            service: parts[3])
    }

    func lifetimeValue(currency: String, nowMs: Int64, churn: ChurnRisk, lifespanYears: Double) -> LifetimeValue {
        let retention = 1 - Double(churn.score) / 100
        guard let facts = orders.first(where: { $0.currency == currency }), facts.count > 0 else {
            return LifetimeValue(
                currency: currency, orders: 0, historic: 0, averageOrderValue: 0, ordersPerYear: 0,
                expectedLifespanYears: lifespanYears, retention: retention, projected: 0, total: 0)
        }
        let average = facts.total / Decimal(Int(facts.count))
        let nowDay = nowMs.analysisFloorDiv(Self.dayMs)
        let years = max(1, Double(nowDay - Int64(facts.firstDay)) / 365)
        let perYear = Double(facts.count) / years
        let projectedAmount = (Double(average.description) ?? 0) * perYear * lifespanYears * retention
        let projected = Decimal(Int64((projectedAmount * 100).rounded())) / 100
        return LifetimeValue(
            currency: currency, orders: Int(facts.count), historic: facts.total, averageOrderValue: average.analysisRounded(),
            ordersPerYear: perYear, expectedLifespanYears: lifespanYears, retention: retention, projected: projected,
            total: facts.total + projected)
    }
}

/// Ranks customers' recency, frequency and monetary values into quintile scores.
///
/// A value's score is `1 + ⌊5 × p⌋` (at most 5) where `p = (worse + equal / 2) / n` — the
/// customer's mid-rank among the `n` customers: ties share a score, a lone customer scores 3,
/// and five distinct values score 1 to 5.
struct RFMRanking: Sendable {
    struct Input {
        var id: String
        var days: Int
        var orders: Int
        var total: Decimal
    }

    let days: [Int]
    let orders: [Int]
    let totals: [Decimal]

    init(_ inputs: [Input]) {
        days = inputs.map(\.days).sorted()
        orders = inputs.map(\.orders).sorted()
        totals = inputs.map(\.total).sorted()
    }

    func score(_ input: Input) -> RFMScore {
        // Fewer days since the last order is better.
        let (lowDays, highDays) = Self.bounds(days, input.days)
        let r = Self.quintile(worse: days.count - highDays, equal: highDays - lowDays, n: days.count)
        let (lowOrders, highOrders) = Self.bounds(orders, input.orders)
        let f = Self.quintile(worse: lowOrders, equal: highOrders - lowOrders, n: orders.count)
        let (lowTotal, highTotal) = Self.bounds(totals, input.total)
        let m = Self.quintile(worse: lowTotal, equal: highTotal - lowTotal, n: totals.count)
        return RFMScore(
            recency: r, frequency: f, monetary: m, segment: .of(recency: r, frequency: f, monetary: m),
            daysSinceLastOrder: input.days, orders: input.orders, monetaryTotal: input.total)
    }

    static func quintile(worse: Int, equal: Int, n: Int) -> Int {
        guard n > 0 else { return 1 }
        return min(5, 1 + (5 * (2 * worse + equal)) / (2 * n))
    }

    /// How many values are below `value`, and how many are at most `value`.
    static func bounds<T: Comparable>(_ sorted: [T], _ value: T) -> (Int, Int) {
        func partition(_ belongsLeft: (T) -> Bool) -> Int {
            var low = 0
            var high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if belongsLeft(sorted[mid]) { low = mid + 1 } else { high = mid }
            }
            return low
        }
        return (partition { $0 < value }, partition { $0 <= value })
    }
}

extension Int64 {
    func analysisFloorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

extension Decimal {
    /// Rounded to cents, half away from zero, without locale-dependent formatting.
    func analysisRounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 2, .plain)
        return result
    }
}
