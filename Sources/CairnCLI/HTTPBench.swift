import ArgumentParser
import AsyncHTTPClient
import CairnDomain
import CairnHTTP
import CairnService
import CairnStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// `cairn bench http`: the HTTP service under load, over loopback, in this process.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Commands/s with 64 concurrent clients, query p99 under that load, and append→SSE delivery p99.",
        discussion: """
            Starts `cairn serve` in-process on 127.0.0.1 (a free port) over a fresh data directory with \
            full durability, and drives it with AsyncHTTPClient: 64 clients each registering new \
            customers (a real domain command: validation, decision, durable append), each with an \
            Idempotency-Key as a client that retries safely sends, while two more \
            clients time customer-360 and timeline queries; then an SSE subscriber receives events \
            appended to the log in-process at --sse-rate per second (~400-byte payloads, durable group \
            commits), timing each from the call to append to its receipt, over HTTP and at an in-process \
            log subscription. Latencies are wall-clock milliseconds.
            """)

    @Option(help: "Commands to send in the load phase.")
    var commands = 20_000

    @Option(help: "Concurrent command clients.")
    var clients = 64

    @Option(help: "Events per second in the SSE phase.")
    var sseRate = 10_000

    @Option(help: "Seconds of the SSE phase.")
    var sseSeconds = 3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-bench-http-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try AccessKeyStore(directory: directory + "/access")
        let secret = try store.create(name: "bench", role: .admin, now: SystemClock().now()).secret
        store.close()

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let serviceBox = Mutex<CairnService?>(nil)
        var configuration = CairnServerConfiguration(dataDirectory: directory)
        configuration.port = 0
        configuration.runSlaWatcher = false
        configuration.treeHeadInterval = nil
        var logger = Logger(label: "cairn-bench")
        logger.logLevel = .error
        configuration.logger = logger
        configuration.onServerRunning = { portContinuation.yield($0) }
        configuration.onServiceOpened = { service in serviceBox.withLock { $0 = service } }
        let app = try await buildApplication(configuration)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next(), let service = serviceBox.withLock({ $0 }) else {
            throw CLIError("the server did not start")
        }

        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients + 8)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let base = "http://127.0.0.1:\(port)"
        let auth = "Bearer \(secret)"

        let send: @Sendable (HTTPMethod, String, String?, String?) async throws -> (Int, ByteBuffer) = { method, path, body, key in
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: auth)
            if let key { request.headers.add(name: "Idempotency-Key", value: key) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(60))
            return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
        }
        @Sendable func register(_ id: String) -> String {
            #"{"customerId":"\#(id)","kind":"person","personName":{"given":"Ada","family":"Bench \#(id)"},"emails":["\#(id)@example.com"],"phones":["+447700900123"],"source":"bench"}"#
        }

        // Customers with a few timeline entries, for the query clients.
        let queried = (0..<64).map { "q\($0)" }
        var lastPosition = 0
        for id in queried {
            _ = try await send(.POST, "/v1/customers", register(id), nil)
            for tag in ["vip", "gold", "q3"] {
                let (_, body) = try await send(.POST, "/v1/customers/\(id)/tags", #"{"tag":"\#(tag)"}"#, nil)
                lastPosition = Int((try? JSONValue.parse(Array(body.readableBytesView)))?.position ?? 0)
            }
        }
        _ = try await send(.GET, "/v1/customers/q0?atLeast=\(lastPosition)", nil, nil)

        // Load: 64 clients registering customers; 2 clients timing queries meanwhile.
        let issued = Ticket()
        let state = LoadState()
        let timeline = LatencySamples()
        let customer = LatencySamples()
        let total = commands
        let clientCount = clients
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<2 {
                tasks.addTask {
                    var i = 0
                    while state.loading.load(ordering: .relaxed) {
                        let id = queried[(i * 7 + worker) % queried.count]
                        i += 1
                        let path = worker == 0 ? "/v1/customers/\(id)/timeline?limit=50" : "/v1/customers/\(id)"
                        let began = ContinuousClock.now
                        let (status, _) = try await send(.GET, path, nil, nil)
                        if status == 200 { (worker == 0 ? timeline : customer).add(ContinuousClock.now - began) }
                    }
                }
            }
            tasks.addTask {
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for _ in 0..<clientCount {
                        writers.addTask {
                            while case let n = issued.take(), n <= total {
                                // As a client that retries safely sends it: the key the server
                                // remembers the request and its answer under.
                                let (status, _) = try await send(.POST, "/v1/customers", register("b\(n)"), "bench-\(n)")
                                if status != 201 { state.failures.add(1, ordering: .relaxed) }
                            }
                        }
                    }
                    try await writers.waitForAll()
                }
                state.loading.store(false, ordering: .relaxed)
            }
            try await tasks.waitForAll()
        }
        let commandRate = Double(total) / seconds(since: start)

        // SSE: one subscriber from the head; events appended in-process at a fixed rate, each
        // timed from the moment its append is called to its arrival, over HTTP and (to tell the
        // log's share from the server's) at an in-process subscription.
        let head = service.log.committedThrough
        let events = sseRate * sseSeconds
        let delivery = LatencySamples()
        let logDelivery = LatencySamples()
        let called = AppendTimes(count: events)
        var request = HTTPClientRequest(url: base + "/v1/events/stream?from=\(head + 1)")
        request.headers.add(name: "Authorization", value: auth)
        let response = try await client.execute(request, timeout: .seconds(120))
        let rate = sseRate
        let log = service.log
        let inProcess = Task.detached {
            var received = 0
            for try await event in log.subscribe(from: head + 1, batchSize: 256) {
                if let n = Int(event.stream.dropFirst(5)) { logDelivery.add(called.since(n)) }
                received += 1
                if received == events { break }
            }
        }
        let producer = Task.detached {
            let interval = Duration.seconds(1) / rate
            let begin = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<events {
                    let due = begin + interval * n
                    if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
                    group.addTask {
                        let event = NewEvent(id: .v7(), type: "bench.Tick", payload: LogBench.payload, actor: "bench")
                        called.mark(n)
                        try await log.append([event], to: "tick-\(n)", expecting: .noStream)
                    }
                }
                try await group.waitForAll()
            }
        }
        var received = 0
        var pending: [UInt8] = []
        reading: for try await buffer in response.body {
            pending.append(contentsOf: buffer.readableBytesView)
            // Frames end with a blank line; the harness's own parsing stays cheap so that it
            // does not take the CPU the server needs (it shares the process and its 2 cores).
            var start = 0
            while let end = Self.frameEnd(in: pending, from: start) {
                let n = Self.tickNumber(in: pending[start..<end])
                start = end + 2
                guard let n else { continue }
                delivery.add(called.since(n))
                received += 1
                if received == events { break reading }
            }
            pending.removeFirst(start)
        }
        try await producer.value
        try await inProcess.value
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await running.value

        printFigures(
            "cairn bench http",
            [
                BenchFigure(
                    key: "commands_c\(clients)", value: commandRate, unit: "commands/s", target: 20_000,
                    note: "customer registrations over HTTP, \(clients) concurrent clients, durable"),
                BenchFigure(
                    key: "timeline_p99_ms", value: timeline.percentile(0.99), unit: "ms", target: 5, lowerIsBetter: true,
                    note: "customer timeline page (50) under that load, \(timeline.count) samples"),
                BenchFigure(
                    key: "customer_p99_ms", value: customer.percentile(0.99), unit: "ms", target: 5, lowerIsBetter: true,
                    note: "customer 360 under that load, \(customer.count) samples"),
                BenchFigure(
                    key: "timeline_p50_ms", value: timeline.percentile(0.5), unit: "ms", target: nil, note: "median of the same"),
                BenchFigure(
                    key: "customer_p50_ms", value: customer.percentile(0.5), unit: "ms", target: nil, note: "median of the same"),
                BenchFigure(
                    key: "sse_delivery_p99_ms", value: delivery.percentile(0.99), unit: "ms", target: 5, lowerIsBetter: true,
                    note: "append called → event received by an SSE client, at \(sseRate) events/s, \(delivery.count) events"),
                BenchFigure(
                    key: "sse_delivery_p50_ms", value: delivery.percentile(0.5), unit: "ms", target: nil, note: "median of the same"),
                BenchFigure(
                    key: "log_delivery_p99_ms", value: logDelivery.percentile(0.99), unit: "ms", target: nil, lowerIsBetter: true,
                    note: "the same events from append to an in-process log subscription (the log's share of the above)"),
                BenchFigure(
                    key: "command_failures", value: Double(state.failures.load(ordering: .relaxed)), unit: "commands", target: nil,
                    note: "non-201 answers in the load phase"),
            ], json: json,
            context: [
                ("machine", "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"),
                ("date", CairnStore.Timestamp(Date()).rfc3339),
                ("durability", "full sync at every commit"),
            ])
    }
}

