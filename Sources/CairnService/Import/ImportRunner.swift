import CairnDomain
import CairnStore
import Foundation
import Synchronization

/// A row that could not be imported, and why. Nothing of it was written.
public struct ImportRowError: Sendable, Equatable {
    /// Where the row is: its line in a CSV file, its record number in a JSON file.
    public var line: Int
    /// The row's upsert key (external id, email or id) when it has one.
    public var key: String?
    /// A stable code: the domain's rule code (`validation.failed`, `customer.closed`, …) or an
    /// import code (`import.duplicateKey`, `import.missingField`, `import.invalidValue`, …).
    public var code: String
    public var reason: String
    /// The file the row came from, for imports reading several.
    public var file: String?

    public init(line: Int, key: String? = nil, code: String, reason: String, file: String? = nil) {
        self.line = line
        self.key = key
        self.code = code
        self.reason = reason
        self.file = file
    }
}

/// How far an import has got.
public struct ImportProgress: Sendable, Equatable {
    public var rows = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var failed = 0
    public var events = 0
    /// Input consumed so far and its total size, in bytes (0 when unknown).
    public var bytesRead = 0
    public var bytesTotal = 0

    public init() {}

    public var fraction: Double { bytesTotal > 0 ? min(1, Double(bytesRead) / Double(bytesTotal)) : 0 }
}

/// What an import did.
public struct ImportReport: Sendable {
    public var progress: ImportProgress
    /// Every refused row, in input order.
    public var errors: [ImportRowError]
    public var seconds: Double
    public var dryRun: Bool
    /// The log's head after the import: a read that must see the imported data waits for it.
    public var position: UInt64

    public var rowsPerSecond: Double { seconds > 0 ? Double(progress.rows) / seconds : 0 }
}

/// Why an import stopped before the end of its input (bad rows do not stop it).
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// How to run an import.
public struct ImportOptions: Sendable {
    /// Decide every row against the current data and report, but write nothing.
    public var dryRun = false
    /// Rows decided together and appended in one commit.
    public var batchSize = 256
    /// Batches in flight at once: while one commits, others decide. Four keep both cores of
    /// a small machine busy; more only make each group commit, and the pages LMDB keeps
    /// allocated for the largest one, bigger (`cairn bench import --concurrency`).
    public var concurrency = 4
    /// Who the events are recorded as issued by (the timeline shows it).
    public var actor = "import"
    /// Called after each batch, from the importing tasks.
    public var progress: (@Sendable (ImportProgress) -> Void)?

    public init(dryRun: Bool = false) { self.dryRun = dryRun }
}

/// One input row turned into a decision, or refused before it could be.
struct PlannedRow: Sendable {
    typealias Decide = @Sendable (inout ImportDecision) throws -> [StreamedEvent]

    var line: Int
    var key: String?
    /// The aggregate the row creates or updates.
    var primary: StreamName
    var decide: Decide

    init(line: Int, key: String?, primary: StreamName, decide: @escaping Decide) {
        self.line = line
        self.key = key
        self.primary = primary
        self.decide = decide
    }
}

/// Hands out records in batches, one importing task at a time, refusing a record whose key
/// an earlier one had; the tasks then plan their records concurrently.
protocol ImportSource: AnyObject {
    /// Up to `count` records (fewer only at the end) and the records refused while reading them.
    func next(_ count: Int) throws(ImportError) -> (records: [ImportRecord], refused: [ImportRowError])
    /// The decision a record stands for. Called concurrently: must only read the source's
    /// immutable configuration.
    func plan(_ record: ImportRecord) throws(ImportRowError) -> PlannedRow
    var bytesRead: Int { get }
    var bytesTotal: Int { get }
}

