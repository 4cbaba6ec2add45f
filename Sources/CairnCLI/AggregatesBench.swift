import ArgumentParser
import CairnDomain
import CairnStore
import Foundation

/// The workload `Tools/bench` also runs on a peer event store: many small aggregates, appended,
/// replayed and loaded by id, one thing at a time.
struct AggregatesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregates",
        abstract: "The peer-comparison workload: N customer aggregates of 5 events — appended, replayed, loaded by id.",
        discussion: """
            Sequential and fully durable, like the peer it is compared with: each aggregate is one \
            append of its 5 events to its own stream (an expected-version check included); replay \
            reads every event from position 1 and parses its JSON payload; a load reads one \
            aggregate's stream and parses its events.
            """)

    @Option(help: "Aggregates.")
    var aggregates = 10_000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-aggregates-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let log = try EventLog(directory: scratch + "/log")
        let ids = (0..<aggregates).map { _ in UUID().uuidString.lowercased() }

        var start = ContinuousClock.now
        for (index, id) in ids.enumerated() {
            try await log.append(Self.events(index, id), to: "customer-\(id)", expecting: .noStream)
        }
        let append = Double(aggregates * 5) / seconds(since: start)

        start = ContinuousClock.now
        var next: UInt64 = 1
        var replayed = 0
        while true {
            let page = try log.read(from: next, limit: 4096)
            guard !page.events.isEmpty else { break }
            for event in page.events {
                _ = try JSONValue.parse(event.payload)
                replayed += 1
            }
            next = page.next
        }
        let replay = Double(replayed) / seconds(since: start)

        start = ContinuousClock.now
        var loaded = 0
        for id in ids {
            let events = try log.readStream("customer-\(id)")
            var fields = 0
            for event in events {
                if case .object(let members) = try JSONValue.parse(event.payload) { fields += members.count }
            }
            guard events.count == 5, fields > 0 else { throw CLIError("aggregate \(id) loaded \(events.count) events") }
            loaded += 1
        }
        let load = Double(loaded) / seconds(since: start)
        await log.close()

        printFigures(
            "cairn bench aggregates",
            [
                BenchFigure(key: "aggregates", value: Double(aggregates), unit: "aggregates", target: nil, note: "of 5 events each"),
                BenchFigure(
                    key: "append_events_per_s", value: append, unit: "events/s", target: nil,
                    note: "one durable 5-event append per aggregate, one after another"),
                BenchFigure(
                    key: "replay_events_per_s", value: replay, unit: "events/s", target: nil,
                    note: "every event from position 1, payload parsed"),
                BenchFigure(
                    key: "load_aggregates_per_s", value: load, unit: "aggregates/s", target: nil,
                    note: "one aggregate's stream read and parsed, by id"),
            ], json: json,
            context: [
                ("machine", "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"),
                ("date", Timestamp(Date()).rfc3339),
            ])
    }

    /// Registered, then four changes — the same five the peer's aggregate records.
    static func events(_ index: Int, _ id: String) -> [NewEvent] {
        let payloads = [
            #"{"customerId":"\#(id)","name":"Customer \#(index)","email":"customer\#(index)@example.org"}"#,
            #"{"customerId":"\#(id)","email":"c\#(index)@example.com"}"#,
            #"{"customerId":"\#(id)","tag":"vip"}"#,
            #"{"customerId":"\#(id)","tag":"newsletter"}"#,
            #"{"customerId":"\#(id)","ownerId":"user-\#(index % 50)"}"#,
        ]
        let types = ["bench.CustomerRegistered", "bench.EmailChanged", "bench.Tagged", "bench.Tagged", "bench.OwnerChanged"]
        return zip(types, payloads).map { type, payload in
            NewEvent(id: .v7(), type: type, payload: Array(payload.utf8), subject: id, actor: "bench")
        }
    }
}
