import ArgumentParser
import CairnDomain
import CairnService
import CairnStore
import Foundation

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Append to, read, follow, verify and describe the event log.",
        subcommands: [Append.self, Read.self, Tail.self, Verify.self, Stats.self, TreeHeadCommand.self, Prove.self, Consistency.self]
    )
}

/// How a command uses the log.
enum LogAccess {
    /// Appends: the log is created when absent.
    case append
    /// Writes only bookkeeping (the verified prefix): the log must exist.
    case maintain
    /// Reads only, with no writer, so it never takes the write lock of a running service's log.
    case read
    /// Reads only, but creates an empty log first when there is none — for following a log
    /// that a service about to start will write (like `tail -F`).
    case follow
}

/// Opens the log, runs `body`, and closes the log however `body` ends.
func withEventLog<T>(_ options: DataOptions, _ access: LogAccess, _ body: (EventLog) async throws -> T) async throws -> T {
    let directory = options.logDirectory
    let exists = FileManager.default.fileExists(atPath: directory + "/data.mdb")
    if !exists && access != .append && access != .follow {
        throw CLIError("no log at \(directory) (give --data, or set CAIRN_DATA, to the data directory)")
    }
    var logOptions = EventLog.Options()
    logOptions.readOnly = access == .read || access == .follow
    let log: EventLog
    do {
        if access == .follow && !exists {
            FileHandle.standardError.write(Data("cairn: following a new, empty log in \(directory)\n".utf8))
        }
        log = try await openLog(directory, logOptions, createFirst: access == .follow)
    } catch {
        throw CLIError("cannot open the log in \(directory): \(describe(error))")
    }
    do {
        let value = try await body(log)
        await log.close()
        return value
    } catch {
        await log.close()
        throw error
    }
}

/// Opens the log. With `createFirst`, a read-only open that finds no log — or one another
/// process has only begun to create — first creates it with a writable open.
private func openLog(_ directory: String, _ options: EventLog.Options, createFirst: Bool) async throws -> EventLog {
    do {
        return try EventLog(directory: directory, options: options)
    } catch  where createFirst {
        var writable = options
        writable.readOnly = false
        try await EventLog(directory: directory, options: writable).close()
        return try EventLog(directory: directory, options: options)
    }
}

/// One readable line for an error from below the CLI.
func describe(_ error: any Error) -> String {
    switch error {
    case let error as EventLogError: error.message
    case let error as CocoaError: error.underlying.map { "\($0.localizedDescription)" } ?? error.localizedDescription
    default: "\(error)"
    }
}

extension CocoaError {
    fileprivate var underlying: (any Error)? { userInfo[NSUnderlyingErrorKey] as? any Error }
}

/// Writes a line to standard output at once (acknowledgements must not wait in a buffer).
func emit(_ line: String) {
    print(line)
    fflush(nil)
}

