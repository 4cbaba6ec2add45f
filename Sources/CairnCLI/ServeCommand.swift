import ArgumentParser
import CairnHTTP
import CairnService
import CairnStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `cairn serve`: the HTTP service over a data directory.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API: commands, queries, event tailing, metrics.",
        discussion: """
            Opens the log, runs the projections in-process (so queries are live) and listens. \
            Every endpoint except /health/* and /openapi.yaml needs an API key (`cairn keys create`). \
            SIGTERM or SIGINT stops accepting, lets in-flight requests finish, closes event streams \
            and the log cleanly. Logs are JSON lines on standard error.
            """)

    @OptionGroup var options: DataOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(
        name: .customLong("retention"),
        help: ArgumentHelp("Apply this retention policy daily, KIND=MONTHS (for example activity=24); repeatable.", valueName: "policy"))
    var retention: [String] = []

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = CairnServerConfiguration(dataDirectory: options.dataDirectory)
        configuration.host = host
        configuration.port = port
        do { configuration.retention = try retention.map { try RetentionPolicy(parsing: $0) } } catch {
            throw CLIError("--retention: \((error as? CommandError)?.message ?? "\(error)")")
        }
        configuration.logger = Logger(label: "cairn")
        let app: any Service
        do {
            app = try await buildApplication(configuration)
        } catch {
            throw CLIError("cannot open \(options.dataDirectory): \(describe(error))")
        }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: configuration.logger))
        try await group.run()
    }
}

/// swift-log lines as JSON objects: `{"time":…,"level":…,"label":…,"message":…,<metadata>}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var json = JSONText()
        json.raw("{")
        json.key("time", first: true)
        json.string(SystemClock().now().rfc3339)
        json.key("level")
        json.string(event.level.rawValue)
        json.key("label")
        json.string(label)
        json.key("message")
        json.string("\(event.message)")
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            json.key(key)
            json.string("\(value)")
        }
        json.raw("}\n")
        FileHandle.standardError.write(Data(json.bytes))
    }
}
