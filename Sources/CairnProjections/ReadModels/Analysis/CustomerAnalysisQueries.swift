package import CairnDomain
import CairnStore
import Foundation

/// Queries over the `customer-analysis` read model.
///
/// Every figure that depends on time or on other customers is computed here from the `now`
/// passed in. RFM ranks a customer among all others: the ranking (every active customer's
/// recency, frequency and monetary value, sorted) is made from one read of every record and
/// kept in the engine's ``DerivedValues`` per currency and day under the model's RFM stamp,
/// so it is made again only after an order, a closure, a reopening or a merge. One customer's
/// analysis then reads only that customer's record; lists read every record and sort in memory.
///
/// ```swift
/// let analysis = CustomerAnalysisQueries(engine: engine)
/// let one = try analysis.customer("c-42", now: now)
/// let risky = try analysis.customers(sortedBy: .churnRisk, now: now, filter: .init(churnLevels: [.high]), limit: 20)
/// let rfm = try analysis.rfmDistribution(now: now, currency: "EUR")
/// ```
package struct CustomerAnalysisQueries: Sendable {
    package let engine: ProjectionEngine
    package let name: String

    package init(engine: ProjectionEngine, name: String = CustomerAnalysisProjector.projectionName) {
        self.engine = engine
        self.name = name
    }

    /// The analysis of one customer, or nil when the model knows nothing of them.
    package func customer(
        _ id: CustomerID, now: CairnDomain.Timestamp, options: CustomerAnalysisOptions = CustomerAnalysisOptions()
    ) throws -> CustomerAnalysis? {
        try engine.read(name) { model, txn in
            guard let raw = try txn.get(model["customers"], Array(id.utf8)) else { return nil }
            let record = try CustomerAnalysisRecord(decoding: raw)
            let snapshot = AnalysisSnapshot(segments: try Self.segments(model, txn))
            let ranking = try rfmRanking(model, txn, currency: options.reportingCurrency, nowMs: now.millisecondsSinceEpoch)
            return snapshot.analysis(id, record, now: now, options: options, ranking: ranking)
        }
    }

    /// Active customers, highest lifetime value or churn risk first, filtered, one page at a time.
    package func customers(
        sortedBy sort: CustomerAnalysisSort, now: CairnDomain.Timestamp, options: CustomerAnalysisOptions = CustomerAnalysisOptions(),
        filter: CustomerAnalysisFilter = CustomerAnalysisFilter(), limit: Int = 50, cursor: String? = nil
    ) throws -> CustomerAnalysisPage {
        let after = try cursor.map { try AnalysisListCursor(decoding: $0, sort: sort) }
        let (snapshot, ranking) = try self.snapshot(rankingIn: options.reportingCurrency, nowMs: now.millisecondsSinceEpoch)
        var segment: Segment?
        if let campaign = filter.campaignSegment {
            // A campaign without a segment has no members.
            guard let defined = snapshot.segments.first(where: { $0.campaignId == campaign })?.segment else {
                return CustomerAnalysisPage(items: [], nextCursor: nil)
            }
            segment = defined
        }
        // Filter and rank on the cheap figures; build the full analysis only for the page.
        var rows: [(key: Decimal, id: String, record: CustomerAnalysisRecord)] = []
        let nowMs = now.millisecondsSinceEpoch
        for (id, record) in snapshot.records where record.status == .active {
            if let tag = filter.tag, !record.tags.contains(tag) { continue }
            if let owner = filter.ownerId, record.ownerId != owner { continue }
            let churn = record.churnRisk(nowMs: nowMs)
            if let levels = filter.churnLevels, !levels.contains(churn.level) { continue }
            if let segments = filter.rfmSegments {
                guard let input = AnalysisSnapshot.rfmInput(id, record, currency: options.reportingCurrency, nowMs: nowMs),
                    segments.contains(ranking.score(input).segment)
                else { continue }
            }
            if let segment, !segment.matches(snapshot.state(id, record), activity: record.activity, now: now) { continue }
            let key: Decimal =
                switch sort {
                case .lifetimeValue:
                    record.lifetimeValue(
                        currency: options.reportingCurrency, nowMs: nowMs, churn: churn, lifespanYears: options.expectedLifespanYears
                    ).total
                case .churnRisk: Decimal(churn.score)
                }
            if let after, !(key < after.key || (key == after.key && id > after.id)) { continue }
            rows.append((key, id, record))
        }
        rows.sort { $0.key != $1.key ? $0.key > $1.key : $0.id < $1.id }
        let size = max(1, min(limit, 1000))
        let page = rows.prefix(size)
        let next = rows.count > size ? page.last.map { AnalysisListCursor(sort: sort, key: $0.key, id: $0.id).encoded } : nil
        return CustomerAnalysisPage(
            items: page.map { snapshot.analysis($0.id, $0.record, now: now, options: options, ranking: ranking) }, nextCursor: next)
    }

    /// RFM scores and segments of the active customers with orders in `currency`.
    package func rfmDistribution(now: CairnDomain.Timestamp, currency: String) throws -> RFMDistribution {
        let nowMs = now.millisecondsSinceEpoch
        let (snapshot, ranking) = try self.snapshot(rankingIn: currency, nowMs: nowMs)
        let inputs = snapshot.rfmInputs(currency: currency, nowMs: nowMs)
        var segments: [RFMSegment: Int] = [:]
        var r = [Int](repeating: 0, count: 5)
        var f = r
        var m = r
        var grid = [[Int]](repeating: [Int](repeating: 0, count: 5), count: 5)
        for input in inputs {
            let score = ranking.score(input)
            segments[score.segment, default: 0] += 1
            r[score.recency - 1] += 1
            f[score.frequency - 1] += 1
            m[score.monetary - 1] += 1
            grid[score.recency - 1][score.frequency - 1] += 1
        }
        return RFMDistribution(
            currency: currency, customers: inputs.count,
            segments: RFMSegment.allCases.map { RFMDistribution.SegmentCount(segment: $0, customers: segments[$0] ?? 0) },
            recencyScores: r, frequencyScores: f, monetaryScores: m, recencyByFrequency: grid)
    }

    /// The customers a campaign's segment matches as of `now`, in customer-id order.
    package func segmentMembers(
        campaign: CampaignID, now: CairnDomain.Timestamp, limit: Int = 100, cursor: String? = nil
    ) throws -> SegmentMembersPage {
        let after = try cursor.map { try AnalysisListCursor.decodeId($0) }
        let size = max(1, min(limit, 1000))
        func page(_ members: [CustomerID], more: Bool) -> SegmentMembersPage {
            SegmentMembersPage(
                campaignId: campaign, segmentDefined: true, members: members,
                nextCursor: more ? members.last.map(AnalysisListCursor.encodeId) : nil)
        }
        // Records in id order from the cursor on, until the page is full and one more matches.
        return try engine.read(name) { model, txn in
            let snapshot = AnalysisSnapshot(segments: try Self.segments(model, txn))
            guard let segment = snapshot.segments.first(where: { $0.campaignId == campaign })?.segment else {
                return SegmentMembersPage(campaignId: campaign, segmentDefined: false, members: [], nextCursor: nil)
            }
            var members: [CustomerID] = []
            let records = try txn.cursor(model["customers"])
            var entry = try after.map { try records.seek(atLeast: Array($0.utf8)) } ?? records.first()
            while let current = entry {
                let id = String(decoding: current.key, as: UTF8.self)
                if after.map({ id > $0 }) ?? true {
                    let record = try CustomerAnalysisRecord(decoding: current.value)
                    if segment.matches(snapshot.state(id, record), activity: record.activity, now: now) {
                        if members.count == size { return page(members, more: true) }
                        members.append(id)
                    }
                }
                entry = try records.next()
            }
            return page(members, more: false)
        }
    }

    /// Every customer record and segment, and the RFM ranking in `currency` as of `nowMs`'s
    /// day, read in one transaction.
    func snapshot(rankingIn currency: String, nowMs: Int64) throws -> (AnalysisSnapshot, RFMRanking) {
        try engine.read(name) { model, txn in
            let snapshot = AnalysisSnapshot(records: try Self.records(model, txn), segments: try Self.segments(model, txn))
            let ranking = try rfmRanking(model, txn, currency: currency, nowMs: nowMs, records: snapshot.records)
            return (snapshot, ranking)
        }
    }

    /// The ranking of every active customer with orders in `currency` as of `nowMs`'s day: kept
    /// from an earlier query while the model's RFM stamp is unchanged, else made from `records`
    /// (when the caller has read them already) or from every record read now.
    func rfmRanking(
        _ model: ReadModel, _ txn: borrowing LMDBReadTransaction, currency: String, nowMs: Int64,
        records: [(id: String, record: CustomerAnalysisRecord)]? = nil
    ) throws -> RFMRanking {
        let stamp = try CustomerAnalysisProjector.rfmStamp(model, txn)
        let day = nowMs.analysisFloorDiv(CustomerAnalysisRecord.dayMs)
        let key = "\(name)/v\(model.version)/rfm/\(currency)/\(day)"
        return try engine.derived.value(key, stamp: stamp) {
            let all = try records ?? Self.records(model, txn)
            return RFMRanking(all.compactMap { AnalysisSnapshot.rfmInput($0.id, $0.record, currency: currency, nowMs: nowMs) })
        }
    }

    static func records(_ model: ReadModel, _ txn: borrowing LMDBReadTransaction) throws -> [(id: String, record: CustomerAnalysisRecord)] {
        var records: [(id: String, record: CustomerAnalysisRecord)] = []
        let customers = try txn.cursor(model["customers"])
        var entry = try customers.first()
        while let current = entry {
            records.append((String(decoding: current.key, as: UTF8.self), try CustomerAnalysisRecord(decoding: current.value)))
            entry = try customers.next()
        }
        return records
    }

    static func segments(_ model: ReadModel, _ txn: borrowing LMDBReadTransaction) throws -> [(campaignId: String, segment: Segment)] {
        var segments: [(campaignId: String, segment: Segment)] = []
        let cursor = try txn.cursor(model["segments"])
        var entry = try cursor.first()
        while let current = entry {
            let campaignId = String(decoding: current.key, as: UTF8.self)
            if let segment = try AnalysisSnapshot.segment(current.value) { segments.append((campaignId, segment)) }
            entry = try cursor.next()
        }
        return segments
    }
}