extension LogCommand {
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append events and print each acknowledged position.",
            discussion: """
                With --stream and --type, each PAYLOAD argument is one event's JSON payload, all \
                appended to that stream at once. Otherwise each line of standard input is one append \
                as a JSON object: {"stream":"customer-1","type":"customers.CustomerRegistered","payload":{…}} \
                with optional id, schemaVersion, expectedVersion (any, no_stream, stream_exists or a \
                number), subject, actor, occurredAt, correlationId, causationId — or "events":[…] for \
                several events. Each acknowledged event prints as {"position":…,"stream":…,"version":…,"id":…}, \
                once durable.
                """)

        @OptionGroup var options: DataOptions

        @Option(help: "Stream to append the PAYLOAD arguments to.")
        var stream: String?

        @Option(help: "Event type of the PAYLOAD arguments, as context.PastTense.")
        var type: String?

        @Option(help: "Expected stream version: any, no_stream, stream_exists or a number.")
        var expectedVersion = "any"

        @Option(help: "Actor recorded on each event.")
        var actor = "cli"

        @Option(help: "Appends from standard input kept in flight at once (they share commits).")
        var concurrency = 1

        @Argument(help: "JSON payloads (with --stream and --type).")
        var payloads: [String] = []

        func validate() throws {
            guard concurrency >= 1 && concurrency <= 4096 else { throw ValidationError("--concurrency must be 1…4096") }
            if !payloads.isEmpty && (stream == nil || type == nil) {
                throw ValidationError("payload arguments need --stream and --type")
            }
        }

        func run() async throws {
            // Personal data of catalogued events is sealed, as when the service appends it; the
            // data keys open only once an event is valid, so bad input creates nothing.
            let vault = LazyVault(options)
            defer { vault.close() }
            try await withEventLog(options, .append) { log in
                if let stream, let type {
                    let events = try (payloads.isEmpty ? ["{}"] : payloads).map { text in
                        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
                            throw CLIError("payload is not JSON: \(text.prefix(80))")
                        }
                        let event = NewEvent(id: .v7(), type: type, payload: try AppendLine.payloadBytes(value), actor: actor)
                        try DomainEventCheck.validate(event)
                        return event
                    }
                    let append = StreamAppend(
                        stream: stream, expectedVersion: try AppendLine.expectedVersion(expectedVersion), events: events)
                    acknowledge(append, try await log.append([try await vault.seal(append)]))
                    return
                }
                try await appendStandardInput(log, vault)
            }
        }

        /// Appends each line, keeping up to `concurrency` in flight. On the first failure it
        /// stops reading, still acknowledges every append that landed, and then reports the
        /// failure — so the output names exactly what is stored.
        private func appendStandardInput(_ log: EventLog, _ vault: LazyVault) async throws {
            var failure: CLIError?
            await withTaskGroup(of: Done.self) { group in
                var inFlight = 0
                var lineNumber = 0
                func settle(_ done: Done) {
                    inFlight -= 1
                    switch done.result {
                    case .success(let result): acknowledge(done.append, result)
                    case .failure(let error):
                        if failure == nil { failure = CLIError("line \(done.line): \(describe(error))") }
                    }
                }
                while failure == nil, let line = readLine(strippingNewline: true) {
                    lineNumber += 1
                    if line.allSatisfy(\.isWhitespace) { continue }
                    let append: StreamAppend
                    let sealed: StreamAppend
                    do {
                        append = try AppendLine(json: line, defaultActor: actor).append
                        for event in append.events { try DomainEventCheck.validate(event) }
                        sealed = try await vault.seal(append)
                    } catch {
                        failure = CLIError("line \(lineNumber): \(error)")
                        break
                    }
                    let number = lineNumber
                    group.addTask {
                        do { return Done(line: number, append: append, result: .success(try await log.append([sealed]))) } catch {
                            return Done(line: number, append: append, result: .failure(error))
                        }
                    }
                    inFlight += 1
                    if inFlight >= concurrency, let done = await group.next() { settle(done) }
                }
                while let done = await group.next() { settle(done) }
            }
            if let failure { throw failure }
        }

        /// An append from standard input, once the log has answered it. A struct, not a tuple:
        /// a task group whose child result was the labelled tuple crashed the Swift 6 runtime
        /// when copying it to the waiting parent (release builds only).
        private struct Done: Sendable {
            var line: Int
            var append: StreamAppend
            var result: Result<AppendResult, any Error>
        }

        private func acknowledge(_ append: StreamAppend, _ result: AppendResult) {
            let firstVersion = (result.streamVersions[append.stream] ?? 0) - UInt64(append.events.count)
            for (offset, (event, position)) in zip(append.events, result.positions).enumerated() {
                var json = JSONText()
                json.raw("{")
                json.key("position", first: true); json.raw(String(position))
                json.key("stream"); json.string(append.stream)
                json.key("version"); json.raw(String(firstVersion + UInt64(offset) + 1))
                json.key("id"); json.string(event.id.uuidString.lowercased())
                json.raw("}")
                emit(json.text)
            }
        }
    }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print events as JSON lines: a stream, the global log from a position, or one event by id.")

        @OptionGroup var options: DataOptions

        @Option(help: "Read this stream (from --from as a stream version).")
        var stream: String?

        @Option(help: "Print the event with this id.")
        var id: String?

        @Option(help: "First position (or stream version with --stream). Backwards with --stream, defaults to the end.")
        var from: UInt64?

        @Option(help: "Most events to print.")
        var limit = 1000

        @Flag(help: "Read the stream backwards.")
        var backwards = false

        @Option(help: "Only event types starting with one of these (comma-separated).")
        var types: String?

        @Option(help: "Only streams of these categories (comma-separated).")
        var category: String?

        func run() async throws {
            try await withEventLog(options, .read) { log in
                if let id {
                    guard let uuid = UUID(uuidString: id) else { throw CLIError("--id must be a UUID, not \(id)") }
                    guard let event = try log.event(id: uuid) else { throw CLIError("no event has id \(id)") }
                    emit(event.jsonLine)
                    return
                }
                if let stream {
                    let start = from ?? (backwards ? .max : 1)
                    for event in try log.readStream(stream, from: start, direction: backwards ? .backwards : .forwards, limit: limit) {
                        emit(event.jsonLine)
                    }
                    return
                }
                var next = from ?? 1
                var remaining = limit
                let head = try log.head()
                let filter = EventFilter(types: types, category: category)
                while remaining > 0 && next <= head {
                    let page = try log.read(from: next, limit: min(remaining, 4096), filter: filter)
                    for event in page.events { print(event.jsonLine) }
                    remaining -= page.events.count
                    next = page.next
                }
                fflush(nil)
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print events from a position as JSON lines, then follow new ones until interrupted.")

        @OptionGroup var options: DataOptions

        @Option(help: "First position to print.")
        var from: UInt64 = 1

        @Option(help: "Only event types starting with one of these (comma-separated).")
        var types: String?

        @Option(help: "Only streams of these categories (comma-separated).")
        var category: String?

        @Option(help: "Stop after this many events.")
        var limit: Int?

        func run() async throws {
            try await withEventLog(options, .follow) { log in
                var printed = 0
                // Another process (a running `cairn serve`) may be the writer: look every 100 ms.
                for try await event in log.subscribe(
                    from: from, filter: EventFilter(types: types, category: category), pollInterval: .milliseconds(100)
                ) {
                    emit(event.jsonLine)
                    printed += 1
                    if let limit, printed >= limit { break }
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain; exit 1 naming the first bad position if it is broken.")

        @OptionGroup var options: DataOptions

        @Flag(help: "Check from position 1 rather than after the prefix verified last time.")
        var full = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let report = try await withEventLog(options, .maintain) { log in try await log.verify(full: full) }
            if json {
                var out = JSONText()
                out.raw("{")
                out.key("intact", first: true); out.raw(report.isIntact ? "true" : "false")
                out.key("checkedFrom"); out.raw(String(report.checkedFrom))
                out.key("verifiedThrough"); out.raw(String(report.verifiedThrough))
                out.key("recordsChecked"); out.raw(String(report.recordsChecked))
                if let bad = report.firstBadPosition { out.key("firstBadPosition"); out.raw(String(bad)) }
                if let problem = report.problem { out.key("problem"); out.string(problem) }
                out.raw("}")
                emit(out.text)
            } else if report.isIntact && report.verifiedThrough == 0 {
                emit("intact: the log is empty")
            } else if report.isIntact {
                emit("intact: positions 1…\(report.verifiedThrough) verified (\(report.recordsChecked) checked from \(report.checkedFrom))")
            }
            if let bad = report.firstBadPosition {
                if !json { emit("broken at position \(bad): \(report.problem ?? "")") }
                throw ExitCode.failure
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe the log: size, streams, time span, verification.")

        @OptionGroup var options: DataOptions

        @Flag(help: "Print as JSON.")
        var json = false

        func run() async throws {
            let stats = try await withEventLog(options, .read) { log in try log.stats() }
            let rows: [(String, String)] = [
                ("head", String(stats.head)),
                ("events", String(stats.events)),
                ("streams", String(stats.streams)),
                ("indexedThrough", String(stats.indexedThrough)),
                ("firstRecordedAt", stats.firstRecordedAt?.rfc3339 ?? "-"),
                ("lastRecordedAt", stats.lastRecordedAt?.rfc3339 ?? "-"),
                ("verifiedThrough", String(stats.verifiedThrough)),
                ("usedBytes", String(stats.usedBytes)),
                ("fileBytes", String(stats.fileBytes)),
                ("mapSize", String(stats.mapSize)),
            ]
            if json {
                var out = JSONText()
                out.raw("{")
                for (index, (key, value)) in rows.enumerated() {
                    out.key(key, first: index == 0)
                    if let number = Int(value) {
                        out.raw(String(number))
                    } else if value == "-" {
                        out.raw("null")
                    } else {
                        out.string(value)
                    }
                }
                out.raw("}")
                emit(out.text)
            } else {
                for (key, value) in rows { emit(key.padding(toLength: 16, withPad: " ", startingAt: 0) + value) }
            }
        }
    }
}

extension EventFilter {
    init(types: String?, category: String?) {
        func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        self.init(typePrefixes: list(types), categories: list(category))
    }
}

/// The data directory's vault, opened the first time it is needed.
final class LazyVault {
    private let options: DataOptions
    private var vault: PersonalDataVault?

    init(_ options: DataOptions) { self.options = options }

    func open() throws -> PersonalDataVault {
        if let vault { return vault }
        let opened = try openVault(options)
        vault = opened
        return opened
    }

    /// The append with its personal data sealed; opens the vault only for events that have some.
    func seal(_ append: StreamAppend) async throws -> StreamAppend {
        let personal = append.events.contains {
            PersonalDataEnvelope.plan(type: $0.type, schemaVersion: Int($0.schemaVersion)) != nil
        }
        return personal ? try await open().seal([append], at: SystemClock().now())[0] : append
    }

    func close() { vault?.close() }
}
