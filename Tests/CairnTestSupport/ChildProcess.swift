import Glibc

// Child processes for tests, without Foundation's `Process`: on our toolchain `Process.run()` on
// Linux intermittently crashes with SIGSEGV (swift-corelibs-foundation, fixed by PR #5472: a buffer
// over-read in `findMaximumOpenFromProcSelfFD()` that copies the whole 256-byte `d_name` of each
// `/proc/self/fd` entry), and the test process keeps ~1,500 descriptors open, which makes it likely.

/// What a child's standard stream is connected to.
public enum ChildStream: Sendable {
    /// A pipe whose other end the parent holds.
    case pipe
    /// `/dev/null`.
    case null
    /// The same pipe as standard output (for standard error only).
    case standardOutput
}

/// How a child ended.
public enum ChildTermination: Equatable, Sendable {
    case exited(Int32)
    case signalled(Int32)

    /// The exit status, or minus the signal number if a signal killed the child, so a signal death
    /// never reads as an exit status.
    public var status: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let signal): -signal
        }
    }
}

/// An error starting or talking to a child, with the `errno` of the call that failed.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var call: String
    public var code: Int32
    public var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// A child started with `posix_spawn`. Its standard streams are pipes (`-1` where not a pipe) whose
/// parent ends close on exec, so other children never inherit them, and the child itself starts
/// with only descriptors 0–2, an empty signal mask and default signal dispositions. The parent's
/// ends are closed once: by `closeStandardInput()`, `closeStreams()` or when this is released.
public final class ChildProcess {
    public let pid: Int32
    /// The parent's write end of the child's standard input, or -1.
    public private(set) var standardInput: Int32
    /// The parent's read end of the child's standard output, or -1.
    public private(set) var standardOutput: Int32
    /// The parent's read end of the child's standard error, or -1.
    public private(set) var standardError: Int32
    private var termination: ChildTermination?

