import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

@Suite("Customer read models: contact-point timeline", .timeLimit(.minutes(1)))
struct CustomerTimelineTests {
    /// A customer's life: registration, profile changes, contact, campaign, case, opportunity, order.
    static func life(_ s: CustomerScenario, _ id: String = "ada") async throws {
        try await s.customer(CustomerFixture.registration(id, family: "Lovelace", email: "ada@example.com"))
        try await s.customer(.updateProfile(.init(customerId: id, personName: PersonName(given: "Ada", family: "King"), ownerId: "u_kim")))
        try await s.customer(.addEmail(customerId: id, email: "countess@example.com"))
        try await s.activity("act-1", customer: id, kind: .call, summary: "Asked about heat pumps")
        try await s.runningCampaign("spring")
        try await s.send("spring", to: id)
        try await s.respond("spring", id, .opened)
        try await s.respond("spring", id, .clicked(url: "https://example.com/offer"))
        var agent = s
        agent.actor = "u_agent"
        try await agent.serviceCase(
            .open(caseId: "case-1", customerId: id, channel: .chat, priority: .high, subject: "Pump noisy", description: "Rattles at night")
        )
        try await agent.serviceCase(
            .recordMessage(caseId: "case-1", messageId: "m1", author: .agent, authorId: "u_agent", body: "We will send an engineer"))
        try await agent.serviceCase(.resolve(caseId: "case-1", resolution: "Fan replaced"))
        try await s.openOpportunity("opp-1", customer: id, amount: "12000")
        try await s.opportunity(.moveToStage(opportunityId: "opp-1", stage: .proposal, probability: nil))
        try await s.order("ord-1", customer: id, unitPrice: "499.90", quantity: 2)
        try await s.customer(.withdrawConsent(customerId: id, channel: .email, purpose: .marketing, source: "preference-centre", at: nil))
        try await s.customer(.tag(customerId: id, tag: "vip"))
    }

    static func all(_ engine: ProjectionEngine, _ id: String, _ filter: CustomerTimelineFilter = .init()) throws -> [CustomerTimelineEntry]
    {
        try #require(try CustomerTimelineQuery.page(engine, customerId: id, filter: filter, limit: 1000)).entries
    }

