import CairnDomain
import Foundation

/// What the customer-analysis model keeps per customer: the inputs of RFM, lifetime value,
/// churn risk and segment evaluation — never a figure that depends on "now", which queries
/// compute from the `now` they are given.
struct CustomerAnalysisRecord: Sendable, Equatable {
    enum Status: UInt8, Sendable {
        /// Facts arrived for an id whose registration this model has not seen.
        case unknown = 0
        case active = 1
        case closed = 2
        case merged = 3
    }

    var status = Status.unknown
    /// The survivor, when merged: later facts about this id are credited to it.
    var mergedInto = ""
    var erased = false
    var isOrganization = false
    var ownerId = ""
    /// `recordedAt` of the registration, in milliseconds.
    var registeredAtMs: Int64 = 0
    /// Sorted, unique.
    var tags: [String] = []
    var attributes: [String: AttributeValue] = [:]
    /// Granted consents, one bit per channel × purpose (see ``consentBit(_:_:)``).
    var consentBits: UInt8 = 0
    /// Order facts per currency, sorted by currency.
    var orders: [AnalysisCurrencyFacts] = []
    var activityCount: UInt32 = 0
    /// Business time (`occurredAt`) of the latest activity, in milliseconds.
    var lastActivityMs: Int64?
    var casesTotal: UInt32 = 0
    var casesOpen: UInt32 = 0
    /// Open cases with at least one missed SLA deadline.
    var casesOpenBreached: UInt32 = 0
    var slaBreaches: UInt32 = 0
    var csatCount: UInt32 = 0
    var csatSum: UInt32 = 0
    /// CSAT scores of 1 or 2.
    var csatLow: UInt32 = 0

    static func consentBit(_ channel: ContactChannel, _ purpose: ConsentPurpose) -> UInt8 {
        let c: UInt8 =
            switch channel {
            case .email: 0
            case .sms: 1
            case .phone: 2
            case .post: 3
            }
        return 1 << (c * 2 + (purpose == .marketing ? 0 : 1))
    }

    static let consentKeys: [(ContactChannel, ConsentPurpose)] = [ContactChannel.email, .sms, .phone, .post].flatMap { channel in
        [(channel, ConsentPurpose.marketing), (channel, .service)]
    }

    /// Adds an order in `currency` dated `day` (days since 1970-01-01).
    mutating func addOrder(currency: String, total: Decimal, day: Int32) {
        let facts = AnalysisCurrencyFacts(currency: currency, count: 1, total: total, firstDay: day, lastDay: day)
        merge(facts)
    }

    mutating func merge(_ facts: AnalysisCurrencyFacts) {
        if let index = orders.firstIndex(where: { $0.currency == facts.currency }) {
            orders[index].count += facts.count
            orders[index].total += facts.total
            orders[index].firstDay = min(orders[index].firstDay, facts.firstDay)
            orders[index].lastDay = max(orders[index].lastDay, facts.lastDay)
        } else {
            orders.append(facts)
            orders.sort { $0.currency < $1.currency }
        }
    }

    /// Takes over a merged duplicate's orders, activities and service history, so the
    /// survivor's value and risk reflect the whole relationship.
    mutating func absorb(_ duplicate: CustomerAnalysisRecord) {
        for facts in duplicate.orders { merge(facts) }
        activityCount += duplicate.activityCount
        if let last = duplicate.lastActivityMs { lastActivityMs = max(lastActivityMs ?? last, last) }
        casesTotal += duplicate.casesTotal
        casesOpen += duplicate.casesOpen
        casesOpenBreached += duplicate.casesOpenBreached
        slaBreaches += duplicate.slaBreaches
        csatCount += duplicate.csatCount
        csatSum += duplicate.csatSum
        csatLow += duplicate.csatLow
    }

    /// Forgets the facts `absorb` moved to the survivor.
    mutating func clearFacts() {
        orders = []
        activityCount = 0
        lastActivityMs = nil
        casesTotal = 0
        casesOpen = 0
        casesOpenBreached = 0
        slaBreaches = 0
        csatCount = 0
        csatSum = 0
        csatLow = 0
    }
}

