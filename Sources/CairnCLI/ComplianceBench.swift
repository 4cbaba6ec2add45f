import ArgumentParser
import CairnDomain
import CairnProjections
import CairnService
import CairnStore
import Foundation

struct ComplianceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Compliance costs: sealing personal data at append, subject access exports, inclusion proofs, tree heads.",
        discussion: """
            Appends the same realistic events with and without sealing their personal data \
            (--rounds rounds of a plain and a sealed run back to back, alternating which goes \
            first, fresh logs, full durability; the median round's loss) for encrypt_overhead_pct: \
            --writers concurrent writers (64, the design's reference concurrency, enough for \
            both variants to keep the log's writer busy, so the figure is capacity lost), and \
            the same with 8 writers, a closed loop that the seal's latency slows, for \
            encrypt_overhead_c8_pct; exports a customer with 1,000 events (proofs, timeline, \
            signed head) for export_ms; builds a log of --events events (or reuses --log) and \
            times, for random positions, making an inclusion proof against the head and checking \
            it, and making and signing a tree head. Figures are medians.
            """)

    @Option(help: "Events in the generated log.")
    var events = 1_000_000

    @Option(help: "Reuse (or create and keep) the log in this directory instead of a temporary one.")
    var log: String?

    @Option(help: "Proofs to time.")
    var samples = 10_000

    @Option(help: "Events appended for the sealing overhead, per round and variant.")
    var sealEvents = 200_000

    @Option(help: "Concurrent writers appending for the sealing overhead.")
    var writers = 64

    @Option(help: "Events per append for the sealing overhead.")
    var appendSize = 100

    @Option(help: "Rounds of the sealing overhead (one plain and one sealed run each, alternating which goes first).")
    var rounds = 7

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let sealMicros = try await sealCost()
        let (plainBytes, sealedBytes) = try await payloadBytes()
        let (overhead, plainRate, sealedRate) = try await sealingOverhead(known: true, writers: writers)
        let (c8Overhead, c8PlainRate, c8SealedRate) = try await sealingOverhead(known: true, writers: 8)
        let (newOverhead, newPlainRate, newSealedRate) = try await sealingOverhead(known: false, writers: writers)
        let exportTimes = try await exportTimes()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-compliance-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = EventLog.Options()
        options.durability = .noMetaSync  // a fixture: one sync per commit keeps it intact
        let eventLog = try EventLog(directory: log ?? scratch + "/log", options: options)
        var head = try eventLog.head()
        while head < UInt64(events) {
            let batch = min(1000, events - Int(head))
            let result = try await eventLog.append(
                (0..<batch).map { i in
                    NewEvent(
                        id: .v7(), type: "customers.CustomerRegistered", payload: LogBench.payload,
                        subject: "customer-\((Int(head) + i) % 50_000)", actor: "bench")
                }, to: "bench-\(head / 100_000)")
            head = result.lastPosition
        }

        var random = SystemRandomNumberGenerator()
        var proofTimes: [Double] = []
        var verifyTimes: [Double] = []
        let root = try eventLog.treeHead().rootHash
        for _ in 0..<samples {
            let position = UInt64.random(in: 1...head, using: &random)
            let start = ContinuousClock.now
            let proof = try eventLog.inclusionProof(position: position, treeSize: head)
            proofTimes.append(seconds(since: start) * 1e6)
            let checkStart = ContinuousClock.now
            guard proof.verify(root: root) else { throw CLIError("the proof for position \(position) does not verify") }
            verifyTimes.append(seconds(since: checkStart) * 1e6)
        }
        var headTimes: [Double] = []
        let signer = try TreeHeadSigner.generate()
        for _ in 0..<20 {
            let start = ContinuousClock.now
            let signed = try await eventLog.signTreeHead(with: signer)
            headTimes.append(seconds(since: start) * 1e3)
            guard signed.verify(publicKey: signer.publicKey) else { throw CLIError("a signed tree head does not verify") }
        }
        await eventLog.close()
        printFigures(
            "cairn bench compliance",
            [
                BenchFigure(
                    key: "encrypt_overhead_pct", value: overhead, unit: "%", target: 15, lowerIsBetter: true,
                    note:
                        "append throughput lost to sealing personal data, customers already known: \(Int(plainRate)) → \(Int(sealedRate)) events/s (\(writers) writers, appends of \(appendSize); 13 event kinds per customer, 8 with personal data)"
                ),
                BenchFigure(
                    key: "encrypt_overhead_c8_pct", value: c8Overhead, unit: "%", target: nil, lowerIsBetter: true,
                    note:
                        "the same with 8 writers, too few for sealed appends to keep the log's writer busy, so each seal's latency costs throughput: \(Int(c8PlainRate)) → \(Int(c8SealedRate)) events/s"
                ),
                BenchFigure(
                    key: "seal_us_per_event", value: sealMicros, unit: "µs", target: nil, lowerIsBetter: true,
                    note: "CPU to seal the mix for known customers, one thread, no log: per event, personal or not (median of 3)"),
                BenchFigure(
                    key: "sealed_payload_bytes", value: Double(sealedBytes), unit: "B", target: nil, lowerIsBetter: true,
                    note: "payload bytes of one customer's mix of 13 events, sealed (\(plainBytes) in clear)"),
                BenchFigure(
                    key: "encrypt_overhead_new_subjects_pct", value: newOverhead, unit: "%", target: nil, lowerIsBetter: true,
                    note:
                        "the same when every customer is new, so each append also makes their data keys (one more durable write): \(Int(newPlainRate)) → \(Int(newSealedRate)) events/s"
                ),
                BenchFigure(
                    key: "export_ms", value: median(exportTimes), unit: "ms", target: 200, lowerIsBetter: true,
                    note:
                        "subject access export of a customer with 1,000 events: opened payloads, event keys, proofs, timeline, signed head; median of \(exportTimes.count)"
                ),
                BenchFigure(key: "events", value: Double(head), unit: "events", target: nil, note: "records in the tree"),
                BenchFigure(
                    key: "proof_us", value: median(proofTimes), unit: "µs", target: 50, lowerIsBetter: true,
                    note: "inclusion proof for a random position against the head, median of \(samples)"),
                BenchFigure(
                    key: "proof_verify_us", value: median(verifyTimes), unit: "µs", target: nil,
                    note: "checking that proof (RFC 9162), median"),
                BenchFigure(
                    key: "signed_tree_head_ms", value: median(headTimes), unit: "ms", target: nil,
                    note: "root at the head, Ed25519 signature, kept in the log: one write transaction, median of 20"),
            ], json: json,
            context: [
                ("machine", "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"),
                ("date", Timestamp(Date()).rfc3339),
            ])
    }
}

