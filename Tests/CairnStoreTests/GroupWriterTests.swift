import Foundation
import Testing

@testable import CairnStore

@Suite("Group writer: many tasks' small writes in shared commits")
struct GroupWriterTests {
    private struct Refusal: Error, Equatable { let n: Int }

    /// An environment in a temporary directory with its database `main` and a group writer
    /// over it; closed after `body`.
    private func withWriter(
        mapSize: Int? = nil, _ body: (String, LMDBEnvironment, LMDBDatabase, GroupWriter) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { dir in
            var options = LMDBEnvironment.Options()
            if let mapSize { options.mapSize = mapSize }
            let env = try LMDBEnvironment(path: dir + "/env", options: options)
            defer { env.close() }
            try await body(dir, env, try env.database("main"), GroupWriter(env: env, label: "test.group-writer"))
        }
    }

    @Test("concurrent read-modify-write jobs each see the ones before them, and all of it is durable")
    func jobsSeeEachOther() async throws {
        try await withWriter { dir, env, db, writer in
            let key = Array("counter".utf8)
            let seen = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        try await writer.write { txn in
                            let next = (try txn.get(db, key).map { $0.loadUnaligned(as: UInt64.self) } ?? 0) + 1
                            try txn.put(db, key, withUnsafeBytes(of: next) { Array($0) })
                            return next
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(seen.sorted() == Array(1...200))
            env.close()  // closing twice is harmless
            let reopened = try LMDBEnvironment(path: dir + "/env")
            let main = try reopened.database("main", create: false)
            let stored = try reopened.read { txn in try txn.get(main, key)?.loadUnaligned(as: UInt64.self) }
            #expect(stored == 200)
            reopened.close()
        }
    }

    @Test("a group that fills the map grows it and commits every job")
    func mapGrows() async throws {
        try await withWriter(mapSize: 256 << 10) { _, env, db, writer in
            let value = [UInt8](repeating: 7, count: 4096)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<400 {
                    group.addTask { try await writer.write { txn in try txn.put(db, Array("k\(n)".utf8), value) } }
                }
                try await group.waitForAll()
            }
            #expect(try env.read { txn in try txn.count(db) } == 400)
        }
    }

    @Test("a job that throws gets its error and leaves nothing written; the jobs beside it commit")
    func failingJobLeftOut() async throws {
        try await withWriter { _, env, db, writer in
            let outcomes = await withTaskGroup(of: (Int, Result<Int, Refusal>).self) { group in
                for n in 0..<60 {
                    group.addTask {
                        do {
                            let value = try await writer.write { txn in
                                try txn.put(db, Array("k\(n)".utf8), Array("v\(n)".utf8))
                                if n % 7 == 3 { throw Refusal(n: n) }  // after writing: the write must not stay
                                return n
                            }
                            return (n, .success(value))
                        } catch let refusal as Refusal {
                            return (n, .failure(refusal))
                        } catch {
                            Issue.record("unexpected \(error)")
                            return (n, .failure(Refusal(n: -1)))
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for n in 0..<60 {
                let stored = try env.read { txn in try txn.get(db, Array("k\(n)".utf8)).map { Array($0) } }
                if n % 7 == 3 {
                    #expect(outcomes[n] == .failure(Refusal(n: n)))
                    #expect(stored == nil)
                } else {
                    #expect(outcomes[n] == .success(n))
                    #expect(stored == Array("v\(n)".utf8))
                }
            }
        }
    }
}
