import ArgumentParser
import CairnProjections
import CairnService
import CairnStore
import Foundation

struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "List, inspect, rebuild and fingerprint the read models.",
        discussion: """
            The read models live in <data>/projections, one LMDB environment per version. These \
            commands run the projections themselves while they work, so they refuse to start \
            while another process (a running `cairn serve`) holds them.
            """,
        subcommands: [List.self, Status.self, Rebuild.self, Digest.self]
    )
}

/// Opens the log (read-only unless `access` says otherwise) and the projection engine over it,
/// runs `body`, closes both.
func withProjections<T>(
    _ options: DataOptions, access: LogAccess = .read, _ body: (ProjectionEngine) async throws -> T
) async throws -> T {
    try await withProjectedService(options, access: access) { service in try await body(service.projections!) }
}

/// Opens the log, the data keys and the read models, and a service over them; runs `body`; closes them all.
func withProjectedService<T>(
    _ options: DataOptions, access: LogAccess = .read, _ body: (CairnService) async throws -> T
) async throws -> T {
    try await withVault(options) { vault in
        try await withEventLog(options, access) { log in
            let engine: ProjectionEngine
            do {
                engine = try ProjectionEngine(
                    log: log, payloads: vault, directory: options.dataDirectory + "/projections", projectors: ReadModels.all)
            } catch {
                throw CLIError("cannot open the projections in \(options.dataDirectory)/projections: \(describe(error))")
            }
            do {
                let value = try await body(CairnService(log: log, vault: vault, projections: engine))
                await engine.close()
                return value
            } catch {
                await engine.close()
                throw error
            }
        }
    }
}

/// Opens the data keys (`<data>/keys`, under the master key — see ``PersonalDataVault/open``), runs `body`, closes them.
func withVault<T>(_ options: DataOptions, _ body: (PersonalDataVault) async throws -> T) async throws -> T {
    let vault = try openVault(options)
    defer { vault.close() }
    return try await body(vault)
}

/// The data keys of `options`' data directory; a master key made there is warned about on stderr.
func openVault(_ options: DataOptions) throws -> PersonalDataVault {
    do {
        return try PersonalDataVault.open(dataDirectory: options.dataDirectory) { warning in
            FileHandle.standardError.write(Data("cairn: warning: \(warning)\n".utf8))
        }
    } catch {
        throw CLIError("cannot open the data keys in \(options.dataDirectory)/keys: \(describe(error))")
    }
}

