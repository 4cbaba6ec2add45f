import CLMDB
import Foundation

/// Backs up and restores a whole data directory: every LMDB environment in it (any directory
/// holding a `data.mdb` — the log, each read-model version, and whatever later modules add) is
/// copied with LMDB's compacting copy, which reads one consistent snapshot as an ordinary
/// reader, so a running service keeps writing meanwhile and its write lock is never taken.
///
/// Order matters because environments are copied one after another. State derived from the
/// log — which must never be ahead of it — is copied first, then the log, then the rest (key
/// stores: a key must exist for every event the copied log holds). Which top-level directories
/// hold derived state is the caller's knowledge (the service's layout), not the store's.
public enum DataBackup {
    /// Copies the data directory `data` into `destination` (absent or empty) and writes its
    /// manifest. Environments under the top-level directories in `derived` are copied before
    /// the log. `log`, when this process already has the log open, is copied through that
    /// handle (an LMDB environment must not be opened twice in one process).
    @discardableResult
    public static func create(
        data: String, into destination: String, derived: Set<String>, log: EventLog? = nil, now: Timestamp = SystemClock().now()
    ) throws(BackupError) -> BackupManifest {
        let fm = FileManager.default
        guard fm.fileExists(atPath: data + "/log/data.mdb") else {
            throw BackupError(.noData, "no log at \(data)/log: nothing to back up")
        }
        if let existing = try? fm.contentsOfDirectory(atPath: destination), !existing.isEmpty {
            throw BackupError(.destinationNotEmpty, "\(destination) is not empty; back up into a new directory")
        }
        let layout = try scan(data)
        let ordered =
            layout.environments.filter { derived.contains(topLevel($0)) }.sorted()
            + ["log"]
            + layout.environments.filter { !derived.contains(topLevel($0)) && $0 != "log" }.sorted()

        do {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        } catch {
            throw BackupError(.io, "cannot create \(destination): \(error)")
        }
        var files: [BackupManifest.File] = []
        // Plain files first: a projection manifest names the read-model directories copied next.
        for file in layout.files.sorted() {
            let target = destination + "/" + file
            do {
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try fm.copyItem(atPath: data + "/" + file, toPath: target)
            } catch {
                throw BackupError(.io, "cannot copy \(data)/\(file): \(error)")
            }
            let (bytes, digest) = try fingerprint(target)
            files.append(.init(path: file, bytes: bytes, sha256: digest))
        }
        var environments: [BackupManifest.Environment] = []
        for path in ordered {
            let target = destination + "/" + path
            do {
                if path == "log", let log {
                    try log.env.copy(to: target, compact: true)
                } else {
                    try copyEnvironment(data + "/" + path, to: target)
                }
            } catch let error as BackupError {
                throw error
            } catch {
                throw BackupError(.io, "cannot copy the environment \(data)/\(path): \(error)")
            }
            let (bytes, digest) = try fingerprint(target + "/data.mdb")
            environments.append(.init(path: path, bytes: bytes, sha256: digest))
        }
        let head = try logHead(destination + "/log")
        // Reading the head opened the copy: its lock file describes no data.
        try? fm.removeItem(atPath: destination + "/log/lock.mdb")
        let manifest = BackupManifest(
            createdAt: now.rfc3339, source: data, logHead: head.position, logHeadHash: head.hash, environments: environments,
            files: files)
        try manifest.save(to: destination)
        return manifest
    }