/// Every customer record and campaign segment, read in one transaction.
struct AnalysisSnapshot {
    var records: [(id: String, record: CustomerAnalysisRecord)] = []
    var segments: [(campaignId: String, segment: Segment)] = []

    /// Decodes a stored segment definition with the domain's decoder.
    static func segment(_ raw: UnsafeRawBufferPointer) throws -> Segment? {
        var r = AnalysisByteReader(raw)
        let type = try r.string()
        let version = Int(try r.u32())
        let payload = Array(try r.take(raw.count - r.offset))
        switch try CampaignEvent.decode(type: type, schemaVersion: version, payload: payload) {
        case .created(let e): return e.segment
        case .segmentDefined(let e): return e.segment
        default: return nil
        }
    }

    func rfmInputs(currency: String, nowMs: Int64) -> [RFMRanking.Input] {
        records.compactMap { Self.rfmInput($0.id, $0.record, currency: currency, nowMs: nowMs) }
    }

    /// What `record` brings to the RFM ranking in `currency` as of `nowMs`: nil unless the
    /// customer is active and has orders in it.
    static func rfmInput(_ id: String, _ record: CustomerAnalysisRecord, currency: String, nowMs: Int64) -> RFMRanking.Input? {
        guard record.status == .active, let facts = record.orders.first(where: { $0.currency == currency }), facts.count > 0 else {
            return nil
        }
        let nowDay = nowMs.analysisFloorDiv(CustomerAnalysisRecord.dayMs)
        return RFMRanking.Input(id: id, days: Int(max(0, nowDay - Int64(facts.lastDay))), orders: Int(facts.count), total: facts.total)
    }