extension ComplianceBench {
    /// One customer's worth of a realistic mix: the catalogue's sample payloads of 13 kinds.
    static let mix = [
        "customers.CustomerRegistered", "customers.EmailAdded", "customers.ConsentGranted", "customers.CustomerTagged",
        "sales.ActivityLogged", "sales.ActivityLogged", "sales.ActivityLogged", "sales.OpportunityOpened",
        "sales.OpportunityStageChanged", "service.CaseOpened", "service.CaseMessageRecorded", "marketing.MessageSent",
        "marketing.MessageOpened",
    ].map { type in EventCatalogue.entries.first { $0.type == type && $0.isCurrent }! }

    /// Each kind's sample payload cut at its addresses' local part `ada@`, so that a
    /// customer's own is joined in without searching text for every event made.
    private static let payloads: [[[UInt8]]] = mix.map { entry in
        String(decoding: entry.samplePayload, as: UTF8.self).components(separatedBy: "ada@").map { Array($0.utf8) }
    }

    static func events(customer: Int, round: Int = 0) -> [(stream: String, event: NewEvent)] {
        mix.enumerated().map { index, entry in
            (
                "\(entry.category.rawValue)-b\(customer)x\(index)r\(round)",
                NewEvent(
                    id: .v7(), type: entry.type, schemaVersion: UInt32(entry.schemaVersion),
                    // Each customer's own addresses, as in real data.
                    payload: Array(payloads[index].joined(separator: Array("ada.c\(customer)@".utf8))),
                    subject: "c_\(customer)", actor: "bench")
            )
        }
    }

    /// Appends of `size` events each: one round of the mix for every customer.
    static func batches(customers: Int, round: Int, size: Int = 100) -> [[StreamAppend]] {
        var batches: [[StreamAppend]] = []
        var pending: [StreamAppend] = []
        for customer in 0..<customers {
            for (stream, event) in events(customer: customer, round: round) {
                pending.append(StreamAppend(stream: stream, expectedVersion: .any, events: [event]))
                if pending.count == size {
                    batches.append(pending)
                    pending = []
                }
            }
        }
        if !pending.isEmpty { batches.append(pending) }
        return batches
    }

    /// Events per second appending `count` events in appends of `appendSize` from `writers`
    /// concurrent writers (as the service's concurrent commands do), sealing them first when
    /// `vault` is given. With `known`, each customer already has a round of events (and so its
    /// keys) before the timed round; otherwise every customer is new.
    private func appendRate(
        _ directory: String, count: Int, vault: PersonalDataVault?, known: Bool, writers: Int
    ) async throws
        -> Double
    {
        let log = try EventLog(directory: directory + "/log")
        let customers = count / Self.mix.count
        if known {
            _ = try await Self.append(Self.batches(customers: customers, round: 0, size: appendSize), to: log, vault, writers: writers)
        }
        let rate = try await Self.append(Self.batches(customers: customers, round: 1, size: appendSize), to: log, vault, writers: writers)
        await log.close()
        return rate
    }

    /// Events per second appending `batches` from `writers` concurrent writers, each sealing
    /// its append first when `vault` is given.
    private static func append(
        _ batches: [[StreamAppend]], to log: EventLog, _ vault: PersonalDataVault?, writers: Int
    ) async throws
        -> Double
    {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: batches.count, by: writers) {
                        let batch = batches[index]
                        _ = try await log.append(vault == nil ? batch : try await vault!.seal(batch, at: SystemClock().now()))
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(batches.reduce(0) { $0 + $1.count }) / seconds(since: start)
    }

