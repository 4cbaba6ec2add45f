import Foundation
import Synchronization
import Testing

@testable import CairnStore

@Suite("Backup and restore of a data directory")
struct BackupTests {
    /// A data directory with a log at `<dir>/data/log`, a read-model environment and its
    /// manifest, and an environment of some later module.
    private func makeDataDirectory(_ dir: String) throws -> String {
        let data = dir + "/data"
        for path in ["projections/customer-360.v1", "access"] {
            let env = try LMDBEnvironment(path: data + "/" + path)
            let db = try env.database("main")
            try env.write { txn in try txn.put(db, Array(path.utf8), Array("value of \(path)".utf8)) }
            env.close()
        }
        try Data(#"{"format":1,"projections":{}}"#.utf8).write(to: URL(fileURLWithPath: data + "/projections/projections.json"))
        return data
    }

    @Test("A backup taken while writers append restores, verifies, and matches the log at its head")
    func backupUnderConcurrentWrites() async throws {
        try await withTemporaryDirectory { dir in
            let data = try makeDataDirectory(dir)
            let log = try EventLog(directory: data + "/log")
            let stop = StopFlag()
            let started = AsyncStream<Void>.makeStream()
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            var n = 0
                            while !stop.isSet {
                                n += 1
                                try await log.append(
                                    (0..<20).map { _ in event("test.Happened", #"{"writer":\#(writer),"n":\#(n)}"#) },
                                    to: "stream-\(writer)-\(n % 16)")
                                if writer == 0 && n == 10 { started.continuation.yield() }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Back up only once appends are flowing; they keep flowing while the copy runs.
            for await _ in started.stream { break }
            let manifest = try DataBackup.create(data: data, into: dir + "/backup", derived: ["projections"], log: log)
            stop.set()
            try await writers.value
            let liveHead = try log.head()
            let liveAtBackupHead = try log.event(at: manifest.logHead)
            await log.close()

            #expect(manifest.logHead >= 200)
            #expect(liveHead >= manifest.logHead)
            #expect(Set(manifest.environments.map(\.path)) == ["log", "projections/customer-360.v1", "access"])
            #expect(manifest.environments.map(\.path).firstIndex(of: "projections/customer-360.v1")! < 1)
            #expect(manifest.files.map(\.path) == ["projections/projections.json"])
            #expect(!FileManager.default.fileExists(atPath: dir + "/backup/log/lock.mdb"))

            let restored = try await DataBackup.restore(dir + "/backup", into: dir + "/restored")
            #expect(restored == manifest)
            let reopened = try EventLog(directory: dir + "/restored/log")
            let report = try await reopened.verify(full: true)
            #expect(report.isIntact)
            #expect(try reopened.head() == manifest.logHead)
            #expect(try reopened.event(at: manifest.logHead)?.hash == liveAtBackupHead?.hash)
            await reopened.close()
            let access = try LMDBEnvironment(path: dir + "/restored/access")
            let main = try access.database("main")
            let value = try access.read { txn in try txn.get(main, Array("access".utf8)).map { Array($0) } }
            #expect(value == Array("value of access".utf8))
            access.close()
            #expect(FileManager.default.fileExists(atPath: dir + "/restored/projections/projections.json"))
        }
    }

    @Test("A damaged backup is refused and the target is left as it was")
    func damagedBackupIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let data = try makeDataDirectory(dir)
            let log = try EventLog(directory: data + "/log")
            for n in 0..<50 { try await log.append([event("test.Happened", #"{"marker":"needle-\#(n)"}"#)], to: "s-\(n)") }
            await log.close()
            try DataBackup.create(data: data, into: dir + "/backup", derived: ["projections"])

            // A flipped byte anywhere: the manifest's digest no longer matches.
            let logFile = dir + "/backup/log/data.mdb"
            let original = try Data(contentsOf: URL(fileURLWithPath: logFile))
            var bytes = [UInt8](original)
            let at = try #require(bytes.firstRange(of: Array("needle-7\"".utf8))).lowerBound + 7
            bytes[at] = UInt8(ascii: "8")
            try Data(bytes).write(to: URL(fileURLWithPath: logFile))
            let mismatch = await backupError { try await DataBackup.restore(dir + "/backup", into: dir + "/fresh") }
            #expect(mismatch?.code == .fileMismatch)
            #expect(!FileManager.default.fileExists(atPath: dir + "/fresh"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["backup", "data"])

            // The same damage with a manifest doctored to match: the hash chain catches it, and
            // even --force leaves the existing data untouched.
            let manifestURL = URL(fileURLWithPath: dir + "/backup/backup.json")
            var manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: manifestURL))
            let index = try #require(manifest.environments.firstIndex { $0.path == "log" })
            manifest.environments[index].sha256 = try DataBackup.fingerprint(logFile).sha256
            try JSONEncoder().encode(manifest).write(to: manifestURL)
            let before = try DataBackup.fingerprint(data + "/log/data.mdb")
            let broken = await backupError { try await DataBackup.restore(dir + "/backup", into: data, force: true) }
            #expect(broken?.code == .logBroken)
            #expect(broken?.message.contains("position 8") == true)
            #expect(try DataBackup.fingerprint(data + "/log/data.mdb") == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["backup", "data"])
        }
    }

    @Test("Restore refuses a target that holds data, unless forced")
    func restoreRefusesNonEmptyTarget() async throws {
        try await withTemporaryDirectory { dir in
            let data = try makeDataDirectory(dir)
            let log = try EventLog(directory: data + "/log")
            try await log.append([event()], to: "s-1")
            await log.close()
            try DataBackup.create(data: data, into: dir + "/backup", derived: ["projections"])
            let other = try makeDataDirectory(dir + "/other")
            let refusal = await backupError { try await DataBackup.restore(dir + "/backup", into: other) }
            #expect(refusal?.code == .targetNotEmpty)
            #expect(!FileManager.default.fileExists(atPath: other + "/log"))
            try await DataBackup.restore(dir + "/backup", into: other, force: true)
            #expect(FileManager.default.fileExists(atPath: other + "/log/data.mdb"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/other") == ["data"])
            // A file where the data directory should be is never replaced, forced or not.
            _ = FileManager.default.createFile(atPath: dir + "/notes.txt", contents: Data("keep me".utf8))
            let onFile = await backupError { try await DataBackup.restore(dir + "/backup", into: dir + "/notes.txt", force: true) }
            #expect(onFile?.code == .targetNotEmpty)
            #expect(FileManager.default.contents(atPath: dir + "/notes.txt") == Data("keep me".utf8))
        }
    }
}

/// The `BackupError` `body` throws, if any.
private func backupError(_ body: () async throws -> Void) async -> BackupError? {
    do {
        try await body()
        return nil
    } catch let error as BackupError {
        return error
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

private final class StopFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
