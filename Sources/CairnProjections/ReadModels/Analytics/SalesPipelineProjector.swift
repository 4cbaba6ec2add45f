import CairnDomain
package import CairnStore
import Foundation

/// Folds opportunities and leads into the sales pipeline: open pipeline cells (close month ×
/// stage × owner × currency, with count, amount and probability-weighted amount), per-owner
/// win/loss counts with sales-cycle sums and won revenue, and the lead funnel by source and
/// by campaign.
///
/// Aggregates are kept current as events arrive (a stage or amount change moves the
/// opportunity's contribution from one cell to another), so queries read a handful of cells
/// instead of every opportunity.
package struct SalesPipelineProjector: Projector {
    package let name = "sales-pipeline"
    package let version = 1
    package let eventTypePrefixes = ["sales.Opportunity", "sales.Lead"]
    package let databaseNames = ["funnel", "leads", "openCells", "opportunities", "owners"]

    package init() {}

    package func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var state = SalesPipelineBatch(model)
        for projected in events {
            let event = projected.record
            let decoded = try projected.decoded()
            switch decoded {
            case .opportunity(let e): try state.apply(e, at: event.analyticsMillis, txn)
            case .lead(let e): try state.apply(e, txn)
            default: break
            }
        }
        try state.flush(txn)
    }
}

/// Opportunity life-cycle status as stored.
enum PipelineStatus: UInt8 { case open = 0, won = 1, lost = 2 }

/// What the pipeline remembers of one opportunity, to move its contribution when it changes.
struct PipelineOpportunity: AnalyticsRecord {
    var status: PipelineStatus
    var stage: UInt8
    var probability: UInt8
    var closeMonth: UInt32
    var openedAt: Int64
    var closedAt: Int64
    var owner: String
    var currency: String
    var amount: Decimal

    init(
        status: PipelineStatus, stage: UInt8, probability: UInt8, closeMonth: UInt32, openedAt: Int64, closedAt: Int64,
        owner: String, currency: String, amount: Decimal
    ) {
        self.status = status
        self.stage = stage
        self.probability = probability
        self.closeMonth = closeMonth
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.owner = owner
        self.currency = currency
        self.amount = amount
    }

    init(reading r: inout AnalyticsReader) throws {
        guard let status = PipelineStatus(rawValue: try r.u8()) else { throw AnalyticsModelError.corrupt }
        self.status = status
        stage = try r.u8()
        probability = try r.u8()
        closeMonth = try r.u32()
        openedAt = try r.i64()
        closedAt = try r.i64()
        owner = try r.string()
        currency = try r.string()
        amount = try r.decimal()
    }

    func write(to w: inout AnalyticsWriter) {
        w.u8(status.rawValue)
        w.u8(stage)
        w.u8(probability)
        w.u32(closeMonth)
        w.i64(openedAt)
        w.i64(closedAt)
        w.string(owner)
        w.string(currency)
        w.decimal(amount)
    }

    /// `month | stage | owner 0x00 currency`: month first so a close-month range is one seek.
    var cellKey: [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(6 + owner.utf8.count + currency.utf8.count)
        withUnsafeBytes(of: closeMonth.bigEndian) { key.append(contentsOf: $0) }
        key.append(stage)
        key.append(contentsOf: owner.utf8)
        key.append(0)
        key.append(contentsOf: currency.utf8)
        return key
    }

    /// The amount times the probability in percent, as a multiplication by `p × 10⁻²` (exact,
    /// and without Decimal's slow division).
    var weighted: Decimal { amount * Decimal(sign: .plus, exponent: -2, significand: Decimal(Int(probability))) }
}

/// One open-pipeline cell: how many opportunities, their amount and weighted amount.
struct PipelineCellValue: AnalyticsRecord {
    var count: UInt64 = 0
    var amount: Decimal = 0
    var weighted: Decimal = 0

    init() {}
    init(reading r: inout AnalyticsReader) throws {
        count = try r.u64()
        amount = try r.decimal()
        weighted = try r.decimal()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u64(count)
        w.decimal(amount)
        w.decimal(weighted)
    }
}

/// Closed opportunities of one owner (at close time): wins, losses, the summed open → close
/// durations and the won revenue per currency.
struct PipelineOwnerValue: AnalyticsRecord {
    var won: UInt64 = 0
    var lost: UInt64 = 0
    var cycleMillis: Int64 = 0
    var wonRevenue: [String: Decimal] = [:]

    init() {}
    init(reading r: inout AnalyticsReader) throws {
        won = try r.u64()
        lost = try r.u64()
        cycleMillis = try r.i64()
        wonRevenue = try r.sums()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u64(won)
        w.u64(lost)
        w.i64(cycleMillis)
        w.sums(wonRevenue)
    }
}