    /// Starts `executable` (a path, not searched for) with `arguments` and this process's
    /// environment.
    public init(
        executable: String, arguments: [String], standardInput stdin: ChildStream = .pipe, standardOutput stdout: ChildStream = .pipe,
        standardError stderr: ChildStream = .pipe
    ) throws {
        ignoreSIGPIPE()
        precondition(stdin != .standardOutput && stdout != .standardOutput, "only standard error can share standard output")
        var opened: [Int32] = []  // every pipe end, closed on failure
        var parentEnds: [Int32] = [-1, -1, -1]
        var childEnds: [Int32] = [-1, -1, -1]
        do {
            for (index, stream) in [stdin, stdout, stderr].enumerated() where stream == .pipe {
                var ends: [Int32] = [-1, -1]
                guard pipeCloseOnExec(&ends) == 0 else { throw ChildProcessError(call: "pipe2", code: errno) }
                opened += ends
                // stdin: the child reads ends[0]; stdout and stderr: the child writes ends[1].
                parentEnds[index] = index == 0 ? ends[1] : ends[0]
                childEnds[index] = index == 0 ? ends[0] : ends[1]
            }

            var actions = posix_spawn_file_actions_t()
            try check("posix_spawn_file_actions_init", posix_spawn_file_actions_init(&actions))
            defer { posix_spawn_file_actions_destroy(&actions) }
            for (index, stream) in [stdin, stdout, stderr].enumerated() {
                switch stream {
                case .pipe:
                    try check(
                        "posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, childEnds[index], Int32(index)))
                case .null:
                    let flags = index == 0 ? O_RDONLY : O_WRONLY
                    try check(
                        "posix_spawn_file_actions_addopen", posix_spawn_file_actions_addopen(&actions, Int32(index), "/dev/null", flags, 0))
                case .standardOutput:
                    try check("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, 1, Int32(index)))
                }
            }
            // Descriptors someone opened without O_CLOEXEC stay out of the child too.
            try check("posix_spawn_file_actions_addclosefrom_np", glibc.addclosefrom(&actions, 3))

            var attributes = posix_spawnattr_t()
            try check("posix_spawnattr_init", posix_spawnattr_init(&attributes))
            defer { posix_spawnattr_destroy(&attributes) }
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            var allSignals = sigset_t()
            sigfillset(&allSignals)
            try check("posix_spawnattr_setsigmask", posix_spawnattr_setsigmask(&attributes, &noSignals))
            try check("posix_spawnattr_setsigdefault", posix_spawnattr_setsigdefault(&attributes, &allSignals))
            try check(
                "posix_spawnattr_setflags",
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))

            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { for argument in argv { free(argument) } }
            var pid: pid_t = 0
            try check("posix_spawn", posix_spawn(&pid, executable, &actions, &attributes, argv, environ))
            self.pid = pid
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
        for fd in childEnds where fd >= 0 { close(fd) }
        standardInput = parentEnds[0]
        standardOutput = parentEnds[1]
        standardError = parentEnds[2]
    }

    deinit {
        closeStreams()
        // Reap the child if it has already ended and nobody waited.
        if termination == nil {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
    }

    /// Closes the parent's end of standard input, so the child reads end of file.
    public func closeStandardInput() {
        if standardInput >= 0 { close(standardInput) }
        standardInput = -1
    }

    /// Closes every pipe end the parent still holds.
    public func closeStreams() {
        closeStandardInput()
        if standardOutput >= 0 { close(standardOutput) }
        standardOutput = -1
        if standardError >= 0 { close(standardError) }
        standardError = -1
    }

    /// Blocks until the child ends; later calls return the same answer.
    @discardableResult
    public func wait() throws -> ChildTermination {
        if let termination { return termination }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw ChildProcessError(call: "waitpid", code: errno) }
        }
        let signal = status & 0x7f
        let ended: ChildTermination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        termination = ended
        return ended
    }

    /// Writes `input` to standard input and closes it, while reading standard output and standard
    /// error to end of file, all at once with `poll`, so a child that fills one pipe while we wait
    /// on another cannot deadlock us. Input the child does not read (it closed standard input or
    /// ended) is dropped. Closes the streams it used.
    public func communicate(input: [UInt8] = []) throws -> (stdout: [UInt8], stderr: [UInt8]) {
        var output: [[UInt8]] = [[], []]
        var readers = [standardOutput, standardError]
        var written = 0
        if input.isEmpty { closeStandardInput() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while standardInput >= 0 || readers.contains(where: { $0 >= 0 }) {
            var fds = [pollfd(fd: standardInput, events: Int16(POLLOUT), revents: 0)]
            fds += readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }  // negative fds are ignored
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                throw ChildProcessError(call: "poll", code: errno)
            }
            if fds[0].revents != 0 {
                // POLLOUT on a pipe means PIPE_BUF bytes fit, so this write does not block.
                let count = min(input.count - written, Int(PIPE_BUF))
                let result = input.withUnsafeBytes { write(standardInput, $0.baseAddress! + written, count) }
                if result > 0 {
                    written += result
                } else if result < 0, errno != EINTR, errno != EAGAIN {
                    written = input.count  // EPIPE: the child will not read the rest
                }
                if written == input.count { closeStandardInput() }
            }
            for index in 0..<2 where fds[index + 1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(readers[index], $0.baseAddress, $0.count) }
                if count > 0 {
                    output[index] += buffer[..<count]
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    readers[index] = -1  // end of file
                }
            }
        }
        closeStreams()
        return (output[0], output[1])
    }
}

/// Throws for a `posix_spawn*` call's non-zero result, which is the error number.
private func check(_ call: String, _ result: Int32) throws {
    guard result == 0 else { throw ChildProcessError(call: call, code: result) }
}

/// `pipe2` and `posix_spawn_file_actions_addclosefrom_np` are GNU extensions that Swift's Glibc
/// module does not declare (it does not define `_GNU_SOURCE`), so they are looked up at run time.
private struct GNUExtensions: @unchecked Sendable {
    let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    let addclosefrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    init() {
        let handle = dlopen(nil, RTLD_NOW)
        func symbol<T>(_ name: String, as type: T.Type) -> T {
            guard let address = dlsym(handle, name) else { fatalError("\(name) is missing from the C library") }
            return unsafeBitCast(address, to: type)
        }
        pipe2 = symbol("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
        addclosefrom = symbol(
            "posix_spawn_file_actions_addclosefrom_np",
            as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }
}

private let glibc = GNUExtensions()

/// A pipe whose ends close on exec from the start, so a child spawned meanwhile on another thread
/// cannot inherit them.
private func pipeCloseOnExec(_ ends: inout [Int32]) -> Int32 {
    ends.withUnsafeMutableBufferPointer { glibc.pipe2($0.baseAddress!, O_CLOEXEC) }
}

/// Writing to a pipe whose reader is gone must fail with EPIPE rather than kill the test process.
private let sigpipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

private func ignoreSIGPIPE() { sigpipeIgnored }
