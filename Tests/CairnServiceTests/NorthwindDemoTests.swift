import CairnDomain
import CairnStore
import Foundation
import Testing

@testable import CairnService

@Suite("The Northwind demo data")
struct NorthwindDemoTests {
    @Test("Loads the real Northwind tables through the domain, and a second load changes nothing")
    func loadsTwice() async throws {
        let northwind = try sharedDatasets() + "/northwind"
        try await withService { service, _ in
            let demo = NorthwindDemo(directory: northwind, seed: 7)
            let first = try await demo.load(into: service)
            // The figures the dataset's SOURCE.md gives: 91 customers, 9 reps, 830 orders with
            // 2,155 lines, 21 of them open (not shipped), 37 shipped after their due date.
            #expect(first.customers == 91 && first.contacts == 91 && first.salesReps == 9)
            #expect(first.orders == 830 && first.orderLines == 2155)
            #expect(first.shipments == 830 - 21)
            #expect(first.lateDeliveryCases == 37)
            #expect(first.opportunities == 91 && first.campaigns == 3 && first.activities > 91)
            #expect(first.campaignSends > 0 && first.campaignResponses >= first.campaignSends)
            let head = try service.log.head()
            #expect(UInt64(first.events) == head)

            let alfreds = try service.load(CustomerDecider.self, StreamName(.customer, "nw-ALFKI")).state
            #expect(alfreds.organizationName == "Alfreds Futterkiste" && alfreds.addresses.first?.country == "DE")
            let maria = try service.load(CustomerDecider.self, StreamName(.customer, "nw-ALFKI-contact")).state
            #expect(maria.personName == PersonName(given: "Maria", family: "Anders"))
            #expect(maria.organizations["nw-ALFKI"] == "Sales Representative")
            let order = try service.load(OrderDecider.self, StreamName(.order, "nw-10248")).state
            #expect(order.recorded?.customerId == "nw-VINET" && order.recorded?.lines.count == 3)
            #expect(order.recorded?.orderDate == CalendarDate(iso8601: "1996-07-04"))

            // Sends reach only contacts who consented.
            var position: UInt64 = 1
            while true {
                let page = try service.log.read(from: position, limit: 1000, filter: EventFilter(typePrefixes: ["marketing.MessageSent"]))
                for event in page.events {
                    let contact = try service.load(CustomerDecider.self, StreamName(.customer, try #require(event.subject))).state
                    #expect(contact.hasConsent(.email, for: .marketing))
                }
                if page.next > head { break }
                position = page.next
            }

            let second = try await demo.load(into: service)
            #expect(second.events == 0 && second.replayed > 3000)
            #expect(try service.log.head() == head)
        }
    }
}