extension HTTPBench {
    /// Where the first `\n\n` at or after `from` begins.
    fileprivate static func frameEnd(in bytes: [UInt8], from: Int) -> Int? {
        var index = from
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A, bytes[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private static let streamMarker = Array(#""stream":"tick-"#.utf8)

    /// The `n` of the frame's `"stream":"tick-n"` member.
    fileprivate static func tickNumber(in frame: ArraySlice<UInt8>) -> Int? {
        let marker = streamMarker
        var index = frame.startIndex
        while index + marker.count <= frame.endIndex {
            if frame[index] == marker[0], frame[index..<index + marker.count].elementsEqual(marker) {
                var n = 0
                for byte in frame[(index + marker.count)...] {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                    n = n * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return n
            }
            index += 1
        }
        return nil
    }
}

/// When each of the SSE phase's appends was called.
final class AppendTimes: Sendable {
    private let instants: Mutex<[ContinuousClock.Instant?]>

    init(count: Int) { instants = Mutex(Array(repeating: nil, count: count)) }

    func mark(_ n: Int) {
        let now = ContinuousClock.now
        instants.withLock { $0[n] = now }
    }

    /// How long ago append `n` was called.
    func since(_ n: Int) -> Duration {
        let now = ContinuousClock.now
        return instants.withLock { n < $0.count ? $0[n] : nil }.map { now - $0 } ?? .zero
    }
}

/// Latencies from concurrent tasks.
final class LatencySamples: Sendable {
    private let samples = Mutex<[Double]>([])

    func add(_ duration: Duration) {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        samples.withLock { $0.append(ms) }
    }

    var count: Int { samples.withLock { $0.count } }

    /// The `q` quantile in milliseconds (nearest rank); 0 without samples.
    func percentile(_ q: Double) -> Double { CairnCLI.percentile(samples.withLock { $0 }, q) }
}

extension JSONValue {
    fileprivate var position: Double? {
        if case .object(let o) = self, case .number(let n)? = o["position"] { return n }
        return nil
    }
}

/// Flags shared by the load phase's tasks.
final class LoadState: Sendable {
    let loading = Atomic<Bool>(true)
    let failures = Atomic<Int>(0)
}
