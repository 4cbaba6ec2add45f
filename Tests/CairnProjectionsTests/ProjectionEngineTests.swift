import CairnStore
import Foundation
import Testing

@testable import CairnProjections

@Suite("Projection engine: folding, exactly once, poison events, read your writes", .timeLimit(.minutes(1)))
struct ProjectionEngineTests {
    @Test("catches up from the log, then follows appends live")
    func catchUpThenLive() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...100)
                let sales = CountingProjector(name: "sales", eventTypePrefixes: ["sales."])
                try await withEngine(log, dir, [CountingProjector(), sales]) { engine async throws in
                    try await engine.waitUntil(position: 100, in: "counts", timeout: patience)
                    try await engine.waitUntil(position: 100, in: "sales", timeout: patience)
                    for kind in kinds {
                        #expect(try count(engine, category: kind.category) == expectedCount(through: 100, category: kind.category))
                    }
                    #expect(try foldedCount(engine) == 100)
                    // The filtered projection folds only what it asked for, yet its checkpoint
                    // passes the events it skipped.
                    #expect(try foldedCount(engine, "sales") == 50)
                    #expect(try count(engine, "sales", category: "customer") == 0)

                    try await appendEvents(log, 101...150)
                    try await engine.waitUntil(position: 150, timeout: patience)  // every projection
                    #expect(try foldedCount(engine) == 150)
                    #expect(try count(engine, category: "lead") == expectedCount(through: 150, category: "lead"))
                    #expect(try foldedCount(engine, "sales") == 75)

                    let status = try #require(try engine.status(of: "counts").first)
                    #expect(status.checkpoint == 150)
                    #expect(status.head == 150)
                    #expect(status.lagEvents == 0)
                    #expect(status.lagSeconds == 0)
                    #expect(status.isServing)
                    #expect(status.state == .live)
                    #expect(status.directory == "counts.v1")
                }
            }
        }
    }

    @Test("a runner stopped mid-catch-up resumes from its checkpoint: every event folded exactly once")
    func resumesAfterStop() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...200)
                let checkpoint = try await withEngine(log, dir, [CountingProjector()], batchSize: 7) { engine async throws in
                    try await engine.waitUntil(position: 50, in: "counts", timeout: patience)
                    return try #require(try engine.status(of: "counts").first).checkpoint
                }
                #expect(checkpoint >= 50)
                let trace = FoldTrace()
                try await withEngine(log, dir, [CountingProjector(trace: trace)], batchSize: 7) { engine async throws in
                    try await engine.waitUntil(position: 200, in: "counts", timeout: patience)
                    #expect(try foldedCount(engine) == 200)
                    for kind in kinds {
                        #expect(try count(engine, category: kind.category) == expectedCount(through: 200, category: kind.category))
                    }
                }
                // The second run started where the first one's last commit ended.
                let resumedAt = try #require(trace.all.first)
                #expect(resumedAt > checkpoint)
                #expect(trace.all == Array(resumedAt...200))
            }
        }
    }

    @Test("a crash inside a batch rolls back model and checkpoint together; a fresh runner folds exactly once")
    func exactlyOnceAcrossCrash() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...100)
                // The first runner dies at position 37, in the middle of its fourth batch.
                try await withEngine(log, dir, [CountingProjector(poisonAt: 37)], batchSize: 10) { engine async throws in
                    await #expect(throws: ProjectionError.self) {
                        try await engine.waitUntil(position: 100, in: "counts", timeout: patience)
                    }
                    #expect(try foldedCount(engine) == 36)
                    #expect(try count(engine, category: "customer") == expectedCount(through: 36, category: "customer"))
                }
                let trace = FoldTrace()
                try await withEngine(log, dir, [CountingProjector(trace: trace)], batchSize: 10) { engine async throws in
                    try await engine.waitUntil(position: 100, in: "counts", timeout: patience)
                    #expect(try foldedCount(engine) == 100)
                    for kind in kinds {
                        #expect(try count(engine, category: kind.category) == expectedCount(through: 100, category: kind.category))
                    }
                }
                #expect(trace.all == Array(37...100))
            }
        }
    }

    @Test("events a projection skips move its checkpoint without a commit, until a step's span has passed; a clean stop records it")
    func skippedEventsCommitLazily() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...100)
                let sales = CountingProjector(name: "sales", eventTypePrefixes: ["sales."])
                // A step passes at most 4 × 16 = 64 positions.
                let recorded = try await withEngine(log, dir, [sales], batchSize: 16) { engine async throws -> UInt64 in
                    try await engine.waitUntil(position: 100, in: "sales", timeout: patience)
                    let runner = try engine.serving("sales")
                    #expect(runner.maxStepSpan == 64)
                    let caughtUp = runner.persistedCheckpoint
                    #expect(caughtUp <= 100)
                    #expect(100 - caughtUp < 64)

                    // Five customer events, one append each: nothing for `sales` to fold, so
                    // no commit, yet read-your-writes and status see them passed.
                    for n in 1...5 { try await appendCustomers(log, count: 1, tag: "a\(n)") }
                    try await engine.waitUntil(position: 105, in: "sales", timeout: patience)
                    #expect(try engine.status(of: "sales").first?.checkpoint == 105)
                    #expect(runner.persistedCheckpoint == caughtUp)

                    // Seventy more: the step that brings 64 or more unrecorded positions commits.
                    try await appendCustomers(log, count: 70, tag: "b")
                    try await engine.waitUntil(position: 175, in: "sales", timeout: patience)
                    #expect(runner.persistedCheckpoint == 175)
                    #expect(try foldedCount(engine, "sales") == 50)

                    // A sales event is folded and recorded with everything skipped before it.
                    let folded = try await log.append(
                        [NewEvent(id: UUID(), type: "sales.LeadCaptured", payload: Array(#"{"n":176}"#.utf8))], to: "lead-x")
                    try await engine.waitUntil(position: folded.lastPosition, in: "sales", timeout: patience)
                    #expect(runner.persistedCheckpoint == 176)
                    try await appendCustomers(log, count: 3, tag: "c")
                    try await engine.waitUntil(position: 179, in: "sales", timeout: patience)
                    #expect(runner.persistedCheckpoint == 176)
                    return try #require(try engine.status(of: "sales").first).checkpoint
                }
                #expect(recorded == 179)
                // Closing recorded the checkpoint the skipped events reached: nothing is passed again.
                let trace = FoldTrace()
                let traced = CountingProjector(name: "sales", eventTypePrefixes: ["sales."], trace: trace)
                try await withEngine(log, dir, [traced], batchSize: 16) { engine async throws in
                    let runner = try engine.serving("sales")
                    #expect(runner.persistedCheckpoint == 179)
                    try await engine.waitUntil(position: 179, in: "sales", timeout: patience)
                    #expect(try foldedCount(engine, "sales") == 51)
                }
                #expect(trace.all.isEmpty)
            }
        }
    }

    @Test("a poison event stops its projection at that position; the others run on")
    func poisonEvent() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...60)
                let projectors: [any Projector] = [
                    CountingProjector(poisonAt: 23), CountingProjector(name: "healthy"),
                ]
                try await withEngine(log, dir, projectors, batchSize: 8) { engine async throws in
                    try await engine.waitUntil(position: 60, in: "healthy", timeout: patience)
                    let error = await #expect(throws: ProjectionError.self) {
                        try await engine.waitUntil(position: 60, in: "counts", timeout: patience)
                    }
                    #expect(error?.code == .failed)
                    #expect(error?.position == 23)

                    let status = try #require(try engine.status(of: "counts").first)
                    #expect(status.state == .failed(position: 23, message: "poison event 23"))
                    #expect(status.checkpoint == 22)
                    #expect(try foldedCount(engine) == 22)
                    // Earlier positions are still served.
                    try await engine.waitUntil(position: 22, in: "counts", timeout: patience)

                    // The healthy projection follows new appends; the failed one stays put.
                    try await appendEvents(log, 61...70)
                    try await engine.waitUntil(position: 70, in: "healthy", timeout: patience)
                    #expect(try foldedCount(engine, "healthy") == 70)
                    #expect(try foldedCount(engine) == 22)
                    #expect(try engine.status(of: "counts").first?.checkpoint == 22)
                }
            }
        }
    }

    @Test("read your writes: waits for the position, then sees it")
    func readYourWrites() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await withEngine(log, dir, [CountingProjector()]) { engine async throws in
                    for round in 0..<5 {
                        let result = try await log.append(
                            [
                                NewEvent(id: UUID(), type: "sales.LeadCaptured", payload: Array("{}".utf8))
                            ], to: "lead-\(round)")
                        try await engine.waitUntil(position: result.lastPosition, in: "counts", timeout: patience)
                        #expect(try count(engine, category: "lead") == UInt64(round + 1))
                    }
                }
            }
        }
    }

    @Test("read your writes times out, saying how far behind, while the projection is held")
    func readYourWritesTimesOut() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await appendEvents(log, 1...30)
                let gate = FoldGate(at: 21, armed: true)
                try await withEngine(log, dir, [CountingProjector(gate: gate)], batchSize: 4) { engine async throws in
                    await gate.reached()
                    let error = await #expect(throws: ProjectionError.self) {
                        try await engine.waitUntil(position: 30, in: "counts", timeout: .milliseconds(20))
                    }
                    #expect(error?.code == .timedOut)
                    #expect(error?.position == 30)
                    #expect(error?.checkpoint == 20)
                    #expect(error?.behind == 10)
                    gate.open()
                    try await engine.waitUntil(position: 30, in: "counts", timeout: patience)
                    #expect(try foldedCount(engine) == 30)
                }
            }
        }
    }

    @Test("status reports checkpoint, head and lag in events and in recorded seconds")
    func lag() async throws {
        try await withTemporaryDirectory { dir in
            let clock = ManualWallClock()
            try await withLog(dir, clock: clock) { log in
                try await appendEvents(log, 1...10)
                clock.advance(by: 5)
                try await appendEvents(log, 11...20)
                let gate = FoldGate(at: 11, armed: true)
                try await withEngine(log, dir, [CountingProjector(gate: gate)], batchSize: 10) { engine async throws in
                    await gate.reached()
                    let status = try #require(try engine.status(of: "counts").first)
                    #expect(status.state == .catchingUp)
                    #expect(status.checkpoint == 10)
                    #expect(status.head == 20)
                    #expect(status.lagEvents == 10)
                    #expect(status.lagSeconds == 5)
                    gate.open()
                    try await engine.waitUntil(position: 20, in: "counts", timeout: patience)
                    let caughtUp = try #require(try engine.status().first)
                    #expect(caughtUp.lagEvents == 0)
                    #expect(caughtUp.lagSeconds == 0)
                    #expect(caughtUp.estimatedTimeRemaining == .zero)
                }
            }
        }
    }

    @Test("an unknown projection is refused")
    func unknownProjection() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await withEngine(log, dir, [CountingProjector()]) { engine async throws in
                    let error = await #expect(throws: ProjectionError.self) {
                        try await engine.waitUntil(position: 1, in: "nope", timeout: patience)
                    }
                    #expect(error?.code == .unknownProjection)
                }
            }
        }
    }
}

@Suite("Projection engine: one process at a time")
struct EngineLockTests {
    @Test("a second engine on the same directory is refused while the first runs, and allowed after it closes")
    func secondEngineRefused() async throws {
        try await withTemporaryDirectory { dir in
            try await withLog(dir) { log in
                try await withEngine(log, dir, [CountingProjector()]) { _ async throws in
                    // flock is per open file description: a second open in the same process
                    // conflicts just as another process would.
                    #expect(throws: ProjectionError.self) {
                        _ = try ProjectionEngine(
                            log: log, payloads: StoredPayloads(), directory: dir + "/projections", projectors: [CountingProjector()])
                    }
                    do {
                        _ = try ProjectionEngine(
                            log: log, payloads: StoredPayloads(), directory: dir + "/projections", projectors: [CountingProjector()])
                    } catch let error as ProjectionError {
                        #expect(error.code == .inUse)
                        #expect(error.message.contains("pid \(getpid())"))
                    }
                }
                try await withEngine(log, dir, [CountingProjector()]) { engine async throws in
                    #expect(engine.projectionNames == ["counts"])
                }
            }
        }
    }
}
