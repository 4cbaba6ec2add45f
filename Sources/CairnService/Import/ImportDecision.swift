import CairnDomain
import CairnStore
import Foundation

/// The streams a batch of imported rows has read and the events it has decided, so that many
/// rows become one append. Each row decides against the state the rows before it left (an
/// overlay over the log), and the batch's append expects every stream it read to be where it
/// was read — exactly what running the rows one by one through ``CairnService`` would check,
/// at a fraction of the commits.
struct ImportDecision {
    private struct Entry {
        /// The folded state; nil for a stream written without being read.
        var state: (any Sendable)?
        /// The version it was read at; nil when never read.
        var readVersion: UInt64?
        var events: [NewEvent] = []
    }

    let service: CairnService
    let context: CommandContext
    let actor: String
    let correlationId: String
    /// When the batch is decided: its events' ids carry it.
    private let now: CairnStore.Timestamp
    private var entries: [String: Entry] = [:]
    /// Stream names in order of first use, so appends come out in a stable order.
    private var order: [String] = []
    private(set) var eventCount = 0

    init(service: CairnService, now: CairnStore.Timestamp, actor: String, correlationId: String) {
        self.service = service
        self.context = CommandContext(now: CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000), actor: actor)
        self.actor = actor
        self.correlationId = correlationId
        self.now = now
    }

    /// The stream's state as the rows decided so far left it. A malformed id reads as an empty
    /// stream, so the decider reports it among the command's invalid fields.
    mutating func state<D: Decider>(_ decider: D.Type, _ stream: StreamName) throws(CommandError) -> D.State {
        guard Identifier.isValid(stream.id) else { return D.initialState }
        let name = stream.description
        if let entry = entries[name], let state = entry.state as? D.State { return state }
        let (state, version) = try service.load(decider, stream)
        if entries[name] == nil { order.append(name) }
        entries[name, default: Entry()].state = state
        entries[name, default: Entry()].readVersion = version
        return state
    }

    /// Whether the stream held events before this batch.
    func existedBefore(_ stream: StreamName) -> Bool {
        (entries[stream.description]?.readVersion ?? 0) > 0
    }

    /// Records what one row decided: folded into the overlay, queued for the batch's append.
    /// `commandId` names the row and becomes the events' causation id. The events' ids are
    /// time-ordered (UUIDv7), not derived from the command as an API command's are: nothing
    /// looks an import's events up by command, and ids that follow one another keep the log's
    /// event-id index growing at its end instead of dirtying a page of it per event.
    mutating func apply(_ streamed: [StreamedEvent], commandId: String) {
        for item in streamed {
            let name = item.stream.description
            let encoded = item.event.encoded()
            let event = NewEvent(
                id: .v7(at: now), type: encoded.type, schemaVersion: UInt32(encoded.schemaVersion),
                payload: encoded.payload, subject: encoded.subject, actor: actor, correlationId: correlationId,
                causationId: commandId)
            // Changed in place, with one lookup: a copy of the entry would copy its events on
            // every append.
            let streams = entries.count
            Self.add(event, item.event, to: &entries[name, default: Entry()])
            if entries.count > streams { order.append(name) }
            eventCount += 1
        }
    }

    /// One append per stream written (expecting the version it was read at) and an empty one —
    /// a guard — per stream only read.
    func appends() -> [StreamAppend] {
        order.compactMap { name in
            guard let entry = entries[name] else { return nil }
            let expected: ExpectedVersion = entry.readVersion.map { .exact($0) } ?? .any
            return StreamAppend(stream: name, expectedVersion: expected, events: entry.events)
        }
    }

    private static func add(_ event: NewEvent, _ domainEvent: DomainEvent, to entry: inout Entry) {
        entry.events.append(event)
        if let state = entry.state { entry.state = evolve(state, domainEvent) }
    }

    private static func evolve(_ state: any Sendable, _ event: DomainEvent) -> any Sendable {
        switch event {
        case .customer(let e): (state as? CustomerState).map { CustomerDecider.evolve($0, e) } ?? state
        case .lead(let e): (state as? LeadState).map { LeadDecider.evolve($0, e) } ?? state
        case .opportunity(let e): (state as? OpportunityState).map { OpportunityDecider.evolve($0, e) } ?? state
        case .activity(let e): (state as? ActivityState).map { ActivityDecider.evolve($0, e) } ?? state
        case .task(let e): (state as? TaskState).map { TaskDecider.evolve($0, e) } ?? state
        case .order(let e): (state as? OrderState).map { OrderDecider.evolve($0, e) } ?? state
        case .campaign(let e): (state as? CampaignState).map { CampaignDecider.evolve($0, e) } ?? state
        case .serviceCase(let e): (state as? CaseState).map { CaseDecider.evolve($0, e) } ?? state
        case .compliance: state
        }
    }
}
