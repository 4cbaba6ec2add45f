public import ArgumentParser
import Foundation

/// `cairn`: the one executable — the service and its operations.
public struct CairnCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn, an event-sourced CRM service: its event log and operations.",
        subcommands: [
            ServeCommand.self, KeysCommand.self, DemoCommand.self, ImportCommand.self, LogCommand.self, ProjectionsCommand.self,
            ComplianceCommand.self, BackupCommand.self, RestoreCommand.self, OpenAPICommand.self, BenchCommand.self,
        ]
    )

    public init() {}

    /// The executable's entry point: parses the command line, runs, and exits.
    public static func execute() async {
        await main()
    }
}

/// Options every command that touches data shares.
struct DataOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Data directory (default: $CAIRN_DATA, else ./cairn-data).", valueName: "dir"))
    var data: String?

    var dataDirectory: String {
        data ?? ProcessInfo.processInfo.environment["CAIRN_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "cairn-data"
    }

    var logDirectory: String { dataDirectory + "/log" }
}

/// A failure the CLI reports as one line and a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
