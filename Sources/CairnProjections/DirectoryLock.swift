import Foundation
import Synchronization

/// An exclusive, advisory lock on a directory, held while one process runs its projections.
///
/// Two engines folding the same read models — a running service and a CLI rebuild, say — would
/// each fold every event once, so the model would count it twice. The lock is `flock` on a
/// file in the directory: released by the kernel when the process ends, however it ends.
final class DirectoryLock: Sendable {
    private let descriptor: Mutex<Int32?>

    init(directory: String) throws {
        let path = directory + "/engine.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ProjectionError(.storage, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // Another process's hold ends only when it exits or closes; but a child this process
        // is forking also holds the lock until it execs (the descriptor is close-on-exec), so
        // give such a window a moment before calling the directory taken.
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            attempts += 1
            guard attempts < 50 else {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                close(fd)
                throw ProjectionError(
                    .inUse,
                    "the projections in \(directory) are run by another process" + (holder.map { " (pid \($0))" } ?? ""))
            }
            usleep(10_000)
        }
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = Mutex(fd)
    }

    /// Releases the lock (closing the descriptor releases the flock). Idempotent.
    func release() {
        if let fd = descriptor.withLock({ fd in
            defer { fd = nil }; return fd
        }) {
            close(fd)
        }
    }

    deinit { release() }
}
