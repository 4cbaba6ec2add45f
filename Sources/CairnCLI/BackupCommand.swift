import ArgumentParser
import CairnService
import CairnStore
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy every LMDB environment of the data directory, compacted, into a new directory.",
        discussion: """
            Safe while a service runs on the data directory: each environment (the log, every \
            read-model version, and any other) is read as one consistent snapshot by an ordinary \
            reader, never taking the writer's lock. Read models are copied before the log, so \
            they are never ahead of it. Writes backup.json listing what was copied with sizes, \
            SHA-256 digests and the log's head; `cairn restore` checks all of it.
            """)

    @OptionGroup var options: DataOptions

    @Argument(help: ArgumentHelp("Where to write the backup (absent or empty).", valueName: "dir"))
    var destination: String

    @Flag(help: "Print the manifest as one JSON object.")
    var json = false

    func run() async throws {
        let manifest: BackupManifest
        do {
            manifest = try DataBackup.create(data: options.dataDirectory, into: destination, derived: DataDirectory.derivedFromLog)
        } catch {
            throw CLIError("backup failed: \(error.message)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            emit(String(decoding: try encoder.encode(manifest), as: UTF8.self))
        } else {
            let bytes = manifest.environments.reduce(0) { $0 + $1.bytes }
            emit(
                "backed up \(manifest.environments.count) environments (\(bytes) bytes) and \(manifest.files.count) files "
                    + "to \(destination); log head \(manifest.logHead)")
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup, then put it in place as the data directory.",
        discussion: """
            Refuses a backup whose files do not match its manifest or whose log fails a full \
            `verify`, and a data directory that already holds data (unless --force). The \
            backup is assembled and verified beside the data directory, then renamed into \
            place, so a failed restore changes nothing. Stop the service first.
            """)

    @OptionGroup var options: DataOptions

    @Argument(help: ArgumentHelp("The backup directory (written by `cairn backup`).", valueName: "backup"))
    var backup: String

    @Flag(help: "Replace a data directory that already holds data.")
    var force = false

    func run() async throws {
        let manifest: BackupManifest
        do {
            manifest = try await DataBackup.restore(backup, into: options.dataDirectory, force: force)
        } catch {
            throw CLIError("restore refused: \(error.message)")
        }
        emit(
            "restored \(manifest.environments.count) environments from \(backup) (taken \(manifest.createdAt)) "
                + "into \(options.dataDirectory); log verified through position \(manifest.logHead)")
    }
}
