import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

@testable import CairnService

@Suite("Queries through the service")
struct QueryTests {
    @Test("A query names the position a command returned and sees that command's effect")
    func readYourWrites() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-query-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir + "/log")
        let vault = try testVault(dir)
        defer { vault.close() }
        let engine = try ProjectionEngine(log: log, payloads: vault, directory: dir + "/projections", projectors: ReadModels.all)
        let service = CairnService(log: log, vault: vault, projections: engine)
        do {
            try await service.execute(Fixture.registration("c_1"), meta())
            let tagged = try await service.execute(.tag(customerId: "c_1", tag: "vip"), meta())
            let customer = try await service.query("customer-360", atLeast: tagged.position) { engine in
                try Customer360Query.customer(engine, id: "c_1")
            }
            #expect(customer?.tags.contains("vip") == true)
            let timeline = try await service.query("customer-timeline", atLeast: tagged.position) { engine in
                try CustomerTimelineQuery.page(engine, customerId: "c_1")
            }
            #expect(timeline?.entries.count == 2)

            await #expect(throws: QueryError.self) {
                try await service.query("no-such-model") { _ in 0 }
            }
            let ahead = tagged.position + 1000
            do {
                _ = try await service.query("customer-360", atLeast: ahead, timeout: .milliseconds(50)) { _ in 0 }
                Issue.record("a position past the head cannot be reflected")
            } catch let error as QueryError {
                #expect(error.kind == .behind)
            }
        } catch {
            Issue.record("\(error)")
        }
        await engine.close()
        await log.close()
    }
}
