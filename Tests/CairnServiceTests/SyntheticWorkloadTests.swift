import CairnStore
import Foundation
import Testing

@testable import CairnService

@Suite("Synthetic workload")
struct SyntheticWorkloadTests {
    @Test("Customers' histories go through every context's rules and land as real events")
    func realisticHistories() async throws {
        try await withService { service, _ in
            let head = try await SyntheticWorkload(customers: 60, seed: 7).run(on: service, concurrency: 8)
            let events = try service.log.read(from: 1, limit: 100_000).events
            #expect(UInt64(events.count) == head)
            #expect(events.count > 60 * 10)
            let contexts = Set(events.map { $0.type.split(separator: ".")[0] })
            #expect(contexts == ["customers", "sales", "marketing", "service"])
            let types = Set(events.map(\.type))
            for type in [
                "customers.CustomerRegistered", "sales.OpportunityWon", "sales.OrderRecorded", "sales.ActivityLogged",
                "marketing.MessageSent", "service.CaseClosed", "service.SatisfactionRecorded",
            ] {
                #expect(types.contains(type), "no \(type)")
            }
            // Every send had consent: the rules were applied, not bypassed.
            #expect(
                events.filter { $0.type == "marketing.MessageSent" }.count
                    <= events.filter { $0.type == "customers.ConsentGranted" }.count)
        }
    }
}