    @Test("every contact point and change, in log order, with kind, channel, actor, summary, old and new values")
    func recordsALife() async throws {
        try await withCustomerModels { s, engine in
            try await Self.life(s)
            try await engine.settle(s)
            let entries = try Self.all(engine, "ada")
            #expect(entries.map(\.position) == entries.map(\.position).sorted())
            #expect(
                entries.map(\.kind) == [
                    .registration, .consent, .profileChange, .profileChange, .activity, .campaignSend, .campaignResponse,
                    .campaignResponse, .caseStatus, .caseMessage, .caseStatus, .opportunity, .opportunity, .order, .consent,
                    .profileChange,
                ])
            // Every entry names its source event.
            for entry in entries {
                let event = try #require(try s.log.event(at: entry.position))
                #expect(event.id == entry.eventId)
                #expect(event.type == entry.eventType)
                #expect(event.recordedAt == entry.recordedAt)
                #expect(entry.customerId == "ada")
            }
            let rename = try #require(entries.first { $0.eventType == "customers.CustomerProfileUpdated" })
            #expect(
                rename.changes.contains(
                    CustomerFieldChange(field: "personName", oldValue: "Ada Lovelace", newValue: "Ada King", isPersonal: true)))
            #expect(rename.changes.contains(CustomerFieldChange(field: "ownerId", oldValue: "u_sam", newValue: "u_kim", isPersonal: false)))
            let withdrawn = try #require(entries.last { $0.kind == .consent })
            #expect(withdrawn.channel == "email")
            #expect(
                withdrawn.changes == [
                    CustomerFieldChange(field: "consent.email.marketing", oldValue: "granted", newValue: "withdrawn", isPersonal: false)
                ])
            let opened = try #require(entries.first { $0.eventType == "marketing.MessageOpened" })
            #expect(opened.channel == "email")  // the campaign's channel, from its creation
            let message = try #require(entries.first { $0.kind == .caseMessage })
            #expect(message.channel == "chat")
            #expect(message.actor == "u_agent")
            #expect(message.detail == "We will send an engineer")
            let activity = try #require(entries.first { $0.kind == .activity })
            #expect(activity.channel == "phone")
            #expect(activity.occurredAt != nil)
            #expect(activity.detail?.contains("Asked about heat pumps") == true)
            let order = try #require(entries.first { $0.kind == .order })
            #expect(order.summary.contains("999.8 EUR"))
            let stage = try #require(entries.first { $0.eventType == "sales.OpportunityStageChanged" })
            #expect(
                stage.changes == [CustomerFieldChange(field: "stage", oldValue: "prospecting", newValue: "proposal", isPersonal: false)])
            #expect(try CustomerTimelineQuery.page(engine, customerId: "nobody") == nil)
        }
    }

    @Test("filters by kind, channel, actor and time range")
    func filters() async throws {
        try await withCustomerModels { s, engine in
            try await Self.life(s)
            try await engine.settle(s)
            let entries = try Self.all(engine, "ada")
            let cases = try Self.all(engine, "ada", .init(kinds: [.caseStatus, .caseMessage]))
            #expect(cases.map(\.position) == entries.filter { [.caseStatus, .caseMessage].contains($0.kind) }.map(\.position))
            #expect(cases.count == 3)
            let email = try Self.all(engine, "ada", .init(channels: ["email"]))
            #expect(!email.isEmpty)
            #expect(email.allSatisfy { $0.channel == "email" })
            #expect(email.map(\.position) == entries.filter { $0.channel == "email" }.map(\.position))
            let agent = try Self.all(engine, "ada", .init(actors: ["u_agent"]))
            #expect(agent.count == 3)
            let from = entries[4].recordedAt
            let through = entries[9].recordedAt
            let window = try Self.all(engine, "ada", .init(recordedFrom: from, recordedThrough: through))
            #expect(window.map(\.position) == entries[4...9].map(\.position))
            let combined = try Self.all(engine, "ada", .init(kinds: [.campaignResponse], recordedFrom: from, recordedThrough: through))
            #expect(combined.count == 2)
        }
    }

    @Test("pages forwards and backwards with cursors, and back again from any page")
    func pagination() async throws {
        try await withCustomerModels { s, engine in
            try await Self.life(s)
            try await engine.settle(s)
            let entries = try Self.all(engine, "ada")
            var forward: [UInt64] = []
            var page = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 3))
            #expect(page.previous == nil)
            var pages = [page]
            forward += page.entries.map(\.position)
            while let next = page.next {
                page = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 3, cursor: next))
                pages.append(page)
                forward += page.entries.map(\.position)
            }
            #expect(forward == entries.map(\.position))
            #expect(pages.count == 6)
            // From the third page, `previous` gives the second page (newest first).
            let back = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 3, cursor: pages[2].previous))
            #expect(back.entries.map(\.position) == pages[1].entries.map(\.position).reversed())

            var backward: [UInt64] = []
            page = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", direction: .backward, limit: 4))
            backward += page.entries.map(\.position)
            while let next = page.next {
                page = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 4, cursor: next))
                backward += page.entries.map(\.position)
            }
            #expect(backward == entries.map(\.position).reversed())
            // Filters hold across pages.
            var kinds: [CustomerTimelineKind] = []
            var cursor: String?
            repeat {
                let filtered = try #require(
                    try CustomerTimelineQuery.page(
                        engine, customerId: "ada", filter: .init(kinds: [.profileChange, .consent]), limit: 2, cursor: cursor))
                kinds += filtered.entries.map(\.kind)
                cursor = filtered.next
            } while cursor != nil
            let expectedKinds = entries.map(\.kind).filter { kind in kind == .profileChange || kind == .consent }
            #expect(kinds == expectedKinds)
            #expect(throws: (any Error).self) { try CustomerTimelineQuery.page(engine, customerId: "ada", cursor: "zz") }
        }
    }

    @Test("a merged customer shows one timeline: the duplicate's entries interleave by position; its id points to the survivor")
    func mergedTimeline() async throws {
        try await withCustomerModels { s, engine in
            try await s.customer(CustomerFixture.registration("ada", family: "Lovelace", email: "ada@example.com"))
            try await s.customer(CustomerFixture.registration("ada-dup", family: "Lovelace", email: "a.lovelace@example.com"))
            try await s.activity("act-1", customer: "ada", summary: "first call")
            try await s.activity("act-2", customer: "ada-dup", kind: .email, summary: "email to the duplicate")
            try await s.activity("act-3", customer: "ada", summary: "second call")
            try await engine.settle(s)
            let beforeMerge = s.clock.now()
            try await s.merge("ada-dup", into: "ada")
            try await s.activity("act-4", customer: "ada", summary: "after the merge")
            try await engine.settle(s)

            let unified = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 100))
            #expect(unified.customerId == "ada")
            #expect(unified.memberIds == ["ada", "ada-dup"])
            #expect(unified.entries.map(\.position) == unified.entries.map(\.position).sorted())
            let own = try s.log.positions(subject: "ada")
            let duplicate = try s.log.positions(subject: "ada-dup")
            #expect(unified.entries.map(\.position) == (own + duplicate).sorted())
            #expect(unified.entries.filter { $0.customerId == "ada-dup" }.map(\.kind) == [.registration, .consent, .activity, .merge])
            #expect(unified.entries.contains { $0.kind == .merge && $0.customerId == "ada" && $0.summary.contains("ada-dup") })

            let viaDuplicate = try #require(try CustomerTimelineQuery.page(engine, customerId: "ada-dup", limit: 100))
            #expect(viaDuplicate.requestedId == "ada-dup")
            #expect(viaDuplicate.customerId == "ada")
            #expect(viaDuplicate.entries == unified.entries)

            // As of before the merge, each has its own history only.
            let then = try #require(try CustomerTimelineQuery.asOf(engine, customerId: "ada", time: beforeMerge, limit: 100))
            #expect(then.memberIds == ["ada"])
            #expect(then.entries.allSatisfy { $0.customerId == "ada" && $0.recordedAt <= beforeMerge })
            #expect(then.entries.map(\.kind) == [.registration, .consent, .activity, .activity])
            let duplicateThen = try #require(try CustomerTimelineQuery.asOf(engine, customerId: "ada-dup", time: beforeMerge, limit: 100))
            #expect(duplicateThen.customerId == "ada-dup")
            #expect(duplicateThen.entries.map(\.kind) == [.registration, .consent, .activity])
            // As of a position: the same, by log position rather than time.
            let mergePosition = try #require(unified.entries.first { $0.kind == .merge }?.position)
            let atMerge = try #require(try CustomerTimelineQuery.asOf(engine, customerId: "ada", position: mergePosition - 1, limit: 100))
            #expect(atMerge.entries == then.entries)
            let afterMerge = try #require(
                try CustomerTimelineQuery.asOf(engine, customerId: "ada-dup", position: mergePosition + 1, limit: 100))
            #expect(afterMerge.customerId == "ada")
            #expect(afterMerge.entries.map(\.position) == unified.entries.map(\.position).filter { $0 <= mergePosition + 1 })
            let newestFirst = try #require(
                try CustomerTimelineQuery.asOf(engine, customerId: "ada", position: mergePosition + 1, direction: .backward, limit: 2))
            #expect(newestFirst.entries.map(\.position) == [mergePosition + 1, mergePosition])
        }
    }

    @Test("erasure drops personal data from every entry of the customer, keeps the facts, and records the erasure")
    func erasure() async throws {
        try await withCustomerModels { s, engine in
            try await Self.life(s)
            try await engine.settle(s)  // folded before the erasure: the fold must rewrite them
            try await s.customer(.recordErasure(customerId: "ada", requestId: "dsr-7", legalBasis: "GDPR Art. 17(1)(a)"))
            // A response arriving after the erasure is stored without its personal parts too.
            try await s.respond("spring", "ada", .bounced(.soft, reason: "mailbox of Lovelace full"))
            try await engine.settle(s)
            let entries = try Self.all(engine, "ada")
            #expect(entries.count == 18)
            #expect(entries.allSatisfy { $0.isErased && $0.detail == nil })
            #expect(entries.flatMap(\.changes).filter(\.isPersonal).allSatisfy { $0.oldValue == nil && $0.newValue == nil })
            let owner = try #require(entries.flatMap(\.changes).first { $0.field == "ownerId" && $0.oldValue != nil })
            #expect(owner.newValue == "u_kim")  // not personal: kept
            let erasure = try #require(entries.dropLast().last)
            #expect(entries.last?.summary.contains("soft bounce") == true)
            #expect(erasure.kind == .erasure)
            #expect(erasure.summary.contains("dsr-7"))
            for entry in entries {
                for text in ["Lovelace", "King", "ada@example.com", "countess@", "Pump noisy", "engineer", "heat pumps", "Analytical"] {
                    #expect(!entry.summary.contains(text))
                    #expect(!entry.changes.contains { ($0.oldValue ?? "").contains(text) || ($0.newValue ?? "").contains(text) })
                }
            }
        }
    }
}

