import CairnDomain
import CairnStore
import Foundation
import Synchronization
import Testing

@testable import CairnService

@Suite("Command handling")
struct CommandHandlingTests {
    @Test("A command becomes events with positions; the same command id returns the first result")
    func idempotentCommands() async throws {
        try await withService { service, _ in
            let first = try await service.execute(Fixture.registration("c_ada"), meta("cmd-1"))
            #expect(first.events.map(\.type) == ["customers.CustomerRegistered"])
            #expect(first.events.map(\.position) == [1])
            #expect(first.streamVersions == ["customer-c_ada": 1])
            #expect(first.position == 1)
            #expect(!first.isReplay)

            let again = try await service.execute(Fixture.registration("c_ada"), meta("cmd-1"))
            #expect(again.isReplay)
            #expect(again.events == first.events)
            #expect(try service.log.head() == 1)

            // The envelope records who and why.
            let stored = try #require(try service.log.event(at: 1))
            #expect(stored.actor == "u_test")
            #expect(stored.subject == "c_ada")
            #expect(stored.causationId == "cmd-1")
            #expect(stored.correlationId == "cmd-1")
        }
    }

    @Test("A command id reused for a different command is never taken for a retry")
    func reusedCommandId() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_1"), meta("key-1"))
            try await service.execute(Fixture.registration("c_2"), meta())
            let other = try await service.execute(.close(customerId: "c_2", reason: nil), meta("key-1"))
            #expect(!other.isReplay)
            #expect(other.events.map(\.type) == ["customers.CustomerClosed"])
            let replay = try await service.execute(.close(customerId: "c_2", reason: nil), meta("key-1"))
            #expect(replay.isReplay && replay.events == other.events)
        }
    }

    @Test("Streams a decision only read guard its append")
    func readStreamsGuardTheAppend() async throws {
        try await withService { service, _ in
            let sample = try #require(EventCatalogue.entries.first { $0.category == .campaign }).sample
            let events = [StreamedEvent(StreamName(.campaign, "k_1"), sample)]
            let appends = service.appendsFor(events, ["campaign-k_1": 4, "customer-c_1": 7], meta(), "key")
            #expect(appends.map(\.stream) == ["campaign-k_1", "customer-c_1"])
            #expect(appends.map(\.expectedVersion) == [.exact(4), .exact(7)])
            #expect(appends.map(\.events.count) == [1, 0])
        }
    }

    @Test("Malformed commands report every invalid field and write nothing")
    func invalidCommands() async throws {
        try await withService { service, _ in
            let bad = CustomerCommand.register(
                .init(
                    customerId: "c 1", kind: .person, personName: PersonName(given: "A", family: "B"),
                    emails: ["not-an-email"], phones: ["0123"], addresses: [], ownerId: nil, source: nil))
            let error = try #require(await commandError { _ = try await service.execute(bad, meta()) })
            #expect(error.kind == .invalid)
            #expect(error.code == "validation.failed")
            let paths = Set(error.issues.map(\.path))
            #expect(paths.contains("/customerId"))
            #expect(paths.contains("/emails/0"))
            #expect(paths.contains("/phones/0"))
            #expect(try service.log.head() == 0)
        }
    }

    @Test("Unknown ids are not-found rejections")
    func notFound() async throws {
        try await withService { service, _ in
            let error = try #require(await commandError { _ = try await service.execute(.tag(customerId: "c_nobody", tag: "vip"), meta()) })
            #expect(error.kind == .notFound)
            #expect(error.code == "customer.notFound")
            let opp = try #require(await commandError { _ = try await service.execute(.win(opportunityId: "o_none"), meta()) })
            #expect(opp.kind == .notFound)
        }
    }

    @Test("A stale If-Match version is refused, not retried")
    func expectedVersion() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_1"), meta())
            try await service.execute(.tag(customerId: "c_1", tag: "a"), meta(expectedVersion: 1))
            let error = try #require(
                await commandError { _ = try await service.execute(.tag(customerId: "c_1", tag: "b"), meta(expectedVersion: 1)) })
            #expect(error.kind == .versionConflict)
            #expect(try service.log.head() == 2)
        }
    }

    @Test("A merge touches both customers atomically; later commands to the merged id point at the survivor")
    func merge() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_dup"), meta())
            try await service.execute(Fixture.registration("c_main"), meta())
            let merged = try await service.mergeCustomer("c_dup", into: "c_main", meta())
            #expect(Set(merged.events.map(\.stream)) == ["customer-c_dup", "customer-c_main"])
            let refused = try #require(await commandError { _ = try await service.execute(.tag(customerId: "c_dup", tag: "x"), meta()) })
            #expect(refused.code == "customer.merged")
            #expect(refused.survivorId == "c_main")
            let selfMerge = try #require(await commandError { _ = try await service.mergeCustomer("c_main", into: "c_main", meta()) })
            #expect(selfMerge.code == "customer.mergeIntoSelf")
            let intoMerged = try #require(
                await commandError {
                    try await service.execute(Fixture.registration("c_other"), meta())
                    _ = try await service.mergeCustomer("c_other", into: "c_dup", meta())
                })
            #expect(intoMerged.code == "customer.mergeIntoMerged")
        }
    }

    @Test("Converting a lead registers the customer and opens the opportunity in one append")
    func leadConversion() async throws {
        try await withService { service, _ in
            try await service.execute(
                .capture(
                    .init(
                        leadId: "l_1", source: "webinar", campaignId: nil, personName: PersonName(given: "Grace", family: "Hopper"),
                        email: "grace@example.com",
                        consents: [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "webinar")])), meta())
            let conversion = LeadConversion(
                leadId: "l_1", customer: .register(newCustomerId: "c_grace"), opportunityId: "o_1", opportunityName: "Compiler",
                amount: Money("5000", "USD")!, expectedCloseDate: CalendarDate(iso8601: "2026-09-30")!, ownerId: "u_sam")
            let converted = try await service.convertLead(conversion, meta())
            #expect(Set(converted.events.map(\.stream)) == ["customer-c_grace", "opportunity-o_1", "lead-l_1"])
            // One append: consecutive positions.
            let positions = converted.events.map(\.position)
            #expect(positions == Array(positions[0]...positions[positions.count - 1]))
            let customer = try service.load(CustomerDecider.self, StreamName(.customer, "c_grace")).state
            #expect(customer.hasConsent(.email, for: .marketing))

            var again = conversion
            again.opportunityId = "o_2"
            let error = try #require(await commandError { _ = try await service.convertLead(again, meta()) })
            #expect(error.code == "lead.converted")
        }
    }

    @Test("No send without consent; launching to a segment reports the ineligible")
    func sendsNeedConsent() async throws {
        try await withService { service, _ in
            for id in ["c_yes", "c_no", "c_vip"] { try await service.execute(Fixture.registration(id), meta()) }
            try await service.execute(Fixture.marketingConsent("c_yes"), meta())
            try await service.execute(Fixture.marketingConsent("c_vip"), meta())
            try await service.execute(.tag(customerId: "c_vip", tag: "vip"), meta())
            try await service.execute(.tag(customerId: "c_no", tag: "vip"), meta())
            try await service.execute(
                .create(
                    campaignId: "k_1", name: "Spring", channel: .email, budget: nil, startDate: CalendarDate(iso8601: "2026-03-01")!,
                    endDate: CalendarDate(iso8601: "2026-05-01")!, segment: Segment(match: .all, rules: [.hasTag("vip")])), meta())
            try await service.execute(.launch(campaignId: "k_1"), meta())

            let refused = try #require(await commandError { _ = try await service.send(campaign: "k_1", to: "c_no", meta()) })
            #expect(refused.code == "consent.missing")
            let sent = try await service.send(campaign: "k_1", to: "c_yes", meta())
            #expect(sent.events.map(\.type) == ["marketing.MessageSent"])

            let launch = try await service.launch(campaign: "k_1", audience: ["c_yes", "c_no", "c_vip"], meta())
            #expect(launch.outcome.events.map(\.type) == ["marketing.MessageSent"])
            let reasons = Dictionary(uniqueKeysWithValues: launch.ineligible.map { ($0.customerId, $0.code) })
            #expect(reasons["c_no"] == "consent.missing")
            #expect(reasons["c_yes"] != nil)  // not in the segment, and already reached

            // A hard bounce invalidates the address on the customer, in the same append.
            let bounce = try await service.execute(
                .recordResponse(
                    campaignId: "k_1", customerId: "c_yes", response: .bounced(.hard, reason: "mailbox gone"), at: nil), meta())
            #expect(bounce.events.map(\.type) == ["marketing.MessageBounced", "customers.ContactPointInvalidated"])
            let unsubscribed = try await service.unsubscribe(campaign: "k_1", customer: "c_vip", meta())
            #expect(unsubscribed.events.map(\.type).contains("customers.ConsentWithdrawn"))
        }
    }

    @Test("An unsubscribe from a customer merged since the send follows them to the survivor")
    func unsubscribeAfterMerge() async throws {
        try await withService { service, _ in
            for id in ["c_old", "c_new"] {
                try await service.execute(Fixture.registration(id), meta())
                try await service.execute(Fixture.marketingConsent(id), meta())
            }
            try await service.execute(
                .create(
                    campaignId: "k_1", name: "Spring", channel: .email, budget: nil, startDate: CalendarDate(iso8601: "2026-03-01")!,
                    endDate: CalendarDate(iso8601: "2026-05-01")!, segment: nil), meta())
            try await service.execute(.launch(campaignId: "k_1"), meta())
            try await service.send(campaign: "k_1", to: "c_old", meta())
            try await service.mergeCustomer("c_old", into: "c_new", meta())
            try await service.unsubscribe(campaign: "k_1", customer: "c_old", meta())
            let survivor = try service.load(CustomerDecider.self, StreamName(.customer, "c_new")).state
            #expect(!survivor.hasConsent(.email, for: .marketing))
            let refused = try #require(await commandError { _ = try await service.send(campaign: "k_1", to: "c_new", meta()) })
            #expect(refused.kind == .rejected)
        }
    }

    @Test("Orders and tasks need a live customer")
    func ordersAndTasksCheckTheCustomer() async throws {
        try await withService { service, _ in
            let order = OrderCommand.record(
                orderId: "or_1", customerId: "c_none", opportunityId: nil,
                lines: [OrderLine(sku: "SKU-1", description: "Widget", quantity: 2, unitPrice: Decimal(10))], currency: "EUR",
                orderDate: CalendarDate(iso8601: "2026-04-01")!)
            #expect(await commandError { _ = try await service.execute(order, meta()) }?.code == "customer.notFound")
            let task = TaskCommand.schedule(
                taskId: "t_1", customerId: "c_none", title: "Call back",
                dueAt: CairnDomain.Timestamp(millisecondsSinceEpoch: 1_800_000_000_000), assigneeId: "u_sam")
            #expect(await commandError { _ = try await service.execute(task, meta()) }?.code == "customer.notFound")
            try await service.execute(Fixture.registration("c_1"), meta())
            try await service.execute(
                .record(
                    orderId: "or_1", customerId: "c_1", opportunityId: nil,
                    lines: [OrderLine(sku: "SKU-1", description: "Widget", quantity: 2, unitPrice: Decimal(10))], currency: "EUR",
                    orderDate: CalendarDate(iso8601: "2026-04-01")!), meta())
            try await service.execute(
                .schedule(
                    taskId: "t_1", customerId: "c_1", title: "Call back",
                    dueAt: CairnDomain.Timestamp(millisecondsSinceEpoch: 1_800_000_000_000), assigneeId: "u_sam"), meta())
        }
    }

    @Test("Cases refuse messages after close")
    func cases() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_1"), meta())
            try await service.execute(
                .open(caseId: "k_1", customerId: "c_1", channel: .email, priority: .high, subject: "Broken", description: "It broke"),
                meta())
            try await service.execute(.resolve(caseId: "k_1", resolution: "Fixed"), meta())
            try await service.execute(.close(caseId: "k_1"), meta())
            let error = try #require(
                await commandError {
                    _ = try await service.execute(
                        .recordMessage(caseId: "k_1", messageId: "m_1", author: .customer, authorId: nil, body: "Hello?"), meta())
                })
            #expect(error.code == "case.closed")
            let forUnknown = try #require(
                await commandError {
                    _ = try await service.execute(
                        .open(caseId: "k_2", customerId: "c_missing", channel: .email, priority: .low, subject: "s", description: "d"),
                        meta())
                })
            #expect(forUnknown.kind == .notFound)
        }
    }

    @Test("The SLA watcher records each missed deadline exactly once")
    func slaWatcher() async throws {
        try await withService { service, clock in
            try await service.execute(Fixture.registration("c_1"), meta())
            try await service.execute(
                .open(caseId: "k_1", customerId: "c_1", channel: .email, priority: .urgent, subject: "Down", description: "All down"),
                meta())
            try await service.execute(
                .open(caseId: "k_2", customerId: "c_1", channel: .phone, priority: .low, subject: "Q", description: "Question"), meta())
            let watcher = SlaWatcher(service: service)
            #expect(try await watcher.check().isEmpty)
            #expect(try await watcher.nextDeadline()?.microsecondsSinceEpoch == clock.now().microsecondsSinceEpoch + 3_600_000_000)

            clock.advance(seconds: 3601)  // urgent first response (1 h) missed
            let first = try await watcher.check()
            #expect(first.flatMap(\.events).map(\.type) == ["service.SlaBreached"])
            #expect(first.flatMap(\.events).map(\.stream) == ["case-k_1"])
            #expect(try await watcher.check().isEmpty)
            // A second watcher (another process, a restart) records nothing twice.
            #expect(try await SlaWatcher(service: service).check().isEmpty)

            clock.advance(seconds: 8 * 3600)  // urgent resolution (8 h) missed too
            let second = try await watcher.check()
            #expect(second.flatMap(\.events).map(\.stream) == ["case-k_1"])
            let breaches = try service.log.read(from: 1, filter: EventFilter(typePrefixes: ["service.SlaBreached"])).events
            #expect(breaches.count == 2)

            // A closed case the watcher let go of that changes again is read whole, not folded
            // onto an empty state.
            try await service.execute(.resolve(caseId: "k_1", resolution: "Up again"), meta())
            try await service.execute(.close(caseId: "k_1"), meta())
            #expect(try await watcher.check().isEmpty)
            try await service.execute(.recordSatisfaction(caseId: "k_1", score: 4, comment: nil), meta())
            #expect(try await watcher.check().isEmpty)

            // run(interval:sleep:) sleeps only until the next deadline (k_2's first response).
            let slept = Mutex<[Duration]>([])
            let runner = Task {
                await watcher.run(interval: .seconds(3600 * 24)) { duration in
                    slept.withLock { $0.append(duration) }
                    throw CancellationError()
                }
            }
            await runner.value
            let k2FirstResponse = Duration.seconds(24 * 3600 - (3601 + 8 * 3600))
            #expect(slept.withLock { $0 } == [k2FirstResponse])
            #expect(await watcher.lastFailure == nil)
        }
    }

    @Test("32 tasks race to close one opportunity: exactly one wins, the rest are refused")
    func concurrentStageChanges() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_1"), meta())
            try await service.execute(Fixture.opening("o_1", customer: "c_1"), meta())
            let outcomes = await withTaskGroup(of: Result<CommandOutcome, CommandError>.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        let command: OpportunityCommand =
                            i % 2 == 0 ? .win(opportunityId: "o_1") : .lose(opportunityId: "o_1", reason: "price")
                        do { return .success(try await service.execute(command, meta())) } catch let error as CommandError {
                            return .failure(error)
                        } catch { return .failure(CommandError(kind: .storage, code: "unexpected", message: "\(error)")) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let error) in outcomes {
                #expect(error.code == "opportunity.closed" || error.kind == .versionConflict, "\(error)")
            }
            let stream = try service.log.readStream("opportunity-o_1")
            #expect(stream.map(\.streamVersion) == [1, 2])
            let state = try service.load(OpportunityDecider.self, StreamName(.opportunity, "o_1")).state
            #expect(state.status == .won || state.status == .lost)

            // 32 racing stage moves with no If-Match all land, one after another.
            try await service.execute(Fixture.opening("o_2", customer: "c_1"), meta())
            let stages: [OpportunityStage] = [.qualification, .proposal, .negotiation, .prospecting]
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        _ = try? await service.execute(.moveToStage(opportunityId: "o_2", stage: stages[i % 4], probability: nil), meta())
                    }
                }
            }
            let moves = try service.log.readStream("opportunity-o_2")
            #expect(moves.map(\.streamVersion) == Array(1...UInt64(moves.count)))
        }
    }
}
