import ArgumentParser
import CairnStore
import Foundation
import Synchronization

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Cairn and print the figures (a table, or JSON).",
        subcommands: [LogBench.self, ReplayBench.self, ComplianceBench.self, HTTPBench.self, ImportBench.self, AggregatesBench.self]
    )
}

/// One measured figure, with the target it is held to.
struct BenchFigure {
    var key: String
    var value: Double
    var unit: String
    var target: Double?
    /// Latencies: the target is a ceiling rather than a floor.
    var lowerIsBetter = false
    var note: String

    init(key: String, value: Double, unit: String, target: Double?, lowerIsBetter: Bool = false, note: String) {
        self.key = key
        self.value = value
        self.unit = unit
        self.target = target
        self.lowerIsBetter = lowerIsBetter
        self.note = note
    }

    var met: Bool? { target.map { lowerIsBetter ? value <= $0 : value >= $0 } }
}

func printFigures(_ title: String, _ figures: [BenchFigure], json: Bool, context: [(String, String)]) {
    if json {
        var out = JSONText()
        out.raw("{")
        for (index, figure) in figures.enumerated() {
            out.key(figure.key, first: index == 0)
            let value = figure.value
            out.raw(value.rounded() == value ? String(Int64(value)) : String(format: abs(value) < 10 ? "%.3f" : "%.1f", value))
        }
        for (key, value) in context { out.key(key); out.string(value) }
        out.raw("}")
        emit(out.text)
        return
    }
    emit(title)
    for (key, value) in context { emit("  \(key): \(value)") }
    emit("")
    emit("| figure | value | unit | target | met | what |")
    emit("|---|---:|---|---:|---|---|")
    for f in figures {
        let value = f.value >= 100 ? String(Int64(f.value.rounded())) : String(format: "%.2f", f.value)
        let target = f.target.map { (f.lowerIsBetter ? "≤ " : "") + String(Int64($0)) } ?? ""
        let met = f.met.map { $0 ? "yes" : "NO" } ?? ""
        emit("| \(f.key) | \(value) | \(f.unit) | \(target) | \(met) | \(f.note) |")
    }
}