    func analysis(
        _ id: String, _ record: CustomerAnalysisRecord, now: CairnDomain.Timestamp, options: CustomerAnalysisOptions,
        ranking: RFMRanking
    ) -> CustomerAnalysis {
        let nowMs = now.millisecondsSinceEpoch
        let churn = record.churnRisk(nowMs: nowMs)
        let status: CustomerAnalysis.Status =
            switch record.status {
            case .active: .active
            case .closed: .closed
            case .merged: .merged
            case .unknown: .unknown
            }
        let state = self.state(id, record)
        let activity = record.activity
        return CustomerAnalysis(
            customerId: id, status: status, mergedInto: record.status == .merged ? record.mergedInto : nil,
            ownerId: record.ownerId.isEmpty ? nil : record.ownerId, tags: record.tags, orderCount: record.orderCount,
            firstOrderDate: record.firstOrderDay.map(analysisCalendarDate), lastOrderDate: record.lastOrderDay.map(analysisCalendarDate),
            totals: record.orders.map {
                CurrencyTotal(
                    currency: $0.currency, orders: Int($0.count), total: $0.total, firstOrderDate: analysisCalendarDate($0.firstDay),
                    lastOrderDate: analysisCalendarDate($0.lastDay))
            },
            activityCount: Int(record.activityCount), lastActivityAt: activity.lastActivityAt,
            openCases: Int(record.casesOpen), openBreachedCases: Int(record.casesOpenBreached), slaBreaches: Int(record.slaBreaches),
            csatResponses: Int(record.csatCount),
            csatAverage: record.csatCount > 0 ? Double(record.csatSum) / Double(record.csatCount) : nil,
            lowCsatResponses: Int(record.csatLow), churn: churn,
            lifetimeValue: record.lifetimeValue(
                currency: options.reportingCurrency, nowMs: nowMs, churn: churn, lifespanYears: options.expectedLifespanYears),
            rfm: Self.rfmInput(id, record, currency: options.reportingCurrency, nowMs: nowMs).map { ranking.score($0) },
            segments: segments.filter { $0.segment.matches(state, activity: activity, now: now) }.map(\.campaignId))
    }

