import CairnDomain
import CairnProjections
public import CairnService
public import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// How to run the server.
public struct CairnServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds `log/`, `projections/`, `access/`, `consumers/` and `idempotency/`.
    public var dataDirectory: String
    public var limits = HTTPLimits()
    public var clock: any WallClock = SystemClock()
    public var logger = Logger(label: "cairn")
    /// Full durability unless a benchmark opts out.
    public var logDurability = EventLog.Durability.full
    /// Record missed SLA deadlines while serving.
    public var runSlaWatcher = true
    /// Sign the log's tree head this often when it has grown (key: `<data>/signing/tree-head.pem`,
    /// made when absent); nil signs none.
    public var treeHeadInterval: Duration? = .seconds(60)
    /// Retention policies applied once a day while serving (none: no retention job).
    public var retention: [RetentionPolicy] = []
    /// Told the bound port once the server listens (port 0 picks a free one).
    public var onServerRunning: (@Sendable (Int) async -> Void)?
    /// Handed the service once it is open (benchmarks drive appends in-process with it).
    public var onServiceOpened: (@Sendable (CairnService) -> Void)?

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}

/// Builds the application: opens the log, the read models and the stores beside them, and
/// registers every route of ``RouteTable``. The returned application closes them all when it
/// shuts down (after the HTTP server has drained).
///
/// ```swift
/// let app = try await buildApplication(CairnServerConfiguration(dataDirectory: "cairn-data"))
/// try await ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm], logger: logger)).run()
/// ```
public func buildApplication(_ configuration: CairnServerConfiguration) async throws -> some Service {
    let data = configuration.dataDirectory
    let metrics = CairnMetrics(clock: configuration.clock)
    var logOptions = EventLog.Options()
    logOptions.clock = configuration.clock
    logOptions.durability = configuration.logDurability
    logOptions.commitObserver = { metrics.committed(head: $0) }
    let log = try EventLog(directory: data + "/log", options: logOptions)
    metrics.startingHead(log.committedThrough)
    // What is open so far, closed in reverse should a later step fail.
    var opened: [@Sendable () async -> Void] = [{ await log.close() }]
    let vault: PersonalDataVault
    let projections: ProjectionEngine
    let keys: AccessKeyStore
    let consumers: ConsumerPositionStore
    let idempotency: IdempotencyStore
    var notary: (TreeHeadNotary, Duration)?
    let signer: TreeHeadSigner
    do {
        vault = try PersonalDataVault.open(dataDirectory: data) { configuration.logger.warning("\($0)") }
        opened.append { vault.close() }
        projections = try ProjectionEngine(log: log, payloads: vault, directory: data + "/projections", projectors: ReadModels.all)
        opened.append { await projections.close() }
        keys = try AccessKeyStore(directory: data + "/access")
        opened.append { keys.close() }
        consumers = try ConsumerPositionStore(directory: data + "/consumers")
        opened.append { consumers.close() }
        idempotency = try IdempotencyStore(directory: data + "/idempotency")
        opened.append { idempotency.close() }
        signer = try TreeHeadSigner.load(orCreateAt: data + "/signing/tree-head.pem").signer
        if let interval = configuration.treeHeadInterval { notary = (TreeHeadNotary(log: log, signer: signer), interval) }
    } catch {
        for close in opened.reversed() { await close() }
        throw error
    }
    let service = CairnService(log: log, vault: vault, projections: projections, clock: configuration.clock)
    configuration.onServiceOpened?(service)
    let env = HTTPEnvironment(
        service: service, log: log, projections: projections, keys: keys, consumers: consumers, idempotency: idempotency,
        signer: signer, metrics: metrics, limits: configuration.limits, clock: configuration.clock, logger: configuration.logger)
    let router = Router(context: CairnRequestContext.self)
    router.add(middleware: CairnMiddleware(env: env))
    for route in RouteTable.all {
        router.on(RouterPath(route.routerPath), method: route.method) { request, context in
            var context = context
            context.principal = try env.authorize(request, route)
            return try await route.handler(request, context, env)
        }
    }
    let onRunning = configuration.onServerRunning
    let app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cairn"),
        services: [
            CairnResources(
                env: env, runSlaWatcher: configuration.runSlaWatcher, notary: notary, retention: configuration.retention)
        ],
        onServerRunning: { channel in
            configuration.logger.info(
                "listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")", "data": "\(data)"])
            if let onRunning, let port = channel.localAddress?.port { await onRunning(port) }
        },
        logger: configuration.logger)
    return CairnApplication(app: app, env: env)
}

/// The Hummingbird application, plus what its shutdown needs first: event streams end as soon
/// as graceful shutdown begins, so the HTTP server's drain (which waits for in-flight
/// responses) finishes in-flight commands without waiting on streams that never end.
struct CairnApplication<App: ApplicationProtocol>: Service {
    let app: App
    let env: HTTPEnvironment

    func run() async throws {
        let streams = env.streams
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            streams.closeAll()
        }
    }
}

/// Owns what the server opened: marks it ready once the projections caught up, runs the SLA
/// watcher and the tree-head notary, and — after the HTTP server has drained on shutdown — closes the read models, the
/// stores and the log (which finishes queued appends and syncs).
struct CairnResources: Service {
    let env: HTTPEnvironment
    let runSlaWatcher: Bool
    let notary: (TreeHeadNotary, Duration)?
    let retention: [RetentionPolicy]

    func run() async throws {
        let env = self.env
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let head = env.log.committedThrough
                do {
                    try await env.projections.waitUntil(position: head, timeout: .seconds(24 * 3600))
                    env.ready.store(true, ordering: .relaxed)
                    env.logger.info("ready", metadata: ["head": "\(head)"])
                } catch {
                    env.logger.error("projections did not catch up", metadata: ["error": "\(error)"])
                }
            }
            if runSlaWatcher {
                group.addTask {
                    let watcher = SlaWatcher(service: env.service)
                    await watcher.run(interval: .seconds(60))
                }
            }
            if let (notary, interval) = notary {
                group.addTask { await notary.run(interval: interval) }
            }
            let retention = self.retention
            if !retention.isEmpty {
                group.addTask {
                    await env.service.runRetention(retention) { result in
                        switch result {
                        case .success(let applied):
                            env.logger.notice(
                                "retention applied",
                                metadata: [
                                    "run": "\(applied.runId)",
                                    "expired": "\(applied.policies.map { "\($0.kind)<\($0.keepFrom):\($0.keysExpired)" })",
                                ])
                        case .failure(let error):
                            env.logger.error("retention failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
            // Returns when shutdown begins — after the HTTP server, which ServiceGroup stops first.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        env.ready.store(false, ordering: .relaxed)
        await env.projections.close()
        env.keys.close()
        env.consumers.close()
        env.idempotency.close()
        env.service.vault.close()
        await env.log.close()
        env.logger.info("closed", metadata: ["head": "\(env.log.committedThrough)"])
    }
}
