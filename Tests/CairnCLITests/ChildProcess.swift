import CairnTestSupport
import Foundation

/// The `cairn` executable built beside this test bundle.
let cairnExecutable: URL = {
    if let override = ProcessInfo.processInfo.environment["CAIRN_EXECUTABLE"] { return URL(fileURLWithPath: override) }
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("cairn")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return arg0.appendingPathComponent("cairn")
}()

/// A finished run of `cairn`.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs `cairn` with `arguments` and `input` on standard input, on a thread of its own so the
/// blocking waits stay off Swift's cooperative pool.
func cairn(_ arguments: [String], input: String = "") async throws -> CommandResult {
    try await onThread {
        let process = try ChildProcess(executable: cairnExecutable.path, arguments: arguments)
        let (out, err) = try process.communicate(input: Array(input.utf8))
        let termination = try process.wait()
        return CommandResult(
            status: termination.status, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}

/// Runs blocking work on a new thread and awaits its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

/// Reads lines from a file descriptor, blocking.
struct LineReader {
    let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return nil }
            pending += chunk[..<count]
        }
    }
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