    /// Puts the backup in place as the data directory `data`, after checking it against its
    /// manifest (every file listed is there with its size and SHA-256) and walking the log's
    /// whole hash chain through the recorded head. The copy is assembled and verified in a
    /// temporary directory beside `data` and renamed into place, so a failure leaves `data` as it was. Refuses a
    /// `data` that holds anything unless `force`, in which case the old content is removed
    /// once the new one is in place. No service may be running on `data`.
    @discardableResult
    public static func restore(_ backup: String, into data: String, force: Bool = false) async throws(BackupError) -> BackupManifest {
        let fm = FileManager.default
        let manifest = try BackupManifest.load(from: backup)
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: data, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw BackupError(.targetNotEmpty, "\(data) is a file, not a data directory")
        }
        let existing = (try? fm.contentsOfDirectory(atPath: data)) ?? []
        if !existing.isEmpty && !force {
            throw BackupError(.targetNotEmpty, "\(data) already holds data; restore into an empty directory or give --force")
        }
        try checkFiles(manifest, in: backup)
        let target = URL(fileURLWithPath: data).standardizedFileURL
        let parent = target.deletingLastPathComponent().path
        let staging = parent + "/.\(target.lastPathComponent).restore-\(UUID().uuidString)"
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw BackupError(.io, "cannot create \(parent): \(error)")
        }
        do {
            try copyContents(manifest, from: backup, to: staging)
            try await verifyLog(manifest, at: staging + "/log")
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        if existing.isEmpty {
            try? fm.removeItem(atPath: target.path)
            guard rename(staging, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(atPath: staging)
                throw BackupError(.io, "cannot move the restored data into \(target.path): \(reason)")
            }
        } else {
            let replaced = parent + "/.\(target.lastPathComponent).replaced-\(UUID().uuidString)"
            guard rename(target.path, replaced) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(atPath: staging)
                throw BackupError(.io, "cannot move the old data in \(target.path) aside: \(reason)")
            }
            guard rename(staging, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                _ = rename(replaced, target.path)
                try? fm.removeItem(atPath: staging)
                throw BackupError(.io, "cannot move the restored data into \(target.path): \(reason)")
            }
            try? fm.removeItem(atPath: replaced)
        }
        syncDirectory(parent)
        return manifest
    }

    // MARK: Parts

    /// The environments (directories with a `data.mdb`) and plain files under `data`, relative.
    static func scan(_ data: String) throws(BackupError) -> (environments: [String], files: [String]) {
        guard let walker = FileManager.default.enumerator(atPath: data) else {
            throw BackupError(.io, "cannot read \(data)")
        }
        var environments: [String] = []
        var files: [String] = []
        while let item = walker.nextObject() as? String {
            let name = (item as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            switch name {
            case "data.mdb": environments.append((item as NSString).deletingLastPathComponent)
            // LMDB lock files and process locks (`*.lock`) describe running processes, not data.
            case "lock.mdb": continue
            default:
                if name.hasSuffix(".lock") || name.hasSuffix(".tmp") || name.hasPrefix(".") { continue }
                files.append(item)
            }
        }
        let environmentSet = Set(environments)
        // Anything else inside an environment's directory is not ours to copy.
        files.removeAll { environmentSet.contains(($0 as NSString).deletingLastPathComponent) }
        return (environments, files)
    }

    private static func topLevel(_ path: String) -> String {
        String(path.split(separator: "/", maxSplits: 1).first ?? "")
    }

    /// Opens `source` as a reader only and writes a compacted copy into `target`.
    private static func copyEnvironment(_ source: String, to target: String) throws {
        var options = LMDBEnvironment.Options()
        options.readOnly = true
        // The map size in the file wins when larger; a small one keeps the reader's mapping cheap.
        options.mapSize = 1 << 20
        options.maxDatabases = 64
        let env = try LMDBEnvironment(path: source, options: options)
        defer { env.close() }
        try env.copy(to: target, compact: true)
    }

    /// The head of the log copied into `directory`: its position and chain hash.
    private static func logHead(_ directory: String) throws(BackupError) -> (position: UInt64, hash: String?) {
        do {
            let log = try EventLog(directory: directory, options: readOnlyOptions())
            defer { log.env.close() }
            let head = try log.head()
            return (head, try head == 0 ? nil : log.event(at: head)?.hash.hex)
        } catch {
            throw BackupError(.io, "cannot read the copied log in \(directory): \(error)")
        }
    }

    private static func readOnlyOptions() -> EventLog.Options {
        var options = EventLog.Options()
        options.readOnly = true
        options.initialMapSize = 1 << 20
        return options
    }

    private static func checkFiles(_ manifest: BackupManifest, in backup: String) throws(BackupError) {
        guard manifest.environments.contains(where: { $0.path == "log" }) else {
            throw BackupError(.manifestInvalid, "the backup's manifest lists no log")
        }
        let listed =
            manifest.environments.map { ($0.path + "/data.mdb", $0.bytes, $0.sha256) }
            + manifest.files.map { ($0.path, $0.bytes, $0.sha256) }
        for (path, bytes, sha256) in listed {
            guard !path.split(separator: "/").contains(".."), !path.hasPrefix("/") else {
                throw BackupError(.manifestInvalid, "the backup's manifest names a path outside the backup: \(path)")
            }
            let (actualBytes, actualDigest) = try fingerprint(backup + "/" + path)
            guard actualBytes == bytes, actualDigest == sha256 else {
                throw BackupError(
                    .fileMismatch, "\(backup)/\(path) does not match the backup's manifest (size or SHA-256 differs): the backup is damaged"
                )
            }
        }
    }

    /// Copies what the manifest lists (and nothing else) from `backup` into a new `target`.
    private static func copyContents(_ manifest: BackupManifest, from backup: String, to target: String) throws(BackupError) {
        let fm = FileManager.default
        let paths = manifest.environments.map { $0.path + "/data.mdb" } + manifest.files.map(\.path)
        for path in paths {
            let destination = target + "/" + path
            do {
                try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try fm.copyItem(atPath: backup + "/" + path, toPath: destination)
            } catch {
                throw BackupError(.io, "cannot copy \(backup)/\(path): \(error)")
            }
        }
    }

    /// Walks the whole chain of the log in `directory` and matches its head with the manifest.
    private static func verifyLog(_ manifest: BackupManifest, at directory: String) async throws(BackupError) {
        let log: EventLog
        do {
            log = try EventLog(directory: directory)
        } catch {
            throw BackupError(.logBroken, "the backup's log cannot be opened: \(error)")
        }
        do {
            let report = try await log.verify(full: true)
            let head = try log.head()
            let hash = try head == 0 ? nil : log.event(at: head)?.hash.hex
            await log.close()
            guard report.isIntact else {
                throw BackupError(
                    .logBroken,
                    "the backup's log is damaged at position \(report.firstBadPosition ?? 0): \(report.problem ?? "unknown problem")")
            }
            guard head == manifest.logHead, hash == manifest.logHeadHash else {
                throw BackupError(
                    .logBroken, "the backup's log ends at position \(head), but its manifest says \(manifest.logHead)")
            }
        } catch let error as BackupError {
            throw error
        } catch {
            await log.close()
            throw BackupError(.logBroken, "the backup's log cannot be verified: \(error)")
        }
        // Verification opened the log: its lock file is not part of the data.
        try? FileManager.default.removeItem(atPath: directory + "/lock.mdb")
    }

    /// Size and SHA-256 (hex) of a file, read in chunks.
    static func fingerprint(_ path: String) throws(BackupError) -> (bytes: Int, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BackupError(.fileMismatch, "\(path) is missing: the backup is incomplete")
        }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        hasher.begin()
        var bytes = 0
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                bytes += chunk.count
                chunk.withUnsafeBytes { hasher.update($0) }
            }
        } catch {
            throw BackupError(.io, "cannot read \(path): \(error)")
        }
        return (bytes, hasher.finish().hex)
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }
}
