import ArgumentParser
import CairnStore
import Foundation

struct ComplianceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Tamper evidence on a large log: inclusion proofs, their verification, tree heads.",
        discussion: """
            Builds a log of --events events (or reuses --log) and times, for random positions, \
            making an inclusion proof against the head and checking it; and making and signing a \
            tree head. Figures are medians.
            """)

    @Option(help: "Events in the generated log.")
    var events = 1_000_000

    @Option(help: "Reuse (or create and keep) the log in this directory instead of a temporary one.")
    var log: String?

    @Option(help: "Proofs to time.")
    var samples = 10_000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
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