@Suite("Customer read models: customer 360", .timeLimit(.minutes(1)))
struct Customer360Tests {
    @Test("profile, consents with history, tags, links, open opportunities and cases, orders per currency, last contact")
    func view() async throws {
        try await withCustomerModels { s, engine in
            try await s.customer(CustomerFixture.registration("acme", family: "Acme Ltd", email: "info@acme.example", kind: .organization))
            try await CustomerTimelineTests.life(s)
            try await s.link("ada", to: "acme", role: "buyer")
            try await s.customer(
                .grantConsent(
                    customerId: "ada", consent: ConsentGrant(channel: .sms, purpose: .service, legalBasis: .contract, source: "contract"),
                    at: nil))
            try await s.openOpportunity("opp-2", customer: "ada", amount: "500", currency: "GBP")
            try await s.openOpportunity("opp-3", customer: "ada", amount: "800")
            try await s.opportunity(.win(opportunityId: "opp-3"))
            try await s.serviceCase(
                .open(caseId: "case-2", customerId: "ada", channel: .email, priority: .low, subject: "Invoice", description: "Copy please"))
            try await s.serviceCase(
                .open(caseId: "case-3", customerId: "ada", channel: .phone, priority: .normal, subject: "Old", description: "Done"))
            try await s.serviceCase(.resolve(caseId: "case-3", resolution: "Answered"))
            try await s.serviceCase(.close(caseId: "case-3"))
            try await s.order("ord-2", customer: "ada", unitPrice: "20", currency: "GBP")
            try await s.order("ord-3", customer: "ada", unitPrice: "0.10")
            let lastContact = s.clock.now()  // the activity's business time
            try await s.activity("act-9", customer: "ada", summary: "follow-up")
            try await engine.settle(s)

            let ada = try #require(try Customer360Query.customer(engine, id: "ada"))
            #expect(ada.status == .open)
            #expect(ada.kind == "person")
            #expect(ada.givenName == "Ada" && ada.familyName == "King")
            #expect(ada.displayName == "Ada King")
            #expect(ada.emails == ["ada@example.com", "countess@example.com"])
            #expect(ada.phones == ["+447700900123"])
            #expect(ada.addresses.map(\.city) == ["London"])
            #expect(ada.attributes.map { "\($0.key)=\($0.type):\($0.value)" } == ["shoeSize=number:42.0"])
            #expect(ada.ownerId == "u_kim")
            #expect(ada.source == "web")
            #expect(ada.organizations.map { "\($0.organizationId):\($0.role)" } == ["acme:buyer"])
            #expect(ada.tags == ["vip"])
            #expect(ada.consents.map { "\($0.channel).\($0.purpose)=\($0.granted)" } == ["email.marketing=false", "sms.service=true"])
            #expect(
                ada.consentHistory.map { "\($0.channel).\($0.purpose)=\($0.granted)" } == [
                    "email.marketing=true", "email.marketing=false", "sms.service=true",
                ])
            #expect(ada.consentHistory.first?.source == "signup-form")
            #expect(ada.openOpportunities.map(\.opportunityId) == ["opp-1", "opp-2"])
            #expect(ada.openOpportunities.first?.stage == "proposal")
            #expect(ada.openOpportunities.first?.amount == Decimal(12000))
            #expect(ada.openOpportunities.last?.currency == "GBP")
            #expect(ada.openCases.map { "\($0.caseId):\($0.priority):\($0.status)" } == ["case-1:high:resolved", "case-2:low:open"])
            #expect(ada.orderCount == 3)
            #expect(ada.orderTotals.map { "\($0.total) \($0.currency)" } == ["999.9 EUR", "20 GBP"])
            #expect(ada.lastContactAt.map { abs($0.microsecondsSinceEpoch - lastContact.microsecondsSinceEpoch) < 1000 } == true)
            #expect(ada.registeredAt != nil)
            #expect(try Customer360Query.customer(engine, id: "acme")?.organizationName == "Acme Ltd")
            #expect(try Customer360Query.customer(engine, id: "nobody") == nil)
        }
    }

    @Test("a merge moves the duplicate's facts to the survivor; the duplicate's id follows to it")
    func merge() async throws {
        try await withCustomerModels { s, engine in
            try await s.customer(CustomerFixture.registration("ada", family: "Lovelace", email: "ada@example.com", tags: []))
            try await s.customer(CustomerFixture.registration("dup", family: "Lovelace", email: "a.l@example.com"))
            try await s.customer(.tag(customerId: "dup", tag: "newsletter"))
            try await s.openOpportunity("opp-d", customer: "dup", amount: "300")
            try await s.order("ord-d", customer: "dup", unitPrice: "10")
            try await s.order("ord-a", customer: "ada", unitPrice: "5")
            try await s.merge("dup", into: "ada")
            // A later change to the duplicate's opportunity follows the merge.
            try await s.opportunity(.moveToStage(opportunityId: "opp-d", stage: .negotiation, probability: nil))
            try await engine.settle(s)

            let ada = try #require(try Customer360Query.customer(engine, id: "ada"))
            #expect(ada.mergedIds == ["dup"])
            #expect(ada.emails.sorted() == ["a.l@example.com", "ada@example.com"])
            #expect(ada.tags == ["newsletter"])
            #expect(ada.openOpportunities.map { "\($0.opportunityId):\($0.stage)" } == ["opp-d:negotiation"])
            #expect(ada.orderCount == 2)
            #expect(ada.orderTotals.map { "\($0.total) \($0.currency)" } == ["15 EUR"])
            #expect(try Customer360Query.customer(engine, id: "dup") == ada)
            let duplicate = try #require(try Customer360Query.customer(engine, id: "dup", followMerges: false))
            #expect(duplicate.status == .merged)
            #expect(duplicate.mergedInto == "ada")
            #expect(duplicate.openOpportunities.isEmpty && duplicate.orderCount == 0)
            #expect(try Customer360Query.list(engine, search: .email("a.l@")).items.map(\.customerId) == ["ada"])
            #expect(
                try Customer360Query.list(engine, search: .email("a.l@"), includeMerged: true).items.map(\.customerId) == ["ada", "dup"])
        }
    }

    @Test("search by name, email, phone and tag, with pagination and status filters")
    func search() async throws {
        try await withCustomerModels { s, engine in
            let people = [
                ("c1", "Ada", "Lovelace", "ada@math.example", "+447700900001", ["vip"]),
                ("c2", "Charles", "Babbage", "charles@engine.example", "+447700900002", ["vip", "engineer"]),
                ("c3", "Mary", "Somerville", "mary@math.example", "+447700900003", []),
                ("c4", "Ada", "Byron", "byron@poets.example", "+14155550100", ["vip"]),
                ("c5", "Grace", "Hopper", "grace@navy.example", "+14155550101", ["engineer"]),
            ]
            for (id, given, family, email, phone, tags) in people {
                try await s.customer(CustomerFixture.registration(id, given: given, family: family, email: email, phone: phone))
                for tag in tags { try await s.customer(.tag(customerId: id, tag: tag)) }
            }
            try await s.customer(.close(customerId: "c3", reason: "moved away"))
            try await engine.settle(s)

            func ids(_ search: Customer360Search?, statuses: Set<Customer360.Status> = [], limit: Int = 50) throws -> [String] {
                var out: [String] = []
                var cursor: String?
                repeat {
                    let page = try Customer360Query.list(engine, search: search, statuses: statuses, limit: limit, cursor: cursor)
                    #expect(page.items.count <= limit)
                    out += page.items.map(\.customerId)
                    cursor = page.next
                } while cursor != nil
                return out
            }
            #expect(try ids(nil) == ["c1", "c2", "c3", "c4", "c5"])
            #expect(try ids(nil, limit: 2) == ["c1", "c2", "c3", "c4", "c5"])
            #expect(try ids(.name("ada")) == ["c1", "c4"])
            #expect(try ids(.name("ADA"), limit: 1) == ["c1", "c4"])
            #expect(try ids(.name("hop")) == ["c5"])
            #expect(try ids(.name("ada lov")) == ["c1"])
            #expect(try ids(.email("Mary@Math.example")) == ["c3"])
            #expect(try ids(.email("zz")) == [])
            #expect(try ids(.phone("+44 7700 900002")) == ["c2"])
            #expect(try ids(.phone("1 (415) 555")) == ["c4", "c5"])
            #expect(try ids(.tag("vip"), limit: 1) == ["c1", "c2", "c4"])
            #expect(try ids(.tag("vi")) == [])
            #expect(try ids(.tag("engineer")) == ["c2", "c5"])
            #expect(try ids(nil, statuses: [.closed]) == ["c3"])
            // A change moves the index rows.
            try await s.customer(.updateProfile(.init(customerId: "c1", personName: PersonName(given: "Augusta", family: "King"))))
            try await s.customer(.removeEmail(customerId: "c1", email: "ada@math.example"))
            try await s.customer(.untag(customerId: "c1", tag: "vip"))
            try await engine.settle(s)
            #expect(try ids(.name("ada")) == ["c4"])
            #expect(try ids(.name("augusta k")) == ["c1"])
            #expect(try ids(.email("ada@")) == [])
            #expect(try ids(.tag("vip")) == ["c2", "c4"])
        }
    }

    @Test("erasure drops personal fields and index rows, keeps the commercial facts")
    func erasure() async throws {
        try await withCustomerModels { s, engine in
            try await CustomerTimelineTests.life(s)
            try await s.customer(CustomerFixture.registration("dup", family: "Lovelace", email: "dup@example.com"))
            try await s.merge("dup", into: "ada")
            try await engine.settle(s)
            try await s.customer(.recordErasure(customerId: "ada", requestId: "dsr-1", legalBasis: "GDPR Art. 17(1)(a)"))
            try await engine.settle(s)
            let ada = try #require(try Customer360Query.customer(engine, id: "ada"))
            #expect(ada.status == .erased && ada.isErased)
            #expect(ada.givenName == nil && ada.familyName == nil && ada.displayName == nil)
            #expect(ada.emails.isEmpty && ada.phones.isEmpty && ada.addresses.isEmpty && ada.attributes.isEmpty)
            #expect(ada.ownerId == "u_kim")
            #expect(ada.tags == ["vip"])
            #expect(ada.orderCount == 1)
            #expect(ada.openOpportunities.map(\.opportunityId) == ["opp-1"])
            #expect(ada.consentHistory.count == 2)
            let duplicate = try #require(try Customer360Query.customer(engine, id: "dup", followMerges: false))
            #expect(duplicate.isErased && duplicate.emails.isEmpty && duplicate.givenName == nil)
            #expect(try Customer360Query.list(engine, search: .email("ada@")).items.isEmpty)
            #expect(try Customer360Query.list(engine, search: .name("lovelace"), includeMerged: true).items.isEmpty)
            #expect(try Customer360Query.list(engine, search: .phone("44")).items.isEmpty)
            #expect(try Customer360Query.list(engine, search: .tag("vip")).items.map(\.customerId) == ["ada"])
        }
    }
}