    /// The customer as `Segment` sees it: status, kind, attributes, tags, consents.
    func state(_ id: String, _ record: CustomerAnalysisRecord) -> CustomerState {
        var state = CustomerState()
        state.id = id
        state.status =
            switch record.status {
            case .active: .active
            case .closed: .closed
            case .merged: .merged(into: record.mergedInto)
            case .unknown: .notRegistered
            }
        state.kind = record.isOrganization ? .organization : .person
        state.erased = record.erased
        state.attributes = record.attributes
        state.tags = Set(record.tags)
        if let granted = Self.grantedConsent {
            for (channel, purpose) in CustomerAnalysisRecord.consentKeys
            where record.consentBits & CustomerAnalysisRecord.consentBit(channel, purpose) != 0 {
                state.consents[ConsentKey(channel, purpose)] = granted
            }
        }
        return state
    }

    /// A granted `ConsentRecord`, made by the domain's own decode and fold because the type has
    /// no public initializer. Segments only look at `granted`.
    static let grantedConsent: ConsentRecord? = {
        let payload =
            #"{"channel":"email","customerId":"analysis","grantedAt":"1970-01-01T00:00:00.000Z","legalBasis":"consent","purpose":"marketing","source":"customer-analysis"}"#
        guard let event = try? CustomerEvent.decode(type: "customers.ConsentGranted", schemaVersion: 1, payload: Array(payload.utf8))
        else { return nil }
        return CustomerDecider.evolve(CustomerState(), event).consents.values.first
    }()
}

extension CustomerAnalysisRecord {
    var activity: CustomerActivity {
        CustomerActivity(
            lastActivityAt: lastActivityMs.map { CairnDomain.Timestamp(millisecondsSinceEpoch: $0) }, activityCount: Int(activityCount))
    }
}

/// The opaque list cursor: the sort, the last row's sort key and its customer id.
struct AnalysisListCursor {
    var sort: CustomerAnalysisSort
    var key: Decimal
    var id: String

    init(sort: CustomerAnalysisSort, key: Decimal, id: String) {
        self.sort = sort
        self.key = key
        self.id = id
    }

    var encoded: String { Data("\(sort.rawValue)\n\(key)\n\(id)".utf8).base64EncodedString() }

    init(decoding text: String, sort: CustomerAnalysisSort) throws {
        let parts = Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self).split(separator: "\n", maxSplits: 2) } ?? []
        guard parts.count == 3, parts[0] == sort.rawValue,
            let key = Decimal(string: String(parts[1]), locale: CustomerAnalysisRecord.posix)
        else { throw CustomerAnalysisQueryError.invalidCursor("cursor '\(text)' was not issued for a list sorted by \(sort.rawValue)") }
        self.init(sort: sort, key: key, id: String(parts[2]))
    }

    static func encodeId(_ id: String) -> String { Data("member\n\(id)".utf8).base64EncodedString() }

    static func decodeId(_ text: String) throws -> String {
        let parts = Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self).split(separator: "\n", maxSplits: 1) } ?? []
        guard parts.count == 2, parts[0] == "member" else {
            throw CustomerAnalysisQueryError.invalidCursor("cursor '\(text)' was not issued by segmentMembers")
        }
        return String(parts[1])
    }
}
