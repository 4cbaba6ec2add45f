public import CairnStore
import Foundation
import Synchronization

/// Runs every registered projector against the log and serves their read models.
///
/// Each read-model version has an LMDB environment of its own under the engine's directory
/// (`<root>/<name>.v<version>/`); the manifest (`projections.json`) says which one serves
/// queries. On open the engine catches every projection up from its checkpoint, then follows
/// appends live. When a projector's version changes, or on ``rebuild(_:)``, the new build runs
/// beside the serving one from position 0 and takes over atomically once it reaches the head.
///
/// ```swift
/// let engine = try ProjectionEngine(log: log, directory: "data/projections", projectors: [OpenCases()])
/// let position = try await log.append(…).lastPosition
/// try await engine.waitUntil(position: position, in: "open-cases", timeout: .seconds(2))
/// let open = try engine.read("open-cases") { model, txn in try txn.count(model["byOwner"]) }
/// await engine.close()
/// ```
public final class ProjectionEngine: Sendable {
    public struct Options: Sendable {
        /// Events folded per read-model transaction, at most. Larger batches mean fewer
        /// commits (and syncs) while catching up; live folding commits whatever has arrived.
        public var batchSize = 16_384
        /// Initial memory map of each read-model environment; it grows by itself.
        public var initialMapSize = 64 << 20
        /// Measures ``ProjectionEngine/waitUntil(position:in:timeout:)`` timeouts.
        public var clock: any Clock<Duration> = ContinuousClock()

        public init() {}
    }

    struct Slot {
        var serving: ProjectionRunner?
        var building: ProjectionRunner?
        var rebuildWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    struct State {
        var manifest: ProjectionManifest
        var slots: [String: Slot] = [:]
        var closed = false

        var runners: [ProjectionRunner] {
            slots.keys.sorted().flatMap { [slots[$0]!.serving, slots[$0]!.building].compactMap { $0 } }
        }
    }

    /// The engine's root directory.
    public let directory: String
    package let log: EventLog
    /// Reads and decodes the log once for all the runners.
    let feed: ProjectionFeed
    let options: Options
    /// Registered projectors by name, then version. The highest version is the current one;
    /// older ones keep a serving version live while its replacement builds.
    let projectors: [String: [Int: any Projector]]
    /// How records' payloads read (sealed personal data opened): for time travel queries too.
    package let payloads: any EventPayloadReader
    let state: Mutex<State>
    /// What queries derive from whole read models (RFM rankings), kept while the content holds.
    package let derived = DerivedValues()
    /// Held while this engine runs, so no second process folds the same models.
    private let lock: DirectoryLock