    /// CPU microseconds per event to seal a round of the mix for known customers, one thread, no log.
    private func sealCost() async throws -> Double {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-seal-cost-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = PersonalDataVault(keys: try DataKeyStore(directory: dir + "/keys", master: .generate()))
        defer { vault.close() }
        let customers = sealEvents / Self.mix.count
        for batch in Self.batches(customers: customers, round: 0) { _ = try await vault.seal(batch, at: SystemClock().now()) }
        let timed = Self.batches(customers: customers, round: 1)
        var costs: [Double] = []
        for _ in 0..<3 {
            // Process CPU time, not wall time: nothing else runs meanwhile, and other load on the
            // machine does not count against sealing.
            let start = Self.processCPUSeconds()
            for batch in timed { _ = try await vault.seal(batch, at: SystemClock().now()) }
            costs.append((Self.processCPUSeconds() - start) * 1e6 / Double(timed.reduce(0) { $0 + $1.count }))
        }
        return median(costs)
    }

    /// The payload bytes of one customer's mix, in clear and sealed: what the log's writer copies.
    private func payloadBytes() async throws -> (plain: Int, sealed: Int) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-seal-bytes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vault = PersonalDataVault(keys: try DataKeyStore(directory: dir + "/keys", master: .generate()))
        defer { vault.close() }
        let batch = Self.events(customer: 1).map { StreamAppend(stream: $0.stream, expectedVersion: .any, events: [$0.event]) }
        func bytes(_ appends: [StreamAppend]) -> Int { appends.reduce(0) { $0 + $1.events.reduce(0) { $0 + $1.payload.count } } }
        return (bytes(batch), bytes(try await vault.seal(batch, at: SystemClock().now())))
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The median round's loss of throughput to sealing, and the median plain and sealed rates.
    private func sealingOverhead(known: Bool, writers: Int) async throws -> (pct: Double, plain: Double, sealed: Double) {
        var plain: [Double] = []
        var sealed: [Double] = []
        for round in 0..<rounds {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-seal-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let vault = PersonalDataVault(keys: try DataKeyStore(directory: dir + "/sealed/keys", master: .generate()))
            defer { vault.close() }
            // Alternate which goes first, so neither always meets a warmer cache.
            if round % 2 == 0 {
                plain.append(try await appendRate(dir + "/plain", count: sealEvents, vault: nil, known: known, writers: writers))
                sealed.append(try await appendRate(dir + "/sealed", count: sealEvents, vault: vault, known: known, writers: writers))
            } else {
                sealed.append(try await appendRate(dir + "/sealed", count: sealEvents, vault: vault, known: known, writers: writers))
                plain.append(try await appendRate(dir + "/plain", count: sealEvents, vault: nil, known: known, writers: writers))
            }
        }
        // Each round pairs a plain and a sealed run made back to back, so the machine's drift
        // (disk flush times vary run to run) cancels; the figure is the median round's loss.
        let losses = zip(plain, sealed).map { plain, sealed in (plain - sealed) / plain * 100 }
        return (max(0, median(losses)), median(plain), median(sealed))
    }

    /// Milliseconds to export a customer with 1,000 events, five times.
    private func exportTimes() async throws -> [Double] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir + "/log")
        let vault = PersonalDataVault(keys: try DataKeyStore(directory: dir + "/keys", master: .generate()))
        let engine = try ProjectionEngine(log: log, payloads: vault, directory: dir + "/projections", projectors: ReadModels.all)
        let service = CairnService(log: log, vault: vault, projections: engine)
        var times: [Double] = []
        do {
            // The customer's registration, then 999 more events about them of the other kinds.
            let events = Self.events(customer: 0)
            var appends = [StreamAppend(stream: "customer-c_0", expectedVersion: .any, events: [events[0].event])]
            var index = 0
            while appends.count < 1000 {
                var (stream, event) = events[1 + index % (events.count - 1)]
                event.id = .v7()
                appends.append(StreamAppend(stream: "\(stream)-\(index)", expectedVersion: .any, events: [event]))
                index += 1
            }
            _ = try await log.append(try await vault.seal(appends, at: SystemClock().now()))
            try await engine.waitUntil(position: log.committedThrough, timeout: .seconds(60))
            let signer = try TreeHeadSigner.generate()
            for _ in 0..<5 {
                let start = ContinuousClock.now
                let export = try await service.exportSubject("c_0", signer: signer)
                times.append(seconds(since: start) * 1000)
                guard export.recordCount == 1000 else { throw CLIError("the export holds \(export.recordCount) records, not 1,000") }
            }
        } catch {
            await engine.close()
            vault.close()
            await log.close()
            throw error
        }
        await engine.close()
        vault.close()
        await log.close()
        return times
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The value below which `fraction` of `values` fall (nearest rank).
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
}
