import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which read-model directory serves each projection, and which is being built beside it.
///
/// It is the one switch of a rebuild: the engine writes a new manifest to a temporary file,
/// syncs it and renames it over the old one, so after any crash it names either the old
/// serving version or the new one, never something in between.
struct ProjectionManifest: Codable, Equatable, Sendable {
    struct Build: Codable, Equatable, Sendable {
        var version: Int
        /// Directory name under the engine's root.
        var directory: String
    }

    struct Entry: Codable, Equatable, Sendable {
        var serving: Build?
        var building: Build?
    }

    static let fileName = "projections.json"

    var format = 1
    var projections: [String: Entry] = [:]

    static func load(root: String) throws -> ProjectionManifest {
        let path = root + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return ProjectionManifest() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(ProjectionManifest.self, from: data)
        } catch {
            throw ProjectionError(.storage, "unreadable projection manifest \(path): \(error)")
        }
    }

    func save(root: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(self)
        let path = root + "/" + Self.fileName
        let temporary = path + ".tmp"
        try writeFile(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            throw ProjectionError(.storage, "cannot rename \(temporary) to \(path): errno \(errno)")
        }
        try syncDirectory(root)
    }

    private func writeFile(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
        guard fd >= 0 else { throw ProjectionError(.storage, "cannot create \(path): errno \(errno)") }
        defer { _ = close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else { throw ProjectionError(.storage, "cannot write \(path): errno \(errno)") }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw ProjectionError(.storage, "cannot sync \(path): errno \(errno)") }
    }

    /// Makes the rename itself durable.
    private func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw ProjectionError(.storage, "cannot open \(path): errno \(errno)") }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw ProjectionError(.storage, "cannot sync \(path): errno \(errno)") }
    }
}