@Suite("Customer read models: determinism", .timeLimit(.minutes(1)))
struct CustomerReadModelsDeterminismTests {
    @Test("rebuilding both models from the log gives identical content", arguments: [1, 7, 1000])
    func rebuild(batchSize: Int) async throws {
        try await withCustomerModels(batchSize: batchSize) { s, engine in
            try await CustomerTimelineTests.life(s)
            try await s.customer(CustomerFixture.registration("dup", family: "Lovelace", email: "dup@example.com"))
            try await s.activity("act-dup", customer: "dup", summary: "duplicate call")
            try await s.merge("dup", into: "ada")
            try await s.customer(CustomerFixture.registration("bob", given: "Bob", family: "Stone", email: "bob@example.com"))
            try await s.customer(.recordErasure(customerId: "bob", requestId: "dsr-2", legalBasis: "GDPR Art. 17(1)(a)"))
            try await engine.settle(s)
            let timeline = try engine.digest(CustomerTimelineQuery.projection)
            let view = try engine.digest(Customer360Query.projection)
            let page = try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 100)
            try await engine.rebuild(CustomerTimelineQuery.projection)
            try await engine.rebuild(Customer360Query.projection)
            #expect(try engine.digest(CustomerTimelineQuery.projection) == timeline)
            #expect(try engine.digest(Customer360Query.projection) == view)
            #expect(try CustomerTimelineQuery.page(engine, customerId: "ada", limit: 100) == page)
        }
    }
}
