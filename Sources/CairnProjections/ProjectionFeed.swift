package import CairnDomain
package import CairnStore
import Foundation
import Synchronization

/// An event as a projector folds it: the stored record, and its payload decoded once for every
/// projection of the engine.
package struct ProjectedEvent: Sendable {
    let page: DecodedPage
    let index: Int

    /// The record as stored in the log.
    package var record: RecordedEvent { page.records[index] }
    /// The page's first position plus the index: positions never skip, and this reads no
    /// record bytes (which a page of thousands has long pushed out of the CPU's caches).
    package var position: UInt64 { page.from + UInt64(index) }
    package var type: String { page.type(at: index) }
    package var stream: String { page.records[index].stream }
    /// The customer the event concerns, made once per page for every projection that asks.
    package var subject: String? { page.subjects[index] }
    package var recordedAt: CairnStore.Timestamp { page.records[index].recordedAt }

    /// The payload as the domain's event; throws the decoding error for a payload the domain
    /// cannot read, so the projection that needs it stops at this position.
    package func decoded() throws -> DomainEvent {
        switch page.decoded[index] {
        case .success(let event): return event
        case .failure(let error): throw error
        }
    }
}

/// Consecutive events of the log with their decoded payloads; immutable once made, shared by
/// every runner that folds them.
final class DecodedPage: Sendable {
    let from: UInt64
    /// One past the last position the page covers.
    let next: UInt64
    let records: [RecordedEvent]
    /// The distinct event types of the page, in order of first appearance, each made once (a
    /// record makes a new string each time it is asked) and shared by the records of that type.
    let distinctTypes: [String]
    /// Each record's type as an index into ``distinctTypes``: a runner matches its filter
    /// against the page's few types once, not against every record.
    let typeIndices: [Int]
    /// Each record's subject: every projection keyed by customer asks for it, and a record
    /// makes a new string each time.
    let subjects: [String?]
    let decoded: [Result<DomainEvent, any Error>]

    init(from: UInt64, next: UInt64, records: [RecordedEvent], payloads: any EventPayloadReader) {
        self.from = from
        self.next = next
        self.records = records
        assert(records.enumerated().allSatisfy { $0.element.position == from + UInt64($0.offset) }, "a page's positions skip")
        var distinct: [String] = []
        var indexOf: [String: Int] = [:]
        let typeIndices = records.map { record in
            let type = record.type
            if let known = indexOf[type] { return known }
            indexOf[type] = distinct.count
            distinct.append(type)
            return distinct.count - 1
        }
        self.distinctTypes = distinct
        self.typeIndices = typeIndices
        self.subjects = records.map(\.subject)
        self.decoded = payloads.withSources { source in
            records.indices.map { index in
                Result {
                    try EventCatalogue.decode(
                        type: distinct[typeIndices[index]], schemaVersion: Int(records[index].schemaVersion),
                        source: try source(records[index]))
                }
            }
        }
    }

    func type(at index: Int) -> String { distinctTypes[typeIndices[index]] }
}

/// Reads and decodes the log for all the runners of one engine, so each event is decoded once
/// however many projections fold it.
///
/// Pages are aligned to ``pageSize`` positions, so runners that start at different checkpoints
/// soon ask for the same pages. A page is kept until ``capacity`` newer ones push it out; a
/// runner that gets further than that ahead of a catching-up runner not far behind it waits
/// (briefly, and never indefinitely) for it, so the pages it needs are still there when the
/// slow one arrives rather than decoded twice. Runners that follow live appends ask for small pages at
/// the same positions and share them the same way.
final class ProjectionFeed: @unchecked Sendable {
    static let pageSize: UInt64 = 4096

    let log: EventLog
    let payloads: any EventPayloadReader
    let capacity: Int
    /// How long a runner that is too far ahead waits for the slowest before it reads anyway.
    let patience: TimeInterval

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pages: [UInt64: DecodedPage] = [:]
    private var order: [UInt64] = []
    private var loading: Set<UInt64> = []
    private var readers: [ObjectIdentifier: UInt64] = [:]
    /// Events decoded so far: the log's length when every page was shared.
    let decodedEvents = Atomic<UInt64>(0)

    init(log: EventLog, payloads: any EventPayloadReader, capacity: Int = 24, patience: TimeInterval = 0.25) {
        self.payloads = payloads
        self.log = log
        self.capacity = capacity
        self.patience = patience
    }

    /// The page holding position `from` and the index of `from` in it, read and decoded by the
    /// first runner that asks; nil when nothing is committed at `from` yet. `reader`
    /// identifies the asking runner for pacing.
    func page(at from: UInt64, reader: ObjectIdentifier) throws -> (page: DecodedPage, index: Int)? {
        let key = (from - 1) / Self.pageSize
        condition.lock()
        readers[reader] = from
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: patience)
        while true {
            if let page = pages[key], page.from <= from, from < page.next {
                condition.unlock()
                return (page, Int(from - page.from))
            }
            if loading.contains(key) {
                condition.wait()
                continue
            }
            if isTooFarAhead(from), condition.wait(until: deadline) { continue }
            break
        }
        loading.insert(key)
        condition.unlock()

        let end = (key + 1) * Self.pageSize + 1
        let page: DecodedPage?
        do {
            let read = try log.read(from: from, limit: Int(end - from))
            page = read.next > from ? DecodedPage(from: from, next: read.next, records: read.events, payloads: payloads) : nil
            decodedEvents.add(UInt64(read.events.count), ordering: .relaxed)
        } catch {
            condition.lock()
            loading.remove(key)
            condition.broadcast()
            condition.unlock()
            throw error
        }
        condition.lock()
        loading.remove(key)
        if let page {
            // A page read while its end was not yet written is replaced by the longer one.
            if pages.updateValue(page, forKey: key) == nil {
                order.append(key)
                if order.count > capacity { pages.removeValue(forKey: order.removeFirst()) }
            }
        }
        condition.broadcast()
        condition.unlock()
        return page.map { ($0, 0) }
    }

    /// The runner stopped reading (it is at the head, stopped or failed): nobody waits for it.
    func leave(_ reader: ObjectIdentifier) {
        condition.lock()
        readers.removeValue(forKey: reader)
        condition.broadcast()
        condition.unlock()
    }

    /// Whether a new page at `from` would push out pages a runner not far behind has yet to
    /// fold. A runner further behind than twice the cache is not waited for: it could not share
    /// the pages anyway (a rebuild from 0 must not slow down the projections following the head).
    private func isTooFarAhead(_ from: UInt64) -> Bool {
        let window = UInt64(max(capacity - 4, 1)) * Self.pageSize
        return readers.values.contains { reader in reader < from && from - reader > window && from - reader <= 2 * window }
    }
}
