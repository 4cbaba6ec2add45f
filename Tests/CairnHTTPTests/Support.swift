import AsyncHTTPClient
import CairnDomain
@testable import CairnHTTP
import CairnService
import CairnStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// A wall clock the test sets by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Int64>
    init(_ rfc3339: String = "2026-04-01T12:00:00Z") { current = Mutex(CairnStore.Timestamp(rfc3339: rfc3339)!.microsecondsSinceEpoch) }
    func now() -> CairnStore.Timestamp { CairnStore.Timestamp(microsecondsSinceEpoch: current.withLock { $0 }) }
}

/// A response read whole.
struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    var code: String? { json["code"]?.string }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, index < a.count { return a[index] }
        return nil
    }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? { if case .number(let n) = self { Int(n) } else { nil } }
    var array: [JSONValue] { if case .array(let a) = self { a } else { [] } }
}

/// A real server on 127.0.0.1 (a free port) over a fresh data directory, with one key per role.
final class TestServer: Sendable {
    let port: Int
    let directory: String
    let keys: [AccessRole: String]
    let group: ServiceGroup
    let run: Task<Void, any Error>

    static func start(limits: HTTPLimits = TestServer.limits, reopening previous: TestServer? = nil) async throws -> TestServer {
        let directory =
            previous?.directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("cairn-http-\(UUID().uuidString)").path
        var keys: [AccessRole: String] = previous?.keys ?? [:]
        if previous == nil {
            let store = try AccessKeyStore(directory: directory + "/access")
            for role in AccessRole.allCases {
                keys[role] = try store.create(name: "\(role.rawValue)-key", role: role, now: ManualClock().now()).secret
            }
            store.close()
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var configuration = CairnServerConfiguration(dataDirectory: directory)
        configuration.port = 0
        configuration.limits = limits
        configuration.clock = ManualClock()
        configuration.runSlaWatcher = false
        configuration.treeHeadInterval = nil
        var logger = Logger(label: "cairn-test")
        logger.logLevel = .warning
        configuration.logger = logger
        configuration.onServerRunning = { port in continuation.yield(port) }
        let app = try await buildApplication(configuration)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let run = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let server = TestServer(port: port, directory: directory, keys: keys, group: group, run: run)
        try await server.waitReady()
        return server
    }

    static var limits: HTTPLimits {
        var limits = HTTPLimits()
        limits.atLeastTimeout = .milliseconds(100)
        limits.maxBodyBytes = 64 * 1024
        limits.heartbeatInterval = .seconds(30)
        return limits
    }

    private init(port: Int, directory: String, keys: [AccessRole: String], group: ServiceGroup, run: Task<Void, any Error>) {
        self.port = port
        self.directory = directory
        self.keys = keys
        self.group = group
        self.run = run
    }

    /// Waits (bounded by the server's own catch-up) until /health/ready answers 200.
    private func waitReady() async throws {
        for _ in 0..<1000 {
            if try await request(.GET, "/health/ready", key: nil).status == 200 { return }
            await Task.yield()
        }
        Issue.record("the server never became ready")
    }

    /// Shuts the server down gracefully and removes its data.
    func stop(removing: Bool = true) async throws {
        await group.triggerGracefulShutdown()
        try await run.value
        if removing { try? FileManager.default.removeItem(atPath: directory) }
    }

    func request(
        _ method: HTTPMethod, _ path: String, role: AccessRole? = .admin, json: String? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        try await request(method, path, key: role.map { keys[$0]! }, json: json, headers: headers, timeout: timeout)
    }

    func request(
        _ method: HTTPMethod, _ path: String, key: String?, json: String? = nil, headers: [(String, String)] = [],
        contentType: String = "application/json", timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let json {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: json))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 << 20)
        let reply = Reply(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
        if (200..<300).contains(reply.status), reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true,
            let schema = ContractCheck.schema(method, path)
        {
            for violation in schema.violations(of: reply.json) {
                Issue.record("\(method.rawValue) \(path): the answer departs from the contract's \(schema.name) at \(violation)")
            }
        }
        return reply
    }

    /// POSTs a command and expects it accepted.
    @discardableResult
    func command(
        _ path: String, _ json: String, role: AccessRole = .admin, headers: [(String, String)] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws -> Reply
    {
        let reply = try await request(.POST, path, role: role, json: json, headers: headers)
        #expect((200...201).contains(reply.status), "\(path): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        return reply
    }
}

/// Runs `body` against a fresh server, then stops it.
func withServer<T>(limits: HTTPLimits = TestServer.limits, _ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start(limits: limits)
    do {
        let value = try await body(server)
        try await server.stop()
        return value
    } catch {
        try? await server.stop()
        throw error
    }
}

/// Every successful JSON answer a test receives is checked against the response schema the
/// OpenAPI document gives its route, so the published contract and the encoders cannot drift.
enum ContractCheck {
    /// The schema of `method path`'s 2xx JSON answer; nil where the contract gives none.
    static func schema(_ method: HTTPMethod, _ path: String) -> ResponseSchema? {
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/")
        let route = RouteTable.all.filter { route in
            let template = route.path.split(separator: "/")
            return "\(route.method)" == method.rawValue && template.count == segments.count
                && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.max { literals($0) < literals($1) }
        switch route?.success {
        case .json(let name), .accepted(let name): return ResponseSchemas.byName[name]
        case .eventPage: return ResponseSchemas.byName["EventPage"]
        default: return nil
        }
    }

    private static func literals(_ route: Route) -> Int { route.path.split(separator: "/").count { !$0.hasPrefix("{") } }
}
