package import CairnDomain
package import CairnStore

/// A point in the log's history: a global position, or a server time (`recordedAt`, which
/// never decreases along positions, so "as of a time" is "as of the last position recorded
/// at or before it").
package enum AsOfPoint: Sendable, Hashable {
    case position(UInt64)
    case time(CairnStore.Timestamp)

    package func includes(_ event: RecordedEvent) -> Bool {
        switch self {
        case .position(let position): event.position <= position
        case .time(let time): event.recordedAt <= time
        }
    }
}

/// An aggregate's state folded from its stream up to a point in history.
package struct AsOfState<State: Sendable>: Sendable {
    package var state: State
    /// The stream version folded: 0 when the stream had no event yet at that point.
    package var version: UInt64
    /// Global position of the last event folded, 0 when none.
    package var position: UInt64
    /// When the last event folded was recorded, nil when none.
    package var recordedAt: CairnStore.Timestamp?
}

/// The customer as it stood at `point`: `customer-<id>` folded with `CustomerDecider.evolve`.
package func customerState(
    _ id: CustomerID, asOf point: AsOfPoint, in log: EventLog, payloads: any EventPayloadReader
) throws -> AsOfState<CustomerState> {
    try aggregateState(CustomerDecider.self, stream: StreamName(.customer, id), asOf: point, in: log, payloads: payloads)
}

/// The opportunity as it stood at `point`: `opportunity-<id>` folded with `OpportunityDecider.evolve`.
package func opportunityState(
    _ id: OpportunityID, asOf point: AsOfPoint, in log: EventLog, payloads: any EventPayloadReader
) throws -> AsOfState<OpportunityState> {
    try aggregateState(OpportunityDecider.self, stream: StreamName(.opportunity, id), asOf: point, in: log, payloads: payloads)
}

/// Any aggregate's state at `point`, folded from its stream with the decider's `evolve`;
/// each event is decoded (and upcast) by the aggregate's own decoder, which throws
/// `EventDecodingError` on an event it cannot read rather than skip it.
package func aggregateState<D: Decider>(
    _ decider: D.Type, stream: StreamName, asOf point: AsOfPoint, in log: EventLog, payloads: any EventPayloadReader
) throws -> AsOfState<D.State> {
    var folded = AsOfState(state: D.initialState, version: 0, position: 0, recordedAt: nil)
    let pageSize = 1000
    while true {
        let page = try log.readStream(stream.description, from: folded.version + 1, limit: pageSize)
        for record in page {
            // Stream order is position order, and recordedAt never decreases along positions:
            // the first event past the point ends the fold.
            guard point.includes(record) else { return folded }
            let event = try D.Event.decode(
                type: record.type, schemaVersion: Int(record.schemaVersion), source: try payloads.source(of: record))
            folded.state = D.evolve(folded.state, event)
            folded.version = record.streamVersion
            folded.position = record.position
            folded.recordedAt = record.recordedAt
        }
        if page.count < pageSize { return folded }
    }
}
