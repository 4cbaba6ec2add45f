import CairnStore
import Foundation
import Synchronization

extension ProjectionEngine {
    /// Rebuilds `name` from position 0 beside the version serving queries, and returns once the
    /// new build has caught up to the head and serves in its place (the old directory removed).
    ///
    /// Queries keep reading the old version throughout; they never see a half-built model. If
    /// a rebuild of `name` is already running, this waits for it. An interrupted rebuild (the
    /// engine closed or crashed) resumes from its own checkpoint when the engine opens again.
    public func rebuild(_ name: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<ProjectionRunner?, any Error> = state.withLock { state in
                Result {
                    guard !state.closed else { throw ProjectionError(.closed, "the projection engine closed", projection: name) }
                    guard var slot = state.slots[name] else {
                        throw ProjectionError(.unknownProjection, "no projection named \(name)", projection: name)
                    }
                    if let building = slot.building {
                        if let failure = building.failure { throw building.failedError(failure.position, failure.message) }
                        slot.rebuildWaiters.append(continuation)
                        state.slots[name] = slot
                        return nil
                    }
                    let current = current(name)
                    var entry = state.manifest.projections[name] ?? ProjectionManifest.Entry()
                    let build = ProjectionManifest.Build(
                        version: current.version, directory: freshDirectory(name, current.version, entry))
                    let runner = try openRunner(name, build, role: .building)
                    entry.building = build
                    var manifest = state.manifest
                    manifest.projections[name] = entry
                    do { try manifest.save(root: directory) } catch {
                        runner.close()
                        removeDirectory(build.directory)
                        throw error
                    }
                    state.manifest = manifest
                    slot.building = runner
                    slot.rebuildWaiters.append(continuation)
                    state.slots[name] = slot
                    return runner
                }
            }
            switch outcome {
            case .success(let runner?): start(runner)
            case .success(nil): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// Rebuilds every projection, one after the other.
    public func rebuildAll() async throws {
        for name in projectionNames { try await rebuild(name) }
    }

    /// A build beside the serving version reached the head: make it serve.
    func promote(_ runner: ProjectionRunner) async {
        guard runner.role == .building else { return }
        // `.noMetaSync` leaves the last commit's meta page unsynced: make the caught-up model
        // fully durable before the manifest names it.
        do { try runner.env.sync() } catch {
            buildFailed(runner, ProjectionError(.storage, "cannot sync \(runner.directory): \(error)", projection: runner.name))
            return
        }
        let switched: Result<(old: ProjectionRunner?, waiters: [CheckedContinuation<Void, any Error>]), any Error>? =
            state.withLock { state in
                guard !state.closed, var slot = state.slots[runner.name], slot.building === runner else { return nil }
                var manifest = state.manifest
                manifest.projections[runner.name] = ProjectionManifest.Entry(
                    serving: ProjectionManifest.Build(version: runner.version, directory: runner.directory), building: nil)
                do { try manifest.save(root: directory) } catch { return .failure(error) }
                state.manifest = manifest
                let old = slot.serving
                let waiters = slot.rebuildWaiters
                slot.serving = runner
                slot.building = nil
                slot.rebuildWaiters = []
                state.slots[runner.name] = slot
                runner.becomeServing()
                return .success((old, waiters))
            }
        switch switched {
        case nil:
            return
        case .failure(let error):
            buildFailed(
                runner, ProjectionError(.storage, "cannot switch \(runner.name) to \(runner.directory): \(error)", projection: runner.name))
        case .success(let (old, waiters)):
            if let old {
                await old.stop()
                old.close()
                removeDirectory(old.directory)
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// A build beside the serving version stopped: whoever awaits the rebuild learns why.
    func buildFailed(_ runner: ProjectionRunner, _ error: ProjectionError) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard var slot = state.slots[runner.name], slot.building === runner else { return [] }
            defer {
                slot.rebuildWaiters = []
                state.slots[runner.name] = slot
            }
            return slot.rebuildWaiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}