/// What the funnel remembers of a lead: where it came from and which steps it has counted.
struct PipelineLead: AnalyticsRecord {
    static let qualified: UInt8 = 1, disqualified: UInt8 = 2, converted: UInt8 = 4
    var steps: UInt8
    var source: String
    var campaign: String

    init(steps: UInt8, source: String, campaign: String) {
        self.steps = steps
        self.source = source
        self.campaign = campaign
    }
    init(reading r: inout AnalyticsReader) throws {
        steps = try r.u8()
        source = try r.string()
        campaign = try r.string()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u8(steps)
        w.string(source)
        w.string(campaign)
    }
}

/// Funnel counts of one source or campaign.
struct PipelineFunnelValue: AnalyticsRecord {
    var captured: UInt64 = 0
    var qualified: UInt64 = 0
    var disqualified: UInt64 = 0
    var converted: UInt64 = 0

    init() {}
    init(reading r: inout AnalyticsReader) throws {
        captured = try r.u64()
        qualified = try r.u64()
        disqualified = try r.u64()
        converted = try r.u64()
    }
    func write(to w: inout AnalyticsWriter) {
        w.u64(captured)
        w.u64(qualified)
        w.u64(disqualified)
        w.u64(converted)
    }
}

/// Funnel keys: `s` + source, `c` + campaign id.
enum PipelineFunnelKey {
    static let source = UInt8(ascii: "s"), campaign = UInt8(ascii: "c")
    static func key(_ kind: UInt8, _ name: String) -> [UInt8] { [kind] + Array(name.utf8) }
}

extension OpportunityStage {
    var analyticsIndex: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }
    init?(analyticsIndex: UInt8) {
        guard Int(analyticsIndex) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(analyticsIndex)]
    }
}

extension CalendarDate {
    /// `yyyymm`, which sorts like the months it stands for.
    var analyticsMonth: UInt32 { UInt32(year * 100 + month) }
}

/// The pipeline records one fold batch works on.
private struct SalesPipelineBatch {
    var opportunities: AnalyticsBatch<PipelineOpportunity>
    var cells: AnalyticsBatch<PipelineCellValue>
    var owners: AnalyticsBatch<PipelineOwnerValue>
    var leads: AnalyticsBatch<PipelineLead>
    var funnel: AnalyticsBatch<PipelineFunnelValue>

    init(_ model: ReadModel) {
        opportunities = AnalyticsBatch(model["opportunities"])
        cells = AnalyticsBatch(model["openCells"])
        owners = AnalyticsBatch(model["owners"])
        leads = AnalyticsBatch(model["leads"])
        funnel = AnalyticsBatch(model["funnel"])
    }

    func flush(_ txn: borrowing LMDBWriteTransaction) throws {
        try opportunities.flush(txn)
        try cells.flush(txn)
        try owners.flush(txn)
        try leads.flush(txn)
        try funnel.flush(txn)
    }

    /// Adds (`sign` 1) or removes (`sign` -1) an open opportunity's contribution to its cell;
    /// an emptied cell is deleted so the model holds the same keys however it got there.
    mutating func contribute(_ o: PipelineOpportunity, _ sign: Int, _ txn: borrowing LMDBWriteTransaction) throws {
        guard o.status == .open else { return }
        let key = o.cellKey
        var cell = try cells.get(key, txn) ?? PipelineCellValue()
        if sign > 0 {
            cell.count += 1
            cell.amount += o.amount
            cell.weighted += o.weighted
        } else {
            cell.count -= min(cell.count, 1)
            cell.amount -= o.amount
            cell.weighted -= o.weighted
        }
        cells.set(key, cell.count == 0 ? nil : cell)
    }

    /// Counts (`sign` 1) or retracts (`sign` -1, on reopening) a closed opportunity's outcome.
    mutating func close(_ o: PipelineOpportunity, _ sign: Int64, _ txn: borrowing LMDBWriteTransaction) throws {
        guard o.status != .open else { return }
        let key = Array(o.owner.utf8)
        var owner = try owners.get(key, txn) ?? PipelineOwnerValue()
        if o.status == .won {
            owner.won = UInt64(Int64(owner.won) + sign)
            owner.wonRevenue[o.currency, default: 0] += sign > 0 ? o.amount : -o.amount
            if owner.wonRevenue[o.currency] == 0 { owner.wonRevenue[o.currency] = nil }
        } else {
            owner.lost = UInt64(Int64(owner.lost) + sign)
        }
        owner.cycleMillis += sign * (o.closedAt - o.openedAt)
        owners.set(key, owner.won == 0 && owner.lost == 0 ? nil : owner)
    }