extension CustomerAnalysisRecord {
    /// What a customer brings to RFM rankings: their orders while active, nothing otherwise.
    struct RFMInputs: Equatable {
        var orders: [AnalysisCurrencyFacts]
    }

    var rfmInputs: RFMInputs { RFMInputs(orders: status == .active ? orders : []) }
}

/// A customer's orders in one currency.
struct AnalysisCurrencyFacts: Sendable, Equatable {
    var currency: String
    var count: UInt32
    var total: Decimal
    /// Order dates as days since 1970-01-01.
    var firstDay: Int32
    var lastDay: Int32
}

/// A service case as far as the analysis needs it: whose, whether open, whether breached.
struct AnalysisCaseRecord: Sendable, Equatable {
    enum Status: UInt8 { case open = 1, resolved = 2, closed = 3 }
    var customerId: String
    var status: Status
    var breached: Bool
}

// MARK: Encoding

/// Layout errors in stored analysis values (a bug or a corrupt model, never user input).
struct AnalysisFormatError: Error, CustomStringConvertible {
    var description: String
}

/// Appends fixed-width big-endian integers and length-prefixed strings.
struct AnalysisByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what ``AnalysisByteWriter`` wrote, refusing to run past the end.
struct AnalysisByteReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func take(_ n: Int) throws(AnalysisFormatError) -> UnsafeRawBufferPointer {
        guard n >= 0, offset + n <= raw.count else { throw AnalysisFormatError(description: "analysis value truncated at \(offset)") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])
    }

    mutating func u8() throws(AnalysisFormatError) -> UInt8 { try take(1)[0] }
    mutating func u32() throws(AnalysisFormatError) -> UInt32 { UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func i32() throws(AnalysisFormatError) -> Int32 { Int32(bitPattern: try u32()) }
    mutating func u64() throws(AnalysisFormatError) -> UInt64 { UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws(AnalysisFormatError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func string() throws(AnalysisFormatError) -> String {
        let count = Int(try u32())
        return String(decoding: try take(count), as: UTF8.self)
    }
    var atEnd: Bool { offset == raw.count }
}

extension CustomerAnalysisRecord {
    static let formatVersion: UInt8 = 1
    /// Amounts are stored as `Decimal.description` text, which never uses a locale's separators.
    static let posix = Locale(identifier: "en_US_POSIX")
    static let noActivity = Int64.min

    /// Hand-encoded, fields in a fixed order and maps in key order, so equal records are
    /// equal bytes (the content digest relies on it).
    var encoded: [UInt8] {
        var w = AnalysisByteWriter()
        w.bytes.reserveCapacity(128)
        w.u8(Self.formatVersion)
        w.u8(status.rawValue)
        w.string(mergedInto)
        w.u8((erased ? 1 : 0) | (isOrganization ? 2 : 0))
        w.string(ownerId)
        w.i64(registeredAtMs)
        w.u32(UInt32(tags.count))
        for tag in tags { w.string(tag) }
        w.u32(UInt32(attributes.count))
        for key in attributes.keys.sorted() {
            w.string(key)
            switch attributes[key]! {
            case .string(let s):
                w.u8(0)
                w.string(s)
            case .number(let n):
                w.u8(1)
                w.u64(n.bitPattern)
            case .boolean(let b):
                w.u8(2)
                w.u8(b ? 1 : 0)
            case .date(let d):
                w.u8(3)
                w.i32(Int32(d.year))
                w.u8(UInt8(d.month))
                w.u8(UInt8(d.day))
            }
        }
        w.u8(consentBits)
        w.u32(UInt32(orders.count))
        for facts in orders {
            w.string(facts.currency)
            w.u32(facts.count)
            w.string(facts.total.plainDescription)
            w.i32(facts.firstDay)
            w.i32(facts.lastDay)
        }
        w.u32(activityCount)
        w.i64(lastActivityMs ?? Self.noActivity)
        for counter in [casesTotal, casesOpen, casesOpenBreached, slaBreaches, csatCount, csatSum, csatLow] { w.u32(counter) }
        return w.bytes
    }

    init(decoding raw: UnsafeRawBufferPointer) throws(AnalysisFormatError) {
        var r = AnalysisByteReader(raw)
        guard try r.u8() == Self.formatVersion else { throw AnalysisFormatError(description: "unknown analysis record format") }
        guard let status = Status(rawValue: try r.u8()) else { throw AnalysisFormatError(description: "unknown customer status") }
        self.status = status
        mergedInto = try r.string()
        let flags = try r.u8()
        erased = flags & 1 != 0
        isOrganization = flags & 2 != 0
        ownerId = try r.string()
        registeredAtMs = try r.i64()
        let tagCount = Int(try r.u32())
        tags = []
        tags.reserveCapacity(tagCount)
        for _ in 0..<tagCount { tags.append(try r.string()) }
        let attributeCount = Int(try r.u32())
        for _ in 0..<attributeCount {
            let key = try r.string()
            switch try r.u8() {
            case 0: attributes[key] = .string(try r.string())
            case 1: attributes[key] = .number(Double(bitPattern: try r.u64()))
            case 2: attributes[key] = .boolean(try r.u8() != 0)
            case 3:
                let (y, m, d) = (Int(try r.i32()), Int(try r.u8()), Int(try r.u8()))
                guard let date = CalendarDate(year: y, month: m, day: d) else {
                    throw AnalysisFormatError(description: "bad date attribute")
                }
                attributes[key] = .date(date)
            default: throw AnalysisFormatError(description: "unknown attribute kind")
            }
        }
        consentBits = try r.u8()
        let orderCount = Int(try r.u32())
        for _ in 0..<orderCount {
            let currency = try r.string()
            let count = try r.u32()
            let text = try r.string()
            guard let total = Decimal(string: text, locale: Self.posix) else {
                throw AnalysisFormatError(description: "bad order total '\(text)'")
            }
            orders.append(
                AnalysisCurrencyFacts(currency: currency, count: count, total: total, firstDay: try r.i32(), lastDay: try r.i32()))
        }
        activityCount = try r.u32()
        let last = try r.i64()
        lastActivityMs = last == Self.noActivity ? nil : last
        casesTotal = try r.u32()
        casesOpen = try r.u32()
        casesOpenBreached = try r.u32()
        slaBreaches = try r.u32()
        csatCount = try r.u32()
        csatSum = try r.u32()
        csatLow = try r.u32()
        guard r.atEnd else { throw AnalysisFormatError(description: "trailing bytes in analysis record") }
    }
}

extension AnalysisCaseRecord {
    var encoded: [UInt8] {
        var w = AnalysisByteWriter()
        w.u8(status.rawValue)
        w.u8(breached ? 1 : 0)
        w.string(customerId)
        return w.bytes
    }

    init(decoding raw: UnsafeRawBufferPointer) throws(AnalysisFormatError) {
        var r = AnalysisByteReader(raw)
        guard let status = Status(rawValue: try r.u8()) else { throw AnalysisFormatError(description: "unknown case status") }
        self.status = status
        breached = try r.u8() != 0
        customerId = try r.string()
    }
}

/// Days since 1970-01-01 of a calendar date (proleptic Gregorian), as order recency needs.
func analysisDayNumber(_ date: CalendarDate) -> Int32 {
    let y = date.month <= 2 ? date.year - 1 : date.year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (date.month + 9) % 12
    let doy = (153 * mp + 2) / 5 + date.day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return Int32(era * 146_097 + doe - 719_468)
}

/// The calendar date of a day number (inverse of ``analysisDayNumber(_:)``).
func analysisCalendarDate(_ day: Int32) -> CalendarDate {
    let z = Int(day) + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return CalendarDate(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)!
}
