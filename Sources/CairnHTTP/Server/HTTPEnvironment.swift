import CairnProjections
import CairnService
import CairnStore
import HTTPTypes
import Logging
import Synchronization

/// What every handler reaches: the service and the stores beside it, limits, metrics, clock.
final class HTTPEnvironment: Sendable {
    let service: CairnService
    let log: EventLog
    let projections: ProjectionEngine
    let keys: AccessKeyStore
    let consumers: ConsumerPositionStore
    let idempotency: IdempotencyStore
    /// Signs the tree heads subject access exports are proven against.
    let signer: TreeHeadSigner
    let metrics: CairnMetrics
    let limits: HTTPLimits
    let clock: any WallClock
    let logger: Logger
    let subscriptions = SubscriptionCounter()
    let streams = OpenStreams()
    /// True once the log is open and every projection has caught up once.
    let ready = Atomic<Bool>(false)

    init(
        service: CairnService, log: EventLog, projections: ProjectionEngine, keys: AccessKeyStore, consumers: ConsumerPositionStore,
        idempotency: IdempotencyStore, signer: TreeHeadSigner, metrics: CairnMetrics, limits: HTTPLimits, clock: any WallClock,
        logger: Logger
    ) {
        self.signer = signer
        self.service = service
        self.log = log
        self.projections = projections
        self.keys = keys
        self.consumers = consumers
        self.idempotency = idempotency
        self.metrics = metrics
        self.limits = limits
        self.clock = clock
        self.logger = logger
    }
}

/// Open event streams per key, so one key cannot hold every connection.
final class SubscriptionCounter: Sendable {
    private let open = Mutex<[String: Int]>([:])

    /// Counts a new stream for `key` unless it already has `limit` open.
    func acquire(_ key: String, limit: Int) -> Bool {
        open.withLock { open in
            guard open[key, default: 0] < limit else { return false }
            open[key, default: 0] += 1
            return true
        }
    }

    func release(_ key: String) {
        open.withLock { open in
            open[key, default: 1] -= 1
            if open[key] == 0 { open[key] = nil }
        }
    }

    var total: Int { open.withLock { $0.values.reduce(0, +) } }
}