    mutating func apply(_ event: OpportunityEvent, at millis: Int64, _ txn: borrowing LMDBWriteTransaction) throws {
        if case .opened(let e) = event {
            let o = PipelineOpportunity(
                status: .open, stage: e.stage.analyticsIndex, probability: UInt8(clamping: e.probability),
                closeMonth: e.expectedCloseDate.analyticsMonth, openedAt: millis, closedAt: 0, owner: e.ownerId,
                currency: e.amount.currency, amount: e.amount.amount)
            let key = Array(e.opportunityId.utf8)
            // A second opening of the same id cannot come from the domain; replace, never double count.
            if let old = try opportunities.get(key, txn) {
                try contribute(old, -1, txn)
                try close(old, -1, txn)
            }
            try contribute(o, 1, txn)
            opportunities.set(key, o)
            return
        }
        let key = Array(opportunityId(of: event).utf8)
        guard var o = try opportunities.get(key, txn) else { return }
        try contribute(o, -1, txn)
        switch event {
        case .opened: break
        case .stageChanged(let e):
            o.stage = e.to.analyticsIndex
            o.probability = UInt8(clamping: e.probability)
        case .amountChanged(let e):
            o.amount = e.amount.amount
            o.currency = e.amount.currency
        case .closeDateChanged(let e): o.closeMonth = e.expectedCloseDate.analyticsMonth
        case .ownerChanged(let e): o.owner = e.ownerId
        case .won(let e):
            guard o.status == .open else { break }
            o.status = .won
            o.amount = e.amount.amount
            o.currency = e.amount.currency
            o.closedAt = e.closedAt.millisecondsSinceEpoch
            try close(o, 1, txn)
        case .lost(let e):
            guard o.status == .open else { break }
            o.status = .lost
            o.closedAt = e.closedAt.millisecondsSinceEpoch
            try close(o, 1, txn)
        case .reopened(let e):
            try close(o, -1, txn)
            o.status = .open
            o.closedAt = 0
            o.stage = e.stage.analyticsIndex
            o.probability = UInt8(clamping: e.probability)
        }
        try contribute(o, 1, txn)
        opportunities.set(key, o)
    }

    private func opportunityId(of event: OpportunityEvent) -> String {
        switch event {
        case .opened(let e): e.opportunityId
        case .stageChanged(let e): e.opportunityId
        case .amountChanged(let e): e.opportunityId
        case .closeDateChanged(let e): e.opportunityId
        case .ownerChanged(let e): e.opportunityId
        case .won(let e): e.opportunityId
        case .lost(let e): e.opportunityId
        case .reopened(let e): e.opportunityId
        }
    }

    mutating func apply(_ event: LeadEvent, _ txn: borrowing LMDBWriteTransaction) throws {
        switch event {
        case .captured(let e):
            let key = Array(e.leadId.utf8)
            guard try leads.get(key, txn) == nil else { return }
            let lead = PipelineLead(steps: 0, source: e.source, campaign: e.campaignId ?? "")
            leads.set(key, lead)
            try count(lead, txn) { $0.captured += 1 }
        case .qualified(let e): try step(e.leadId, PipelineLead.qualified, txn) { $0.qualified += 1 }
        case .disqualified(let e): try step(e.leadId, PipelineLead.disqualified, txn) { $0.disqualified += 1 }
        case .converted(let e): try step(e.leadId, PipelineLead.converted, txn) { $0.converted += 1 }
        // Contact details, and their erasure, do not move a lead through the funnel.
        case .updated, .erased: return
        }
    }

    /// Counts a lead's step once, however often the step is recorded.
    private mutating func step(
        _ leadId: String, _ flag: UInt8, _ txn: borrowing LMDBWriteTransaction, _ bump: (inout PipelineFunnelValue) -> Void
    ) throws {
        let key = Array(leadId.utf8)
        guard var lead = try leads.get(key, txn), lead.steps & flag == 0 else { return }
        lead.steps |= flag
        leads.set(key, lead)
        try count(lead, txn, bump)
    }

    private mutating func count(
        _ lead: PipelineLead, _ txn: borrowing LMDBWriteTransaction, _ bump: (inout PipelineFunnelValue) -> Void
    ) throws {
        var keys = [PipelineFunnelKey.key(PipelineFunnelKey.source, lead.source)]
        if !lead.campaign.isEmpty { keys.append(PipelineFunnelKey.key(PipelineFunnelKey.campaign, lead.campaign)) }
        for key in keys {
            var value = try funnel.get(key, txn) ?? PipelineFunnelValue()
            bump(&value)
            funnel.set(key, value)
        }
    }
}
