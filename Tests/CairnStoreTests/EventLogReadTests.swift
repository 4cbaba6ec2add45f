import Foundation
import Synchronization
import Testing

@testable import CairnStore

@Suite("Reading and subscribing")
struct EventLogReadTests {
    @Test("Streams read forwards and backwards from a version")
    func readStream() async throws {
        try await withLog { log, _ in
            for i in 1...10 { try await log.append([event(#"x.Y"#, #"{"i":\#(i)}"#)], to: i % 2 == 0 ? "even-1" : "odd-1") }
            try await log.append([event()], to: "even-10")  // shares a prefix with even-1, must not leak in
            #expect(try log.readStream("even-1").map(\.streamVersion) == [1, 2, 3, 4, 5])
            #expect(try log.readStream("even-1", from: 3, limit: 2).map(\.streamVersion) == [3, 4])
            #expect(try log.readStream("even-1", from: .max, direction: .backwards).map(\.streamVersion) == [5, 4, 3, 2, 1])
            #expect(try log.readStream("even-1", from: 2, direction: .backwards).map(\.streamVersion) == [2, 1])
            #expect(try log.readStream("even-1").map(\.position) == [2, 4, 6, 8, 10])
            #expect(try log.readStream("missing-1").isEmpty)
        }
    }

    @Test("The global log filters by type prefix and category, bounded per page")
    func filteredRead() async throws {
        try await withLog { log, _ in
            for i in 1...30 {
                let type = i % 3 == 0 ? "sales.OpportunityWon" : "customers.CustomerRegistered"
                try await log.append([event(type)], to: i % 2 == 0 ? "customer-\(i)" : "opportunity-\(i)")
            }
            let sales = try log.read(from: 1, filter: EventFilter(typePrefixes: ["sales."]))
            #expect(sales.events.map(\.position) == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
            #expect(sales.next == 31)
            let customers = try log.read(from: 1, filter: EventFilter(categories: ["customer"]))
            #expect(customers.events.map(\.position) == Array(stride(from: 2, through: 30, by: 2)))
            let both = try log.read(from: 1, filter: EventFilter(typePrefixes: ["sales.Opp"], categories: ["customer"]))
            #expect(both.events.map(\.position) == [6, 12, 18, 24, 30])
            let bounded = try log.read(from: 1, limit: 100, filter: EventFilter(typePrefixes: ["sales."]), maxScanned: 7)
            #expect(bounded.events.map(\.position) == [3, 6])
            #expect(bounded.next == 8)
            let page = try log.read(from: 28, limit: 2)
            #expect(page.events.map(\.position) == [28, 29])
            #expect(page.next == 30)
        }
    }

    @Test("A subscriber from position 0 while 8 writers append receives exactly 1…N in order")
    func subscriberSeesEverything() async throws {
        try await withLog { log, _ in
            let writers = 8
            let perWriter = 250
            let total = UInt64(writers * perWriter)
            async let received: [UInt64] = {
                var positions: [UInt64] = []
                for try await event in log.subscribe(from: 0, batchSize: 64) {
                    positions.append(event.position)
                    if event.position == total { break }
                }
                return positions
            }()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in 0..<perWriter {
                            try await log.append([event("w.Appended", #"{"i":\#(i)}"#)], to: "writer-\(w)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await received == Array(1...total))
        }
    }

    @Test("A subscription with a filter sees only matching events, live")
    func filteredSubscription() async throws {
        try await withLog { log, _ in
            try await log.append([event("sales.A")], to: "opportunity-1")
            async let got: [UInt64] = {
                var positions: [UInt64] = []
                for try await event in log.subscribe(from: 1, filter: EventFilter(categories: ["customer"])) {
                    positions.append(event.position)
                    if positions.count == 3 { break }
                }
                return positions
            }()
            for i in 0..<9 { try await log.append([event()], to: i % 3 == 0 ? "customer-1" : "opportunity-1") }
            #expect(try await got == [2, 5, 8])
        }
    }

    @Test("A slow subscriber does not hold the writer back, then catches up")
    func slowSubscriber() async throws {
        try await withLog { log, _ in
            try await log.append([event()], to: "s-1")
            var iterator = log.subscribe(from: 1, batchSize: 16).makeAsyncIterator()
            #expect(try await iterator.next()?.position == 1)
            // The subscriber is paused; 3,000 appends still complete.
            for i in 0..<300 { try await log.append((0..<10).map { _ in event("x.Y", #"{"i":\#(i)}"#) }, to: "s-1") }
            #expect(iterator.buffer.count <= 16)
            var next: UInt64 = 2
            while next <= 3001, let event = try await iterator.next() {
                #expect(event.position == next)
                #expect(iterator.buffer.count <= 16)
                next += 1
            }
            #expect(next == 3002)
        }
    }

    @Test("Subscriptions end when the task is cancelled")
    func cancellation() async throws {
        try await withLog { log, _ in
            let task = Task {
                var count = 0
                for try await _ in log.subscribe(from: 1) { count += 1 }
                return count
            }
            try await log.append([event()], to: "s-1")
            task.cancel()
            let count = try await task.value
            #expect(count <= 1)
        }
    }

    @Test("Events are found by id and by position")
    func lookups() async throws {
        try await withLog { log, _ in
            let e = event()
            try await log.append([event(), e], to: "s-1")
            #expect(try log.event(id: e.id)?.position == 2)
            #expect(try log.event(id: UUID()) == nil)
            #expect(try log.event(at: 1)?.streamVersion == 1)
            #expect(try log.event(at: 3) == nil)
        }
    }
}

@Suite("Reads racing the writer")
struct ReadRaceTests {
    final class Tally: Sendable {
        let stop = Mutex(false)
        let reads = Mutex(0)
        let failures = Mutex<[String]>([])
    }

    /// Regression: the writer adds index entries for commits a reader's older snapshot cannot
    /// see; a stream read must ignore them rather than report a missing record.
    @Test("Stream reads, versions and id lookups stay consistent while 8 writers append")
    func readsDuringAppends() async throws {
        try await withLog { log, _ in
            let first = event()
            try await log.append([first], to: "hot-1")
            let tally = Tally()
            let readers = DispatchGroup()
            for _ in 0..<3 {
                readers.enter()
                Thread {
                    defer { readers.leave() }
                    while !tally.stop.withLock({ $0 }) {
                        do {
                            let tail = try log.readStream("hot-1", from: .max, direction: .backwards, limit: 5)
                            let all = try log.readStream("hot-1", from: 1, limit: 100_000)
                            let version = try log.streamVersion("hot-1")
                            guard all.map(\.streamVersion) == Array(1...UInt64(all.count)), version >= UInt64(all.count),
                                tail.first.map({ $0.streamVersion <= version }) ?? false,
                                try log.event(id: first.id)?.position == 1
                            else { throw EventLogError.storage(CocoaError(.fileReadCorruptFile)) }
                            tally.reads.withLock { $0 += 1 }
                        } catch {
                            tally.failures.withLock { $0.append("\(error)") }
                        }
                    }
                }.start()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<8 {
                    group.addTask {
                        for _ in 0..<400 { try await log.append([event()], to: w % 2 == 0 ? "hot-1" : "other-\(w)") }
                    }
                }
                try await group.waitForAll()
            }
            tally.stop.withLock { $0 = true }
            await withCheckedContinuation { continuation in readers.notify(queue: .global()) { continuation.resume() } }
            #expect(tally.failures.withLock { $0 }.isEmpty, "\(tally.failures.withLock { $0.prefix(3) })")
            #expect(tally.reads.withLock { $0 } > 0)
        }
    }
}
