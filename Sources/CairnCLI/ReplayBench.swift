import ArgumentParser
import CairnDomain
import CairnProjections
import CairnService
import CairnStore
import Foundation

struct ReplayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Folding the log into every read model from position 0: events/s for all together and each alone.",
        discussion: """
            Builds a log of realistic CRM events first — customers with their sales, marketing and \
            service histories, issued as commands through the service, so every rule applies — or \
            reuses one given with --log. Each figure is log events folded per second from 0 to the \
            head on fresh read models (a projection that skips an event type still passes it).
            """)

    @Option(help: "About this many events in the generated log.")
    var events = 1_000_000

    @Option(help: "Reuse (or create and keep) the log in this directory instead of a temporary one.")
    var log: String?

    @Option(
        name: .customLong("only"),
        help: "Measure only these: `decode`, `all` (every projection at once) or projection names; repeatable.")
    var only: [String] = []

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-replay-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let logDirectory = log ?? scratch + "/log"

        var options = EventLog.Options()
        // The generated log is a fixture: one sync per commit is enough to keep it intact.
        options.durability = .noMetaSync
        let eventLog = try EventLog(directory: logDirectory, options: options)
        // The data keys live beside the log, as in a data directory.
        let parent = (logDirectory as NSString).deletingLastPathComponent
        let vault = try PersonalDataVault.open(dataDirectory: parent.isEmpty ? "." : parent) { _ in }
        defer { vault.close() }
        var head = try eventLog.head()
        var generated = 0.0
        if head < UInt64(events) * 9 / 10 {
            let start = ContinuousClock.now
            let service = CairnService(log: eventLog, vault: vault)
            let workload = SyntheticWorkload(
                customers: SyntheticWorkload.customers(forEvents: events - Int(head)), seed: UInt64(head) + 42)
            let terminal = isatty(STDERR_FILENO) == 1
            head = try await workload.run(on: service, concurrency: 64) { done in
                if terminal { FileHandle.standardError.write(Data("\rgenerating the log: \(done) customers".utf8)) }
            }
            generated = seconds(since: start)
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }

        var figures: [BenchFigure] = [
            BenchFigure(key: "events", value: Double(head), unit: "events", target: nil, note: "realistic CRM events in the log")
        ]
        if only.isEmpty || only.contains("decode") {
            figures.append(
                BenchFigure(
                    key: "decode", value: try decodeRate(eventLog, vault, head: head), unit: "events/s", target: nil,
                    note: "reading and decoding every payload, one thread"))
        }
        let all = ReadModels.all
        let unknown = Set(only).subtracting(all.map(\.name) + ["all", "decode"])
        guard unknown.isEmpty else { throw ValidationError("--only: no projection named \(unknown.sorted().joined(separator: ", "))") }
        if only.isEmpty || only.contains("all") {
            var queryFigures: [BenchFigure] = []
            let together = try await replay(eventLog, vault, all, head: head, in: scratch + "/all") { engine in
                queryFigures = try Self.queryLatencies(engine, eventLog)
            }
            figures.append(
                BenchFigure(
                    key: "replay_all", value: together.rate, unit: "events/s", target: 1_000_000,
                    note: "every projection at once, from position 0"))
            figures.append(
                BenchFigure(
                    key: "replay_all_decoded", value: Double(together.decoded), unit: "events", target: nil,
                    note: "payloads decoded for that (the log's length when every page is shared)"))
            figures += queryFigures
        }
        for projector in all.sorted(by: { $0.name < $1.name }) where only.isEmpty || only.contains(projector.name) {
            let rate = try await replay(eventLog, vault, [projector], head: head, in: scratch + "/\(projector.name)").rate
            figures.append(
                BenchFigure(
                    key: "replay_" + projector.name.replacingOccurrences(of: "-", with: "_"), value: rate, unit: "events/s",
                    target: nil, note: "\(projector.name) alone"))
        }
        await eventLog.close()
        printFigures(
            "cairn bench replay", figures, json: json,
            context: [
                ("machine", "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"),
                ("generated", generated > 0 ? String(format: "%.1f s", generated) : "reused \(logDirectory)"),
                ("date", Timestamp(Date()).rfc3339),
            ])
    }

    /// In-process query latency on the built models: a 50-entry timeline page and a customer's
    /// 360 view, for customers picked at random from the log's subjects.
    private static func queryLatencies(_ engine: ProjectionEngine, _ log: EventLog) throws -> [BenchFigure] {
        var subjects = Set<String>()
        for event in try log.read(from: 1, limit: 200_000).events {
            if let subject = event.subject { subjects.insert(subject) }
        }
        let customers = subjects.sorted()
        guard !customers.isEmpty else { return [] }
        var random = SystemRandomNumberGenerator()
        var timeline: [Double] = []
        var customer: [Double] = []
        var entries = 0
        var found = 0
        for _ in 0..<5000 {
            let id = customers.randomElement(using: &random)!
            var start = ContinuousClock.now
            let page = try CustomerTimelineQuery.page(engine, customerId: id, limit: 50)
            timeline.append(seconds(since: start) * 1000)
            start = ContinuousClock.now
            let view = try Customer360Query.customer(engine, id: id)
            customer.append(seconds(since: start) * 1000)
            entries += page?.entries.count ?? 0
            found += view == nil ? 0 : 1
        }
        guard found == 5000 else { throw CLIError("the 360 view lacks \(5000 - found) of 5,000 customers from the log") }
        // A customer's analysis ranks them among every customer (RFM quintiles).
        let analysisQueries = CustomerAnalysisQueries(engine: engine)
        let now = CairnDomain.Timestamp(Date())
        var analysis: [Double] = []
        for _ in 0..<1000 {
            let id = customers.randomElement(using: &random)!
            let start = ContinuousClock.now
            guard try analysisQueries.customer(id, now: now) != nil else { throw CLIError("no analysis of customer \(id)") }
            analysis.append(seconds(since: start) * 1000)
        }
        return [
            BenchFigure(
                key: "timeline_page_p99_ms", value: percentile(timeline, 0.99), unit: "ms", target: 1, lowerIsBetter: true,
                note:
                    "a customer's timeline, up to 50 entries (\(entries / 5000) on average), in process (median \(String(format: "%.3f", percentile(timeline, 0.5))) ms)"
            ),
            BenchFigure(
                key: "customer_360_p99_ms", value: percentile(customer, 0.99), unit: "ms", target: nil,
                note: "a customer's 360 view, in process (median \(String(format: "%.3f", percentile(customer, 0.5))) ms)"),
            BenchFigure(
                key: "customer_analysis_p99_ms", value: percentile(analysis, 0.99), unit: "ms", target: nil,
                note:
                    "a customer's analysis (RFM among all \(customers.count) customers, lifetime value, churn risk, segments), in process (median \(String(format: "%.3f", percentile(analysis, 0.5))) ms)"
            ),
        ]
    }

    /// Reads the whole log and decodes every payload into its domain event.
    private func decodeRate(_ log: EventLog, _ vault: PersonalDataVault, head: UInt64) throws -> Double {
        let start = ContinuousClock.now
        var next: UInt64 = 1
        var decoded = 0
        while next <= head {
            let page = try log.read(from: next, limit: 4096)
            // As the engine's feed reads a page: one cipher for all of its events.
            try vault.withSources { source in
                for record in page.events {
                    _ = try EventCatalogue.decode(type: record.type, schemaVersion: Int(record.schemaVersion), source: try source(record))
                    decoded += 1
                }
            }
            next = page.next
        }
        return Double(decoded) / seconds(since: start)
    }

    /// Folds the whole log into fresh models of `projectors`; returns log events per second and
    /// how many events the engine decoded to do it.
    private func replay(
        _ log: EventLog, _ vault: PersonalDataVault, _ projectors: [any Projector], head: UInt64, in directory: String,
        then query: (ProjectionEngine) throws -> Void = { _ in }
    ) async throws -> (rate: Double, decoded: UInt64) {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = ContinuousClock.now
        let engine = try ProjectionEngine(log: log, payloads: vault, directory: directory, projectors: projectors)
        do {
            try await engine.waitUntil(position: head, timeout: .seconds(3600))
        } catch {
            await engine.close()
            throw error
        }
        let elapsed = seconds(since: start)
        let decoded = engine.decodedEvents
        do { try query(engine) } catch {
            await engine.close()
            throw error
        }
        await engine.close()
        return (projectors.isEmpty ? 0 : Double(head) / elapsed, decoded)
    }
}