extension ProjectionStatus {
    var jsonLine: String {
        var json = JSONText()
        json.raw("{")
        json.key("projection", first: true); json.string(name)
        json.key("version"); json.raw(String(version))
        json.key("serving"); json.raw(isServing ? "true" : "false")
        json.key("state"); json.string(state.description)
        json.key("checkpoint"); json.raw(String(checkpoint))
        json.key("head"); json.raw(String(head))
        json.key("lagEvents"); json.raw(String(lagEvents))
        json.key("lagSeconds"); json.raw(String(format: "%.3f", lagSeconds))
        json.key("eventsPerSecond"); json.raw(String(Int(eventsPerSecond.rounded())))
        if let eta = estimatedTimeRemaining { json.key("etaSeconds"); json.raw(String(format: "%.1f", eta.seconds)) }
        json.raw("}")
        return json.text
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension ProjectionsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The registered read models and their versions.")

        func run() async throws {
            for projector in ReadModels.all.sorted(by: { $0.name < $1.name }) {
                emit("\(projector.name) v\(projector.version)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Checkpoint, lag, rate and state of every read-model version.")

        @OptionGroup var options: DataOptions

        @Flag(help: "One JSON object per line.")
        var json = false

        func run() async throws {
            let statuses = try await withProjections(options) { engine in try engine.status() }
            if json {
                for status in statuses { emit(status.jsonLine) }
                return
            }
            emit("projection            version  serving  state         checkpoint        head   lag(events)  lag(s)")
            for s in statuses {
                emit(
                    s.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + "v\(s.version)".padding(toLength: 9, withPad: " ", startingAt: 0)
                        + (s.isServing ? "yes" : "no").padding(toLength: 9, withPad: " ", startingAt: 0)
                        + s.state.description.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(s.checkpoint).leftPadded(12) + String(s.head).leftPadded(12)
                        + String(s.lagEvents).leftPadded(14) + String(format: "%8.1f", s.lagSeconds))
            }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild read models from position 0 beside the serving ones, then switch.",
            discussion: """
                Queries keep reading the serving version until the rebuilt one has caught up with \
                the log; then it takes over and the old version is removed. An interrupted rebuild \
                resumes where it stopped. On a terminal it shows a progress bar; with --json it \
                prints a progress line per projection being built every --progress-every ms.
                """)

        @OptionGroup var options: DataOptions

        @Argument(help: "The read model to rebuild.")
        var name: String?

        @Flag(help: "Rebuild every read model.")
        var all = false

        @Flag(help: "Machine-readable progress lines.")
        var json = false

        @Option(help: "Milliseconds between progress reports.")
        var progressEvery = 500

        func validate() throws {
            guard (name != nil) != all else { throw ValidationError("name one read model, or give --all") }
            guard (10...60_000).contains(progressEvery) else { throw ValidationError("--progress-every must be 10…60000") }
        }

        func run() async throws {
            try await withProjections(options) { engine in
                let names = all ? engine.projectionNames : [name!]
                for name in names where !engine.projectionNames.contains(name) {
                    throw CLIError("no read model named \(name) (cairn projections list)")
                }
                let reporter = Task { await report(engine, names) }
                do {
                    if all { try await engine.rebuildAll() } else { try await engine.rebuild(names[0]) }
                } catch {
                    reporter.cancel()
                    throw CLIError("rebuild failed: \(describe(error))")
                }
                reporter.cancel()
                _ = await reporter.value
                for status in try engine.status() where names.contains(status.name) {
                    if json {
                        emit(status.jsonLine)
                    } else {
                        emit("\(status.name) v\(status.version): rebuilt through position \(status.checkpoint), serving")
                    }
                }
            }
        }

        /// Shows progress until cancelled: a bar on a terminal, JSON lines with --json.
        private func report(_ engine: ProjectionEngine, _ names: [String]) async {
            let terminal = isatty(STDOUT_FILENO) == 1 && !json
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(progressEvery))
                guard !Task.isCancelled, let statuses = try? engine.status() else { break }
                let building = statuses.filter { names.contains($0.name) && !$0.isServing }
                if json {
                    for status in building { emit(status.jsonLine) }
                } else if terminal, !building.isEmpty {
                    let done = building.reduce(0) { $0 + $1.checkpoint }
                    let total = max(1, building.reduce(0) { $0 + $1.head })
                    let rate = building.reduce(0) { $0 + $1.eventsPerSecond }
                    let fraction = min(1, Double(done) / Double(total))
                    let filled = Int(fraction * 30)
                    let eta = rate > 0 ? Double(total - min(done, total)) / rate : 0
                    let line =
                        "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] "
                        + String(format: "%3.0f%%", fraction * 100)
                        + "  \(done)/\(total) events  \(Int(rate)) ev/s  ETA \(formatSeconds(eta))"
                    FileHandle.standardOutput.write(Data(("\r" + line).utf8))
                }
            }
            if terminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    struct Digest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A SHA-256 of a read model's content; two builds from the same log give the same digest.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The read model.")
        var name: String

        func run() async throws {
            let digest = try await withProjections(options) { engine in
                guard engine.projectionNames.contains(name) else { throw CLIError("no read model named \(name) (cairn projections list)") }
                let head = try engine.status(of: name).first?.head ?? 0
                try await engine.waitUntil(position: head, in: name, timeout: .seconds(600))
                return try engine.digest(name)
            }
            emit("\(digest.hex)  \(name)")
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d", total / 60, total % 60)
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
