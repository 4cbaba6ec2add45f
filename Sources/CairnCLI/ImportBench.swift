import ArgumentParser
import CairnService
import CairnStore
import Foundation
import Synchronization

struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "CSV import: rows per second into a fresh log, and again when nothing changed.",
        discussion: """
            Generates a customers CSV (--rows rows: external id, names, e-mail, phone, address, \
            owner, tags), imports it into a fresh, fully durable log in a temporary directory \
            through the domain's commands, then imports it again (every row unchanged). Peak RSS \
            is the process's high-water mark, generation included, and counts the pages of the \
            memory-mapped LMDB files it touched; the anonymous peak is the process's own memory \
            during the first import — what must stay flat as --rows grows.
            """)

    @Option(help: "Rows in the generated file.")
    var rows = 100_000

    @Flag(help: "One JSON object.")
    var json = false

    @Option(help: "Rows per append.")
    var batchSize = ImportOptions().batchSize

    @Option(help: "Batches in flight.")
    var concurrency = ImportOptions().concurrency

    func run() async throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-import-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/customers.csv"
        try generate(file)
        var options = ImportOptions()
        options.batchSize = batchSize
        options.concurrency = concurrency
        let log = try EventLog(directory: dir + "/data/log")
        let vault = PersonalDataVault(keys: try DataKeyStore(directory: dir + "/data/keys", master: .generate()))
        defer { vault.close() }
        let service = CairnService(log: log, vault: vault)
        let first: ImportReport
        let second: ImportReport
        var importAnonymousPeak = 0.0
        do {
            let sampler = AnonymousMemorySampler()
            first = try await service.importCSV(path: file, as: .customers, options: options)
            importAnonymousPeak = sampler.stop()
            second = try await service.importCSV(path: file, as: .customers, options: options)
        } catch {
            await log.close()
            throw CLIError("import failed: \(error.message)")
        }
        await log.close()
        guard first.progress.created == rows, second.progress.unchanged == rows else {
            throw CLIError("the benchmark's import did not load every row: \(first.progress), then \(second.progress)")
        }
        printFigures(
            "cairn bench import — \(rows) customer rows, durable log",
            [
                BenchFigure(
                    key: "import_rows_per_s", value: first.rowsPerSecond.rounded(), unit: "rows/s", target: 20_000,
                    note: "new customers, one register command each"),
                BenchFigure(
                    key: "reimport_rows_per_s", value: second.rowsPerSecond.rounded(), unit: "rows/s", target: nil,
                    note: "same file again: every row decided, nothing written"),
                BenchFigure(key: "import_events", value: Double(first.progress.events), unit: "events", target: nil, note: ""),
                BenchFigure(
                    key: "import_anon_peak_mb", value: (importAnonymousPeak * 10).rounded() / 10, unit: "MiB", target: nil,
                    note: "the process's own (anonymous) memory at its highest during the first import, sampled every 20 ms"),
                BenchFigure(
                    key: "peak_rss_mb", value: (peakResidentMegabytes() * 10).rounded() / 10, unit: "MiB", target: nil,
                    note: "resident high-water mark, including the log's and key store's memory-mapped file pages"),
            ],
            json: json, context: [("batch_size", String(batchSize)), ("concurrency", String(concurrency))])
    }

    private func generate(_ path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIError("cannot write \(path)") }
        defer { try? handle.close() }
        let given = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"]
        let family = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson"]
        let cities = [("Berlin", "DE"), ("Paris", "FR"), ("London", "GB"), ("Madrid", "ES"), ("Lisbon", "PT"), ("Oslo", "NO")]
        var text = "externalId,firstName,lastName,email,phone,street,city,postalCode,country,owner,tags\n"
        for n in 0..<rows {
            let (city, country) = cities[n % cities.count]
            text +=
                "C\(100_000_000 + n),\(given[n % 10]),\"\(family[(n / 10) % 10])\",person\(n)@example.com,+4477009\(String(format: "%05d", n % 100_000)),"
                + "\"\(n % 200 + 1) Main Street\",\(city),\(10_000 + n % 90_000),\(country),u_rep\(n % 9),\(n % 3 == 0 ? "vip;newsletter" : "")\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }
}

/// The process's peak resident set, in MiB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

/// Samples the process's anonymous resident memory (`RssAnon`) on a thread of its own until
/// stopped, keeping the highest value.
final class AnonymousMemorySampler: @unchecked Sendable {
    private let stopped = Atomic<Bool>(false)
    private let peakKilobytes = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let current = Self.anonymousKilobytes()
                if current > peakKilobytes.load(ordering: .relaxed) { peakKilobytes.store(current, ordering: .relaxed) }
                usleep(20_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling; the peak in MiB.
    func stop() -> Double {
        stopped.store(true, ordering: .relaxed)
        done.wait()
        return Double(max(peakKilobytes.load(ordering: .relaxed), Self.anonymousKilobytes())) / 1024
    }

    private static func anonymousKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
