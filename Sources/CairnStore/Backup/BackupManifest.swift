import Foundation

/// What a backup holds: every LMDB environment and plain file copied, with sizes and SHA-256
/// digests, and the log's head at the moment it was copied. Stored as `backup.json` at the
/// backup's root; a restore checks the files against it before it trusts them.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// One copied LMDB environment (its `data.mdb`).
    public struct Environment: Codable, Sendable, Equatable {
        /// Directory relative to the data directory, e.g. `log` or `projections/customer-360.v1`.
        public var path: String
        public var bytes: Int
        public var sha256: String
    }

    /// One plain file copied as it was (a projection manifest, say).
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int
        public var sha256: String
    }

    public static let fileName = "backup.json"
    public static let currentFormat = 1

    public var format = BackupManifest.currentFormat
    /// When the backup was taken (RFC 3339, UTC).
    public var createdAt: String
    /// The data directory it was taken from.
    public var source: String
    /// The last position of the copied log (0 for an empty log), and its chain hash.
    public var logHead: UInt64
    public var logHeadHash: String?
    public var environments: [Environment]
    public var files: [File]

    static func load(from backup: String) throws(BackupError) -> BackupManifest {
        let path = backup + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackupError(.notABackup, "\(backup) is not a backup: it has no \(fileName)")
        }
        let manifest: BackupManifest
        do {
            manifest = try JSONDecoder().decode(BackupManifest.self, from: data)
        } catch {
            throw BackupError(.manifestInvalid, "\(path) is not a readable backup manifest: \(error)")
        }
        guard manifest.format == currentFormat else {
            throw BackupError(.manifestInvalid, "\(path) has format \(manifest.format); this cairn reads format \(currentFormat)")
        }
        return manifest
    }

    func save(to backup: String) throws(BackupError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: backup + "/" + Self.fileName), options: .atomic)
        } catch {
            throw BackupError(.io, "cannot write \(backup)/\(Self.fileName): \(error)")
        }
    }
}

/// Why a backup or restore did not happen. Nothing was changed at the destination.
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notABackup = "backup.notABackup"
        case manifestInvalid = "backup.manifestInvalid"
        case fileMismatch = "backup.fileMismatch"
        case logBroken = "backup.logBroken"
        case targetNotEmpty = "restore.targetNotEmpty"
        case destinationNotEmpty = "backup.destinationNotEmpty"
        case noData = "backup.noData"
        case io = "backup.io"
    }

    public var code: Code
    public var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