    /// Opens the read models in `directory` and starts folding. Call ``close()`` when done.
    ///
    /// `payloads` reads each record's payload for folding (opening sealed personal data).
    package init(
        log: EventLog, payloads: any EventPayloadReader, directory: String, projectors: [any Projector], options: Options = Options()
    ) throws {
        var registered: [String: [Int: any Projector]] = [:]
        for projector in projectors {
            precondition(Self.isValidName(projector.name), "projector name '\(projector.name)' must be [a-z0-9-]+")
            precondition(registered[projector.name]?[projector.version] == nil, "\(projector.name) v\(projector.version) registered twice")
            registered[projector.name, default: [:]][projector.version] = projector
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.lock = try DirectoryLock(directory: directory)
        self.directory = directory
        self.log = log
        self.payloads = payloads
        self.feed = ProjectionFeed(log: log, payloads: payloads)
        self.options = options
        self.projectors = registered
        self.state = Mutex(State(manifest: try ProjectionManifest.load(root: directory)))
        var manifest = state.withLock { $0.manifest }
        var slots: [String: Slot] = [:]
        do {
            for name in registered.keys.sorted() {
                slots[name] = try openSlot(name, &manifest)
            }
            try manifest.save(root: directory)
        } catch {
            for slot in slots.values { slot.serving?.close(); slot.building?.close() }
            throw error
        }
        let runners = state.withLock { state in
            state.manifest = manifest
            state.slots = slots
            return state.runners
        }
        removeUnreferencedDirectories()
        for runner in runners { start(runner) }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }

    /// Events read and decoded for the runners since the engine opened: each event once when
    /// they fold in step.
    package var decodedEvents: UInt64 { feed.decodedEvents.load(ordering: .relaxed) }

    /// The names of the registered projections.
    public var projectionNames: [String] { projectors.keys.sorted() }

    func current(_ name: String) -> any Projector {
        projectors[name]!.max { $0.key < $1.key }!.value
    }

    /// Opens what the manifest names for `name`, and decides what to build.
    private func openSlot(_ name: String, _ manifest: inout ProjectionManifest) throws -> Slot {
        let current = current(name)
        var entry = manifest.projections[name] ?? ProjectionManifest.Entry()
        if let serving = entry.serving, !exists(serving.directory) { entry.serving = nil }
        if let building = entry.building, building.version != current.version || !exists(building.directory) {
            // A build of a version that is no longer current is abandoned.
            removeDirectory(building.directory)
            entry.building = nil
        }
        if entry.serving == nil {
            // Nothing serves yet: the first build serves while it catches up, as there is no
            // older model to answer from.
            entry.serving =
                entry.building
                ?? ProjectionManifest.Build(
                    version: current.version, directory: freshDirectory(name, current.version, entry))
            entry.building = nil
        }
        if entry.building == nil, let serving = entry.serving, serving.version != current.version {
            entry.building = ProjectionManifest.Build(
                version: current.version, directory: freshDirectory(name, current.version, entry))
        }
        var slot = Slot()
        do {
            if let serving = entry.serving {
                slot.serving = try openRunner(name, serving, role: .serving)
            }
            if let building = entry.building {
                slot.building = try openRunner(name, building, role: .building)
            }
        } catch {
            slot.serving?.close()
            throw error
        }
        manifest.projections[name] = entry
        return slot
    }

    func openRunner(_ name: String, _ build: ProjectionManifest.Build, role: ProjectionRunner.Role) throws -> ProjectionRunner {
        try ProjectionRunner(
            root: directory, directory: build.directory, name: name, version: build.version,
            projector: projectors[name]?[build.version], role: role, log: log, feed: feed,
            batchSize: options.batchSize, initialMapSize: options.initialMapSize)
    }

    /// `<name>.v<version>`, or with a suffix when that directory is taken.
    func freshDirectory(_ name: String, _ version: Int, _ entry: ProjectionManifest.Entry) -> String {
        let taken = Set([entry.serving?.directory, entry.building?.directory].compactMap { $0 })
        var candidate = "\(name).v\(version)"
        var suffix = 2
        while taken.contains(candidate) || exists(candidate) {
            candidate = "\(name).v\(version)-\(suffix)"
            suffix += 1
        }
        return candidate
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + relative)
    }

    func removeDirectory(_ relative: String) {
        try? FileManager.default.removeItem(atPath: directory + "/" + relative)
    }

