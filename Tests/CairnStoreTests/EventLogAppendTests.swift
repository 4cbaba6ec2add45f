import CairnStore
import Foundation
import Synchronization
import Testing

@Suite("Appending")
struct EventLogAppendTests {
    @Test("64 concurrent appenders: one winner per (stream, version), positions 1…N, streams contiguous")
    func concurrentAppenders() async throws {
        try await withLog { log, _ in
            let attempts = 40
            let winners = try await withThrowingTaskGroup(of: [(String, UInt64, UInt64)].self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var won: [(String, UInt64, UInt64)] = []
                        var ownVersion: UInt64 = 0
                        for attempt in 0..<attempts {
                            if attempt % 2 == 0 {
                                let shared = "shared-\(task % 4)"
                                let current = try log.streamVersion(shared)
                                do {
                                    let result = try await log.append([event()], to: shared, expecting: .exact(current))
                                    won.append((shared, current + 1, result.firstPosition))
                                } catch let error as EventLogError where error.code == .wrongExpectedVersion {
                                    #expect(error.actualVersion != current)
                                }
                            } else {
                                let own = "own-\(task)"
                                let result = try await log.append(
                                    [event()], to: own, expecting: ownVersion == 0 ? .noStream : .exact(ownVersion))
                                ownVersion += 1
                                #expect(result.streamVersions[own] == ownVersion)
                                won.append((own, ownVersion, result.firstPosition))
                            }
                        }
                        return won
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // Exactly one winner per (stream, version).
            var seen = Set<String>()
            for (stream, version, _) in winners { #expect(seen.insert("\(stream)@\(version)").inserted) }
            // Global positions are exactly 1…N.
            let positions = winners.map(\.2).sorted()
            #expect(positions == Array(1...UInt64(winners.count)))
            #expect(log.committedThrough == UInt64(winners.count))
            let page = try log.read(from: 1, limit: 100_000)
            #expect(page.events.map(\.position) == Array(1...UInt64(winners.count)))
            // Every stream is contiguous, in position order.
            for stream in Set(winners.map(\.0)) {
                let events = try log.readStream(stream, limit: 10_000)
                #expect(events.map(\.streamVersion) == Array(1...UInt64(events.count)))
                #expect(events.map(\.position) == events.map(\.position).sorted())
                #expect(try log.streamVersion(stream) == UInt64(events.count))
            }
        }
    }

    @Test("A multi-stream append is all or nothing")
    func multiStreamAtomic() async throws {
        try await withLog { log, _ in
            try await log.append([event()], to: "order-1", expecting: .noStream)
            let refused = await logError(.wrongExpectedVersion) {
                try await log.append([
                    StreamAppend(stream: "customer-1", expectedVersion: .noStream, events: [event(), event()]),
                    StreamAppend(stream: "order-1", expectedVersion: .noStream, events: [event()]),
                ])
            }
            #expect(refused)
            #expect(try log.head() == 1)
            #expect(try log.streamVersion("customer-1") == 0)

            let result = try await log.append([
                StreamAppend(stream: "customer-1", expectedVersion: .noStream, events: [event(), event()]),
                StreamAppend(stream: "order-1", expectedVersion: .exact(1), events: [event()]),
            ])
            #expect(result.positions == [2, 3, 4])
            #expect(result.streamVersions == ["customer-1": 2, "order-1": 2])
        }
    }

    @Test("A stream appended with no events guards the append: it lands only if that stream did not move")
    func guards() async throws {
        try await withLog { log, _ in
            try await log.append([event(), event()], to: "customer-1")
            let refused = await logError(.wrongExpectedVersion) {
                try await log.append([
                    StreamAppend(stream: "customer-1", expectedVersion: .exact(1), events: []),
                    StreamAppend(stream: "campaign-1", events: [event()]),
                ])
            }
            #expect(refused)
            #expect(try log.head() == 2)
            let result = try await log.append([
                StreamAppend(stream: "customer-1", expectedVersion: .exact(2), events: []),
                StreamAppend(stream: "campaign-1", events: [event()]),
            ])
            #expect(result.positions == [3])
            #expect(result.streamVersions == ["campaign-1": 1])
            #expect(try log.streamVersion("customer-1") == 2)
            #expect(
                await logError(.emptyAppend) {
                    try await log.append([StreamAppend(stream: "customer-1", expectedVersion: .exact(2), events: [])])
                })
        }
    }

    @Test("Expected versions: any, noStream, streamExists, exact")
    func expectedVersions() async throws {
        try await withLog { log, _ in
            #expect(await logError(.wrongExpectedVersion) { try await log.append([event()], to: "s-1", expecting: .streamExists) })
            #expect(await logError(.wrongExpectedVersion) { try await log.append([event()], to: "s-1", expecting: .exact(1)) })
            try await log.append([event()], to: "s-1", expecting: .exact(0))
            #expect(await logError(.wrongExpectedVersion) { try await log.append([event()], to: "s-1", expecting: .noStream) })
            try await log.append([event()], to: "s-1", expecting: .streamExists)
            try await log.append([event()], to: "s-1", expecting: .any)
            try await log.append([event()], to: "s-1", expecting: .exact(3))
            #expect(try log.streamVersion("s-1") == 4)
        }
    }

    @Test("A retried append returns the original positions; a reused id with other content is refused")
    func idempotency() async throws {
        try await withLog { log, _ in
            let first = event(subject: "c-1")
            let second = event()
            let original = try await log.append([first, second], to: "s-1", expecting: .noStream)
            try await log.append([event()], to: "s-2")
            let retry = try await log.append([first, second], to: "s-1", expecting: .noStream)
            #expect(retry.positions == original.positions)
            #expect(retry.streamVersions == original.streamVersions)
            #expect(retry.wasAlreadyStored)
            #expect(try log.head() == 3)

            var altered = first
            altered.payload = Array(#"{"n":2}"#.utf8)
            #expect(await logError(.idempotencyConflict) { try await log.append([altered], to: "s-1") })
            #expect(await logError(.idempotencyConflict) { try await log.append([first, event()], to: "s-1") })
            #expect(await logError(.duplicateEventId) { try await log.append([second, second], to: "s-9") })
            #expect(try log.head() == 3)
        }
    }

    @Test(
        "Bad input is refused with a typed error and changes nothing",
        arguments: [
            ("", "test.Happened", 10, EventLogError.Code.invalidStreamId),
            (String(repeating: "a", count: 201), "test.Happened", 10, .invalidStreamId),
            ("customer 1", "test.Happened", 10, .invalidStreamId),
            ("-customer", "test.Happened", 10, .invalidStreamId),
            ("customer-é", "test.Happened", 10, .invalidStreamId),
            ("customer-1", "test.Happened", (1 << 20) + 1, .payloadTooLarge),
            ("customer-1", "NoContext", 10, .invalidEventType),
            ("customer-1", "sales.", 10, .invalidEventType),
            ("customer-1", ".Opened", 10, .invalidEventType),
            ("customer-1", "sales.Opportunity-Won", 10, .invalidEventType),
            ("customer-1", "sales.1Won", 10, .invalidEventType),
            ("customer-1", "", 10, .invalidEventType),
        ])
    func badInput(stream: String, type: String, payloadSize: Int, code: EventLogError.Code) async throws {
        try await withLog { log, _ in
            try await log.append([event()], to: "before-1")
            let payload = [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize)
            let refused = await logError(code) {
                try await log.append([NewEvent(id: UUID(), type: type, payload: payload)], to: stream)
            }
            #expect(refused)
            #expect(try log.head() == 1)
            #expect(try log.stats().events == 1)
        }
    }

    @Test("Limits on metadata, batch size and empty appends")
    func limits() async throws {
        var options = EventLog.Options()
        options.limits.maxEventsPerAppend = 5
        try await withLog(options) { log, _ in
            #expect(await logError(.appendTooLarge) { try await log.append((0..<6).map { _ in event() }, to: "s-1") })
            #expect(await logError(.emptyAppend) { try await log.append([], to: "s-1") })
            #expect(
                await logError(.invalidMetadata) {
                    try await log.append([NewEvent(id: UUID(), type: "a.B", payload: [], actor: "")], to: "s-1")
                })
            #expect(
                await logError(.invalidMetadata) {
                    try await log.append([NewEvent(id: UUID(), type: "a.B", payload: [], subject: "bad\nsubject")], to: "s-1")
                })
            #expect(
                await logError(.duplicateStream) {
                    try await log.append([StreamAppend(stream: "s-1", events: [event()]), StreamAppend(stream: "s-1", events: [event()])])
                })
            let head = try log.head()
            #expect(head == 0)
        }
    }

    @Test("recordedAt never decreases, even when the wall clock steps back")
    func recordedAtMonotonic() async throws {
        let clock = ManualClock(2_000_000_000_000_000)
        var options = EventLog.Options()
        options.clock = clock
        try await withLog(options) { log, _ in
            try await log.append([event()], to: "s-1")
            clock.set(1_000_000_000_000_000)
            try await log.append([event()], to: "s-1")
            clock.set(3_000_000_000_000_000)
            try await log.append([event()], to: "s-1")
            let times = try log.read(from: 1).events.map(\.recordedAt.microsecondsSinceEpoch)
            #expect(times == [2_000_000_000_000_000, 2_000_000_000_000_000, 3_000_000_000_000_000])
        }
    }

    @Test("Every envelope field survives the round trip")
    func envelope() async throws {
        let clock = ManualClock()
        var options = EventLog.Options()
        options.clock = clock
        try await withLog(options) { log, _ in
            let id = UUID()
            let new = NewEvent(
                id: id, type: "sales.OpportunityStageChanged", schemaVersion: 2, payload: Array(#"{"stage":"proposal"}"#.utf8),
                subject: "customer-7", occurredAt: Timestamp(microsecondsSinceEpoch: 1_700_000_000_123_456), actor: "user:ada",
                correlationId: "corr-1", causationId: "cause-1")
            try await log.append([new], to: "opportunity-9", expecting: .noStream)
            let stored = try #require(try log.event(id: id))
            #expect(stored.position == 1)
            #expect(stored.stream == "opportunity-9")
            #expect(stored.category == "opportunity")
            #expect(stored.streamVersion == 1)
            #expect(stored.id == id)
            #expect(stored.type == "sales.OpportunityStageChanged")
            #expect(stored.schemaVersion == 2)
            #expect(stored.payload == new.payload)
            #expect(stored.subject == "customer-7")
            #expect(stored.occurredAt == new.occurredAt)
            #expect(stored.recordedAt == clock.now())
            #expect(stored.actor == "user:ada")
            #expect(stored.correlationId == "corr-1")
            #expect(stored.causationId == "cause-1")
            #expect(stored.hash != .zero)
            #expect(try log.positions(subject: "customer-7") == [1])
        }
    }
}
