import Foundation
import Testing

@testable import CairnStore

@Suite("cairn backup and cairn restore")
struct BackupCommandTests {
    @Test("A backup taken by another process while this one appends restores and verifies")
    func backupWhileServiceWrites() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir + "/data/log")
        let payload = Array(#"{"note":"written while the backup runs"}"#.utf8)
        func batch() -> [NewEvent] {
            (0..<50).map { _ in NewEvent(id: UUID(), type: "demo.NoteTaken", payload: payload, actor: "tester") }
        }
        for n in 0..<20 { try await log.append(batch(), to: "note-\(n)") }
        let writer = Task {
            var n = 0
            while !Task.isCancelled {
                n += 1
                try await log.append(batch(), to: "note-w\(n % 8)")
            }
        }
        let backup = try await cairn(["backup", "--data", dir + "/data", dir + "/backup", "--json"])
        writer.cancel()
        _ = await writer.result
        await log.close()
        #expect(backup.status == 0, "\(backup.stderr)")
        let manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(backup.stdout.utf8))
        #expect(manifest.logHead >= 1000)

        let restore = try await cairn(["restore", dir + "/backup", "--data", dir + "/restored"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("log verified through position \(manifest.logHead)"))
        let verify = try await cairn(["log", "verify", "--full", "--data", dir + "/restored", "--json"])
        #expect(verify.stdout.contains(#""intact":true"#), "\(verify.stdout)")
        let stats = try await cairn(["log", "stats", "--data", dir + "/restored", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["head"] as? Int == Int(manifest.logHead))

        // Restoring over data needs --force; without it, one line and a non-zero exit.
        let refused = try await cairn(["restore", dir + "/backup", "--data", dir + "/restored"])
        #expect(refused.status != 0)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.contains("already holds data"))
        let forced = try await cairn(["restore", dir + "/backup", "--data", dir + "/restored", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test("A damaged backup is refused with one line, and the data directory does not appear")
    func damagedBackup() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let appended = try await cairn(["log", "append", "--data", dir + "/data", "--stream", "note-1", "--type", "demo.NoteTaken", "{}"])
        #expect(appended.status == 0)
        let backup = try await cairn(["backup", "--data", dir + "/data", dir + "/backup"])
        #expect(backup.status == 0, "\(backup.stderr)")
        let handle = try #require(FileHandle(forUpdatingAtPath: dir + "/backup/log/data.mdb"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let restore = try await cairn(["restore", dir + "/backup", "--data", dir + "/restored"])
        #expect(restore.status != 0)
        #expect(restore.stderr.split(separator: "\n").count == 1)
        #expect(restore.stderr.contains("damaged"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/restored"))
    }
}
