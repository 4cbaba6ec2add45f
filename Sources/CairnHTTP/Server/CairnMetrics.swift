import CairnProjections
import CairnStore
import Foundation
import HTTPTypes
import Metrics
import Prometheus
import Synchronization

/// The service's metrics, through swift-metrics into a Prometheus registry of the server's own
/// (so several servers in one process, as in tests, never share figures).
final class CairnMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let lastHead = Atomic<UInt64>(0)
    private let batchSizes: Recorder
    private let commandLatency: Metrics.Timer
    private let deliveryLatency: Metrics.Timer
    private let clock: any WallClock
    /// Handles by label and dimensions: made once, so a request only increments and records.
    private let counters = Mutex<[String: Metrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    init(clock: any WallClock) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000),
        ]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        self.factory = factory
        self.clock = clock
        batchSizes = Recorder(label: "cairn_log_commit_batch_events", factory: factory)
        commandLatency = Metrics.Timer(label: "cairn_command_duration_seconds", factory: factory)
        deliveryLatency = Metrics.Timer(label: "cairn_event_stream_delivery_seconds", factory: factory)
    }

    /// The log's commit observer: records each group commit's size.
    func committed(head: UInt64) {
        let previous = lastHead.exchange(head, ordering: .relaxed)
        if head > previous { batchSizes.record(Int64(head - previous)) }
    }

    func startingHead(_ head: UInt64) { lastHead.store(head, ordering: .relaxed) }

    func command(_ operation: String, outcome: String, duration: Duration? = nil) {
        counter("cairn_commands_total", [("operation", operation), ("outcome", outcome)]).increment()
        if let duration { commandLatency.recordNanoseconds(duration.nanoseconds) }
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        timer("cairn_http_request_duration_seconds", [("route", route), ("method", method)]).recordNanoseconds(duration.nanoseconds)
        counter("cairn_http_requests_total", [("route", route), ("method", method), ("status", String(status))]).increment()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Counter {
        let key = Self.key(label, dimensions)
        if let known = counters.withLock({ $0[key] }) { return known }
        let made = Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
        counters.withLock { $0[key] = made }
        return made
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        let key = Self.key(label, dimensions)
        if let known = timers.withLock({ $0[key] }) { return known }
        let made = Metrics.Timer(label: label, dimensions: dimensions, factory: factory)
        timers.withLock { $0[key] = made }
        return made
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(into: label) { key, pair in key += "\u{0}\(pair.0)=\(pair.1)" }
    }

    /// Append → hand-over to a subscriber: the time since the event was recorded.
    func delivered(_ event: RecordedEvent) {
        let lag = clock.now().microsecondsSinceEpoch - event.recordedAt.microsecondsSinceEpoch
        deliveryLatency.recordNanoseconds(max(0, lag) * 1000)
    }

    /// Figures read at scrape time: projection lag, open subscriptions, log counters.
    func refresh(log: EventLog, projections: ProjectionEngine, openSubscriptions: Int) {
        Gauge(label: "cairn_event_streams_open", factory: factory).record(openSubscriptions)
        Gauge(label: "cairn_log_head_position", factory: factory).record(Double(log.committedThrough))
        let counts = log.commitCounts
        Gauge(label: "cairn_log_commits", factory: factory).record(Double(counts.commits))
        Gauge(label: "cairn_log_committed_events", factory: factory).record(Double(counts.events))
        guard let statuses = try? projections.status() else { return }
        for status in statuses where status.isServing {
            Gauge(label: "cairn_projection_lag_events", dimensions: [("projection", status.name)], factory: factory)
                .record(Double(status.lagEvents))
            Gauge(label: "cairn_projection_lag_seconds", dimensions: [("projection", status.name)], factory: factory)
                .record(status.lagSeconds)
            Gauge(label: "cairn_projection_checkpoint", dimensions: [("projection", status.name)], factory: factory)
                .record(Double(status.checkpoint))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