struct LogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Durable appends at several concurrencies, batch appends, full scan and subscription catch-up.",
        discussion: """
            Runs on a fresh log in a temporary directory (or --dir) with the default, fully durable \
            settings, and removes it afterwards. Events carry ~400-byte JSON payloads. Each figure is \
            events per second.
            """)

    @Option(help: "Directory for the benchmark log (must not exist; default: a temporary directory).")
    var dir: String?

    @Option(help: "Multiply every workload's size by this.")
    var scale = 1.0

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Run only the append workloads whose names start with this (e.g. append_c64); scan and catch-up always run.")
    var only: String?

    @Flag(help: "Open the log with the opt-in MDB_NOMETASYNC durability (to measure what the meta-page sync costs).")
    var noMetaSync = false

    func run() async throws {
        let path = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-\(UUID().uuidString)").path
        if FileManager.default.fileExists(atPath: path) { throw CLIError("\(path) already exists; give a new directory") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var logOptions = EventLog.Options()
        if noMetaSync { logOptions.durability = .noMetaSync }
        let log = try EventLog(directory: path, options: logOptions)
        func count(_ n: Double) -> Int { max(1, Int(n * scale)) }

        var figures: [BenchFigure] = []
        func selected(_ key: String) -> Bool { only.map { key.hasPrefix($0) } ?? true }
        for (concurrency, events, target) in [(1, 2_000.0, nil), (16, 40_000, nil), (64, 100_000, 100_000.0), (256, 100_000, nil)]
            as [(Int, Double, Double?)]
        {
            guard selected("append_c\(concurrency)") else { continue }
            let rate = try await appendRate(log, concurrency: concurrency, events: count(events))
            figures.append(
                BenchFigure(
                    key: "append_c\(concurrency)", value: rate, unit: "events/s", target: target,
                    note: "durable single-event appends, \(concurrency) concurrent appenders"))
        }
        if selected("append_batch1000") {
            let batchRate = try await batchRate(log, batches: count(300))
            figures.append(
                BenchFigure(
                    key: "append_batch1000", value: batchRate, unit: "events/s", target: 1_000_000,
                    note: "durable appends of 1,000-event batches, 2 appenders"))
        }
        let head = try log.head()
        figures.append(
            BenchFigure(
                key: "scan", value: try scanRate(log, head: head), unit: "events/s", target: 3_000_000,
                note: "full read of the log, pages of 4,096"))
        figures.append(
            BenchFigure(
                key: "subscribe_catchup", value: try await catchUpRate(log, head: head), unit: "events/s", target: 2_000_000,
                note: "subscription from position 1 to the head"))
        let stats = try log.stats()
        figures.append(BenchFigure(key: "events", value: Double(stats.events), unit: "events", target: nil, note: "log size after the run"))
        figures.append(BenchFigure(key: "log_bytes", value: Double(stats.usedBytes), unit: "bytes", target: nil, note: "map pages in use"))
        let (commits, appended) = log.commitCounts
        await log.close()
        printFigures(
            "cairn bench log", figures, json: json,
            context: [
                ("machine", "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"),
                ("commits", "\(commits) group commits for \(appended) events"),
                ("date", Timestamp(Date()).rfc3339),
                ("durability", noMetaSync ? "MDB_NOMETASYNC (opt-in)" : "full sync at every commit"),
            ])
    }

    static let payload: [UInt8] = {
        let text =
            #"{"name":{"given":"Ada","family":"Lovelace"},"emails":["ada.lovelace@example.org"],"phones":["+442071234567"],"address":{"street":"12 St James's Square","city":"London","postalCode":"SW1Y 4JH","country":"GB"},"owner":"user-0042","source":"web-form","attributes":{"segment":"enterprise","employees":1250,"newsletter":true,"since":"2019-04-01"},"tags":["vip","analytics","early-adopter"],"note":"Met at the analytical engine conference; follow up on Q3 pricing."}"#
        return Array(text.utf8)
    }()

    private static func newEvent() -> NewEvent {
        NewEvent(id: .v7(), type: "customers.CustomerRegistered", payload: Self.payload, subject: "customer-bench", actor: "bench")
    }

    private func appendRate(_ log: EventLog, concurrency: Int, events: Int) async throws -> Double {
        let issued = Ticket()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    let stream = "bench-c\(concurrency)-\(task)"
                    var version: UInt64 = 0
                    while issued.take() <= events {
                        let result = try await log.append([Self.newEvent()], to: stream, expecting: .exact(version))
                        version = result.streamVersions[stream]!
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(events) / seconds(since: start)
    }

    private func batchRate(_ log: EventLog, batches: Int) async throws -> Double {
        let issued = Ticket()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<2 {
                group.addTask {
                    while issued.take() <= batches {
                        try await log.append((0..<1000).map { _ in Self.newEvent() }, to: "bench-batch-\(task)")
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(batches * 1000) / seconds(since: start)
    }

    private func scanRate(_ log: EventLog, head: UInt64) throws -> Double {
        let start = ContinuousClock.now
        var next: UInt64 = 1
        var seen = 0
        var checksum: UInt64 = 0
        while next <= head {
            let page = try log.read(from: next, limit: 4096)
            for event in page.events { checksum &+= event.position }
            seen += page.events.count
            next = page.next
        }
        precondition(seen == Int(head) && (head == 0 || checksum > 0), "scan saw \(seen) of \(head) events")
        return Double(seen) / seconds(since: start)
    }

    private func catchUpRate(_ log: EventLog, head: UInt64) async throws -> Double {
        guard head > 0 else { return 0 }
        let start = ContinuousClock.now
        var seen = 0
        for try await event in log.subscribe(from: 1, batchSize: 4096) {
            seen += 1
            if event.position == head { break }
        }
        precondition(seen == Int(head), "subscription saw \(seen) of \(head) events")
        return Double(seen) / seconds(since: start)
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Hands out numbers 1, 2, 3 … to concurrent workers.
final class Ticket: Sendable {
    private let counter = Atomic<Int>(0)
    func take() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