    /// Removes read-model directories of registered projections that the manifest no longer
    /// names: left by a crash between a switch and the removal of the old version.
    private func removeUnreferencedDirectories() {
        let referenced = state.withLock { state in
            Set(state.manifest.projections.values.flatMap { [$0.serving?.directory, $0.building?.directory].compactMap { $0 } })
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for entry in entries where !referenced.contains(entry) {
            if projectors.keys.contains(where: { entry.hasPrefix($0 + ".v") }) { removeDirectory(entry) }
        }
    }

    func start(_ runner: ProjectionRunner) {
        runner.start(
            onCaughtUp: { [weak self] runner in await self?.promote(runner) },
            onFailed: { [weak self] runner, error in self?.buildFailed(runner, error) })
    }

    // MARK: Closing

    /// Stops every runner after the batch it is folding, and closes the read models. Waiters
    /// and rebuilds in progress end with ``ProjectionError/Code/closed``; an interrupted
    /// rebuild resumes from its checkpoint when the engine opens again.
    public func close() async {
        let (runners, waiters) = state.withLock { state in
            state.closed = true
            var waiters: [CheckedContinuation<Void, any Error>] = []
            for name in state.slots.keys {
                waiters += state.slots[name]!.rebuildWaiters
                state.slots[name]!.rebuildWaiters = []
            }
            return (state.runners, waiters)
        }
        for waiter in waiters { waiter.resume(throwing: ProjectionError(.closed, "the projection engine closed")) }
        for runner in runners { await runner.stop() }
        // A switch that was in flight may have changed the slots meanwhile.
        let remaining = state.withLock { $0.runners }
        for runner in runners + remaining { runner.close() }
        lock.release()
    }

    // MARK: Reading

    /// Runs `body` in a read transaction of the version serving `name`. Should a rebuild switch
    /// versions at that instant, `body` runs again on the new one, so keep it free of side
    /// effects.
    package func read<T>(_ name: String, _ body: (ReadModel, borrowing LMDBReadTransaction) throws -> T) throws -> T {
        var attempt = 0
        while true {
            let runner = try serving(name)
            do {
                return try runner.env.read { txn in try body(runner.model, txn) }
            } catch LMDBError.closed where attempt < 3 {
                attempt += 1  // switched away while we looked: read the new serving version
            }
        }
    }

    /// The runner serving `name`.
    func serving(_ name: String) throws -> ProjectionRunner {
        try state.withLock { state in
            guard !state.closed else { throw ProjectionError(.closed, "the projection engine closed", projection: name) }
            guard let runner = state.slots[name]?.serving else {
                throw ProjectionError(.unknownProjection, "no projection named \(name)", projection: name)
            }
            return runner
        }
    }

    /// SHA-256 over the serving read model's databases (in name order) and all their keys and
    /// values (in key order). Equal digests mean equal content, whatever the page layout.
    public func digest(_ name: String) throws -> SHA256Digest {
        try read(name) { model, txn in try txn.contentDigest(of: model.ordered) }
    }

    // MARK: Status

    /// Every read-model version: the serving ones, and the builds beside them.
    public func status() throws -> [ProjectionStatus] {
        let runners = state.withLock { $0.runners }
        let head = log.committedThrough
        return try runners.map { try $0.status(head: head) }
    }

    /// The versions of one projection: the serving one first, then a build beside it.
    public func status(of name: String) throws -> [ProjectionStatus] {
        let runners = try state.withLock { state in
            guard let slot = state.slots[name] else {
                throw ProjectionError(.unknownProjection, "no projection named \(name)", projection: name)
            }
            return [slot.serving, slot.building].compactMap { $0 }
        }
        let head = log.committedThrough
        return try runners.map { try $0.status(head: head) }
    }

    // MARK: Read your writes

    /// Returns once the version serving `name` has folded `position`. Throws
    /// ``ProjectionError/Code/timedOut`` (saying how far behind it still is) after `timeout`,
    /// and ``ProjectionError/Code/failed`` at once when the projection stopped before it.
    public func waitUntil(position: UInt64, in name: String, timeout: Duration) async throws {
        if try serving(name).checkpoint >= position { return }
        let clock = options.clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.waitServing(name, position) }
            group.addTask {
                try await clock.sleep(for: timeout)
                let checkpoint = (try? self.serving(name).checkpoint) ?? 0
                throw ProjectionError(
                    .timedOut,
                    "projection \(name) did not reach position \(position) within \(timeout): "
                        + "it is at \(checkpoint), \(position > checkpoint ? position - checkpoint : 0) behind",
                    projection: name, position: position, checkpoint: checkpoint)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Returns once every projection has folded `position` (each bounded by `timeout`, all
    /// waiting at once); throws the first timeout or failure.
    public func waitUntil(position: UInt64, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in projectionNames {
                group.addTask { try await self.waitUntil(position: position, in: name, timeout: timeout) }
            }
            try await group.waitForAll()
        }
    }

    private func waitServing(_ name: String, _ position: UInt64) async throws {
        while true {
            switch try await serving(name).wait(for: position) {
            case .reached: return
            case .retired: continue  // a rebuild switched versions: wait on the new one
            }
        }
    }
}
