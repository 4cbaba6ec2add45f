import CairnProjections
import CairnStore
import Dispatch
import Foundation
import Synchronization

/// A fresh directory per test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-projections-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// The event kinds the tests append, in rotation: event `i` (from 1) is `kinds[(i - 1) % 4]`.
let kinds: [(category: String, type: String)] = [
    ("customer", "customers.CustomerRegistered"),
    ("lead", "sales.LeadCaptured"),
    ("opportunity", "sales.OpportunityOpened"),
    ("case", "service.CaseOpened"),
]

/// Appends events `first...last` of the rotation, a few per append.
func appendEvents(_ log: EventLog, _ range: ClosedRange<Int>) async throws {
    var index = range.lowerBound
    while index <= range.upperBound {
        let end = min(index + 6, range.upperBound)
        var appends: [StreamAppend] = []
        for i in index...end {
            let kind = kinds[(i - 1) % kinds.count]
            appends.append(
                StreamAppend(
                    stream: "\(kind.category)-\(i % 5)",
                    events: [
                        NewEvent(id: UUID(), type: kind.type, payload: Array(#"{"n":\#(i)}"#.utf8), actor: "tester")
                    ]))
        }
        try await log.append(appends)
        index = end + 1
    }
}

/// Appends `count` customer registrations in one append, on streams named after `tag`.
func appendCustomers(_ log: EventLog, count: Int, tag: String) async throws {
    try await log.append(
        (0..<count).map { i in
            StreamAppend(
                stream: "customer-\(tag)-\(i)",
                events: [NewEvent(id: UUID(), type: "customers.CustomerRegistered", payload: Array("{}".utf8), actor: "tester")])
        })
}

/// How many of events `1...through` have this type prefix / category.
func expectedCount(through: Int, category: String) -> UInt64 {
    guard through > 0 else { return 0 }
    return UInt64((1...through).filter { kinds[($0 - 1) % kinds.count].category == category }.count)
}

struct DemoFailure: Error, CustomStringConvertible {
    var description: String
}

/// Counts events per stream category and per type, and records each position it folds,
/// refusing to fold one twice — so any double fold shows up as a failure.
struct CountingProjector: Projector {
    var name = "counts"
    var version = 1
    var eventTypePrefixes: [String] = []
    let databaseNames = ["byCategory", "byType", "folded"]
    /// Throws on the event at this position.
    var poisonAt: UInt64?
    var gate: FoldGate?
    var trace: FoldTrace?

    func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
        var byCategory: [String: UInt64] = [:]
        var byType: [String: UInt64] = [:]
        for projected in events {
            let event = projected.record
            gate?.pass(event.position)
            if event.position == poisonAt { throw DemoFailure(description: "poison event \(event.position)") }
            let key = Array.bigEndianKey(event.position)
            if try txn.get(model["folded"], key) != nil {
                throw DemoFailure(description: "position \(event.position) folded twice")
            }
            try txn.put(model["folded"], key, Array(event.type.utf8))
            byCategory[event.category, default: 0] += 1
            byType[event.type, default: 0] += 1
        }
        try add(byCategory, to: model["byCategory"], txn)
        try add(byType, to: model["byType"], txn)
        trace?.record(events.map(\.position))
    }

    private func add(_ counts: [String: UInt64], to database: LMDBDatabase, _ txn: borrowing LMDBWriteTransaction) throws {
        for (name, count) in counts {
            let key = Array(name.utf8)
            let old = try txn.get(database, key).map { $0.loadUnaligned(as: UInt64.self).bigEndian } ?? 0
            try txn.put(database, key, Array.bigEndianKey(old + count))
        }
    }
}

extension Array where Element == UInt8 {
    static func bigEndianKey(_ value: UInt64) -> [UInt8] { Swift.withUnsafeBytes(of: value.bigEndian) { Array($0) } }
}

/// Reads a counter from the version serving `name`.
func count(_ engine: ProjectionEngine, _ name: String = "counts", category: String) throws -> UInt64 {
    try engine.read(name) { model, txn in
        try txn.get(model["byCategory"], Array(category.utf8)).map { $0.loadUnaligned(as: UInt64.self).bigEndian } ?? 0
    }
}

/// Events folded by the version serving `name`.
func foldedCount(_ engine: ProjectionEngine, _ name: String = "counts") throws -> Int {
    try engine.read(name) { model, txn in try txn.count(model["folded"]) }
}

/// Holds a fold at one position until the test lets it go, and tells the test it got there.
/// Armed only once the test asks, so an earlier build passes freely.
final class FoldGate: Sendable {
    private struct State {
        var armed = false
        var held = false
        var reachedWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let position: UInt64
    private let state = Mutex(State())
    private let release = DispatchSemaphore(value: 0)

    init(at position: UInt64, armed: Bool = false) {
        self.position = position
        state.withLock { $0.armed = armed }
    }

    func arm() { state.withLock { $0.armed = true } }

    /// Called by the fold (on the writer queue): blocks at the gate's position, once.
    func pass(_ position: UInt64) {
        guard position == self.position else { return }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
            guard state.armed, !state.held else { return nil }
            state.held = true
            defer { state.reachedWaiters = [] }
            return state.reachedWaiters
        }
        guard let waiters else { return }
        for waiter in waiters { waiter.resume() }
        release.wait()
    }

    /// Returns once a fold is held at the gate.
    func reached() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.held { return true }
                state.reachedWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() { release.signal() }
}

/// Every position a projector was asked to fold (including attempts that were rolled back).
final class FoldTrace: Sendable {
    private let positions = Mutex<[UInt64]>([])
    func record(_ batch: [UInt64]) { positions.withLock { $0 += batch } }
    var all: [UInt64] { positions.withLock { $0 } }
}

/// Opens a log and an engine over it in `dir`, runs `body`, closes both.
func withEngine<T>(
    _ log: EventLog, _ dir: String, _ projectors: [any Projector], batchSize: Int = 16,
    _ body: (ProjectionEngine) async throws -> T
) async throws -> T {
    var options = ProjectionEngine.Options()
    options.batchSize = batchSize
    options.initialMapSize = 1 << 20
    let engine = try ProjectionEngine(
        log: log, payloads: StoredPayloads(), directory: dir + "/projections", projectors: projectors, options: options)
    do {
        let value = try await body(engine)
        await engine.close()
        return value
    } catch {
        await engine.close()
        throw error
    }
}

/// Opens a log in `dir/log`, runs `body`, closes it.
func withLog<T>(_ dir: String, clock: (any WallClock)? = nil, _ body: (EventLog) async throws -> T) async throws -> T {
    var options = EventLog.Options()
    if let clock { options.clock = clock }
    let log = try EventLog(directory: dir + "/log", options: options)
    do {
        let value = try await body(log)
        await log.close()
        return value
    } catch {
        await log.close()
        throw error
    }
}

let patience = Duration.seconds(60)

/// A wall clock the test sets by hand, for the log's `recordedAt`.
final class ManualWallClock: WallClock {
    private let micros: Mutex<Int64>
    init(_ micros: Int64 = 1_800_000_000_000_000) { self.micros = Mutex(micros) }
    func now() -> Timestamp { Timestamp(microsecondsSinceEpoch: micros.withLock { $0 }) }
    func advance(by seconds: Int64) { micros.withLock { $0 += seconds * 1_000_000 } }
}