extension CairnService {
    /// Runs every row of `source` through the domain, several rows per append and several
    /// batches in flight. Refused rows are reported, never written; re-running an import
    /// converges (a row whose data is already there decides no events).
    func runImport(_ source: some ImportSource, _ options: ImportOptions, runId: String) async throws(ImportError) -> ImportReport {
        let started = ContinuousClock.now
        let feed = Feed(source)
        let tally = Tally()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, options.concurrency) {
                    group.addTask {
                        while true {
                            let (records, refusedEarly) = try feed.next(max(1, options.batchSize))
                            if records.isEmpty && refusedEarly.isEmpty { return }
                            var rows: [PlannedRow] = []
                            var refused = refusedEarly
                            rows.reserveCapacity(records.count)
                            for record in records {
                                do throws(ImportRowError) { rows.append(try feed.plan(record)) } catch { refused.append(error) }
                            }
                            tally.refuse(refused)
                            if !rows.isEmpty { try await self.importBatch(rows, options, runId: runId, tally) }
                            if let progress = options.progress {
                                var snapshot = tally.snapshot
                                (snapshot.bytesRead, snapshot.bytesTotal) = feed.bytes
                                progress(snapshot)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError(code: "import.storage", message: "\(error)")
        }
        var progress = tally.snapshot
        (progress.bytesRead, progress.bytesTotal) = feed.bytes
        let elapsed = ContinuousClock.now - started
        return ImportReport(
            progress: progress, errors: tally.errors.sorted { ($0.file ?? "", $0.line) < ($1.file ?? "", $1.line) },
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, dryRun: options.dryRun,
            position: log.committedThrough)
    }

    /// Decides a batch against fresh state and appends it in one go; when a concurrent writer
    /// moved a stream it read, decides it again.
    private func importBatch(_ rows: [PlannedRow], _ options: ImportOptions, runId: String, _ tally: Tally) async throws {
        for attempt in 1...maxAttempts {
            var decision = ImportDecision(service: self, now: clock.now(), actor: options.actor, correlationId: runId)
            var outcome = Tally.Outcome()
            for row in rows {
                let commandId = "\(runId):\(row.line)"
                do {
                    let events = try row.decide(&decision)
                    // The stream the row wrote first: its own, or the customer an email led to.
                    let existed = decision.existedBefore(events.first?.stream ?? row.primary)
                    decision.apply(events, commandId: commandId)
                    if events.isEmpty {
                        outcome.unchanged += 1
                    } else if existed {
                        outcome.updated += 1
                    } else {
                        outcome.created += 1
                    }
                    outcome.events += events.count
                } catch let error as CommandError {
                    outcome.errors.append(ImportRowError(line: row.line, key: row.key, code: error.code, reason: error.readable))
                } catch let error as ImportRowError {
                    outcome.errors.append(error)
                } catch let rejection as Rejection {
                    outcome.errors.append(
                        ImportRowError(line: row.line, key: row.key, code: rejection.code, reason: CommandError(rejection).readable))
                } catch {
                    outcome.errors.append(ImportRowError(line: row.line, key: row.key, code: "import.failed", reason: "\(error)"))
                }
            }
            if options.dryRun || decision.eventCount == 0 {
                tally.record(outcome, rows: rows.count)
                return
            }
            do {
                try await log.append(try await vault.seal(decision.appends(), at: clock.now()))
                tally.record(outcome, rows: rows.count)
                return
            } catch let error as EventLogError where error.code == .wrongExpectedVersion && attempt < maxAttempts {
                continue
            } catch {
                throw ImportError(code: "import.storage", message: "appending rows \(rows[0].line)–\(rows.last!.line): \(error)")
            }
        }
    }
}

extension ImportRowError: Error {}

extension CommandError {
    /// The message with every invalid field, on one line.
    var readable: String {
        guard !issues.isEmpty else { return message }
        return issues.map { $0.path.isEmpty ? $0.message : "\($0.path) \($0.message)" }.joined(separator: "; ")
    }
}

/// The source behind a lock: importing tasks take turns reading from it.
private final class Feed: @unchecked Sendable {
    private let lock = NSLock()
    private let source: any ImportSource

    init(_ source: any ImportSource) { self.source = source }

    func next(_ count: Int) throws(ImportError) -> (records: [ImportRecord], refused: [ImportRowError]) {
        lock.lock()
        defer { lock.unlock() }
        return try source.next(count)
    }

    func plan(_ record: ImportRecord) throws(ImportRowError) -> PlannedRow { try source.plan(record) }

    var bytes: (Int, Int) { lock.withLock { (source.bytesRead, source.bytesTotal) } }
}

/// Counts across the importing tasks.
private final class Tally: Sendable {
    struct Outcome {
        var created = 0
        var updated = 0
        var unchanged = 0
        var events = 0
        var errors: [ImportRowError] = []
    }

    private let state = Mutex((progress: ImportProgress(), errors: [ImportRowError]()))

    func refuse(_ errors: [ImportRowError]) {
        guard !errors.isEmpty else { return }
        state.withLock {
            $0.progress.rows += errors.count
            $0.progress.failed += errors.count
            $0.errors += errors
        }
    }

    func record(_ outcome: Outcome, rows: Int) {
        state.withLock {
            $0.progress.rows += rows
            $0.progress.created += outcome.created
            $0.progress.updated += outcome.updated
            $0.progress.unchanged += outcome.unchanged
            $0.progress.failed += outcome.errors.count
            $0.progress.events += outcome.events
            $0.errors += outcome.errors
        }
    }

    var snapshot: ImportProgress { state.withLock { $0.progress } }
    var errors: [ImportRowError] { state.withLock { $0.errors } }
}
