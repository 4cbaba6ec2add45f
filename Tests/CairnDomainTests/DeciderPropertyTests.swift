import Foundation
import PropertyBased
import Testing

@testable import CairnDomain

/// Random command sequences driven through the deciders; invariants are checked on the folded
/// state and on the emitted history. Each operation is an integer so shrinking stays simple:
/// `op % n` picks the command, `op / n` its parameters.
@Suite("Decider properties")
struct DeciderPropertyTests {
    static let ops = Gen.int(in: 0...9_999).array(of: 0...60)

    /// Every event a decider emits survives its storage form unchanged.
    static func expectRoundTrip(_ event: some AggregateEvent) {
        let encoded = event.encoded()
        #expect(throws: Never.self) {
            let decoded = try EventCatalogue.decode(encoded)
            #expect(decoded.encoded() == encoded)
        }
    }

    @Test func opportunityIsNeverBothWonAndLost() async {
        var closings = 0
        await propertyCheck(count: 300, input: Self.ops) { ops in
            var state = OpportunityState()
            var history: [OpportunityEvent] = []
            var clock = now
            for op in ops {
                clock = clock.adding(seconds: 60)
                let p = op / 9
                let stage = OpportunityStage.allCases[p % 4]
                let command: OpportunityCommand =
                    switch op % 9 {
                    case 0:
                        .open(
                            .init(
                                opportunityId: "op", customerId: "c", name: "Deal", amount: money("\(p)"),
                                expectedCloseDate: date("2026-12-31"), ownerId: "u"))
                    case 1, 2: .moveToStage(opportunityId: "op", stage: stage, probability: p % 3 == 0 ? p % 101 : nil)
                    case 3: .changeAmount(opportunityId: "op", amount: money("\(p % 50).\(p % 100)", p % 2 == 0 ? "EUR" : "USD"))
                    case 4: .win(opportunityId: "op")
                    case 5: .lose(opportunityId: "op", reason: "r\(p)")
                    case 6: .reopen(opportunityId: "op", stage: stage)
                    case 7: .changeOwner(opportunityId: "op", ownerId: "u\(p % 3)")
                    default: .changeCloseDate(opportunityId: "op", expectedCloseDate: date("2026-12-\(10 + p % 19)"))
                    }
                do {
                    let events = try OpportunityDecider.decide(command, state, CommandContext(now: clock, actor: "u"))
                    events.forEach(Self.expectRoundTrip)
                    history += events
                    state = OpportunityDecider.fold(events, from: state)
                } catch let error as Rejection {
                    #expect(error.kind != .invalid, "generated commands are well-formed: \(error)")
                    if state.status == .notOpened { #expect(error.code == "opportunity.notFound") }
                } catch {
                    Issue.record("\(error)")
                }
                // Between two reopenings there is at most one terminal event, and nothing follows it.
                var closed = false
                for event in history {
                    switch event {
                    case .won, .lost, .stageChanged, .amountChanged, .closeDateChanged, .ownerChanged:
                        #expect(!closed, "\(event) after the opportunity closed")
                        if case .won = event { closed = true }
                        if case .lost = event { closed = true }
                    case .reopened: closed = false
                    case .opened: break
                    }
                }
                let reopenings = history.filter { if case .reopened = $0 { true } else { false } }.count
                #expect(state.timesWon + state.timesLost == reopenings + (state.isClosed ? 1 : 0))
                #expect(state.status != .won || state.probability == 100)
                #expect(state.status != .lost || state.probability == 0)
                #expect((0...100).contains(state.probability))
                #expect(state.amount.amount >= 0)
            }
            closings += state.timesWon + state.timesLost
        }
        #expect(closings > 0)
    }

    @Test func noSendWithoutPriorConsent() async {
        let customers = ["c_0", "c_1", "c_2"]
        var totalSends = 0, totalRefusedForConsent = 0
        await propertyCheck(count: 300, input: Self.ops) { ops in
            var people: [CustomerID: CustomerState] = [:]
            var campaign = CampaignDecider.fold([
                .created(
                    .init(
                        campaignId: "k", name: "K", channel: .email, budget: nil, startDate: date("2026-01-01"),
                        endDate: date("2026-12-31"), segment: Segment(rules: [.hasTag("vip")])))
            ])
            var sends = 0
            for op in ops {
                let id = customers[(op / 11) % customers.count]
                let customer = people[id] ?? CustomerState()
                let c = ctx
                do {
                    var streamed: [StreamedEvent] = []
                    switch op % 11 {
                    case 0:
                        streamed = try CustomerDecider.decide(
                            .register(
                                .init(
                                    customerId: id, kind: .person, personName: PersonName(given: "G", family: id),
                                    emails: ["\(id)@example.com"])), customer, c
                        ).map { StreamedEvent(StreamName(.customer, id), .customer($0)) }
                    case 1, 2:
                        streamed = try CustomerDecider.decide(
                            .grantConsent(
                                customerId: id,
                                consent: .init(
                                    channel: (op / 33) % 2 == 0 ? .email : .sms, purpose: .marketing,
                                    legalBasis: .consent, source: "form"), at: nil), customer, c
                        )
                        .map { StreamedEvent(StreamName(.customer, id), .customer($0)) }
                    case 3:
                        streamed = try CustomerDecider.decide(
                            .withdrawConsent(customerId: id, channel: .email, purpose: .marketing, source: "call", at: nil), customer, c
                        )
                        .map { StreamedEvent(StreamName(.customer, id), .customer($0)) }
                    case 4:
                        streamed = try CampaignDecider.decideUnsubscribe(
                            campaignId: "k", customerId: id, campaign: campaign, customer: customer, c)
                    case 5, 6:
                        streamed = try CampaignDecider.decideSend(
                            campaignId: "k", customerId: id, campaign: campaign, customer: customer, c
                        )
                        .map { StreamedEvent(StreamName(.campaign, "k"), .campaign($0)) }
                    case 7:
                        streamed = try CampaignDecider.decide(
                            op % 2 == 0 ? .launch(campaignId: "k") : .pause(campaignId: "k", reason: nil), campaign, c
                        )
                        .map { StreamedEvent(StreamName(.campaign, "k"), .campaign($0)) }
                    case 8:
                        streamed = try CustomerDecider.decide(
                            op % 3 == 0
                                ? .recordErasure(customerId: id, requestId: "r", legalBasis: "GDPR Art. 17(1)(a)")
                                : .tag(customerId: id, tag: "vip"), customer, c
                        )
                        .map { StreamedEvent(StreamName(.customer, id), .customer($0)) }
                    case 9:
                        streamed = try CampaignDecider.decideResponse(
                            .recordResponse(campaignId: "k", customerId: id, response: .bounced(.hard, reason: "550"), at: nil),
                            campaign: campaign, customer: customer, c)
                    default:
                        let plan = try CampaignDecider.planLaunch(
                            campaignId: "k", campaign: campaign,
                            candidates: people.values.sorted { $0.id < $1.id }.map {
                                CampaignDecider.Candidate(customer: $0)
                            }, c)
                        streamed = plan.events.map { StreamedEvent(StreamName(.campaign, "k"), .campaign($0)) }
                        for ineligible in plan.ineligible { #expect(ineligible.reason.code != "validation.failed") }
                    }
                    for s in streamed {
                        switch s.event {
                        case .customer(let e):
                            people[e.customerId] = CustomerDecider.evolve(people[e.customerId] ?? CustomerState(), e)
                        case .campaign(let e):
                            if case .messageSent(let sent) = e {
                                // The invariant: consent existed (and nothing barred marketing) right before the send.
                                let recipient = people[sent.customerId] ?? CustomerState()
                                #expect(recipient.hasConsent(.email, for: .marketing))
                                #expect(
                                    !recipient.unsubscribedChannels.contains(.email) && !recipient.erased && recipient.status == .active)
                                #expect(recipient.emails.contains(sent.address) && !recipient.invalidContactPoints.contains(sent.address))
                                sends += 1
                            }
                            campaign = CampaignDecider.evolve(campaign, e)
                        default:
                            Issue.record("unexpected stream \(s.stream)")
                        }
                        #expect(s.event.subject == nil || s.event.subject == id || s.stream.category == .campaign)
                        Self.expectRoundTrip(s.event.base)
                    }
                } catch let error as Rejection {
                    #expect(error.kind != .invalid, "\(error)")
                    if error.code == "consent.missing" { totalRefusedForConsent += 1 }
                } catch {
                    Issue.record("\(error)")
                }
            }
            #expect(campaign.recipients.count == sends, "each customer is reached at most once")
            totalSends += sends
        }
        // The generator reaches both sides of the rule.
        #expect(totalSends > 0)
        #expect(totalRefusedForConsent > 0)
    }

    /// Whatever `days` an activity rule carries (rules built in code skip validation), matching
    /// never traps, and a customer with some activity is either active within or inactive for
    /// that window, never both.
    @Test func activityRulesAreTotalAndComplementary() async {
        let customer = Fixture.consenting("c_1")
        await propertyCheck(count: 500, input: Gen.int(), Gen.int64(in: -400_000_000_000_000...400_000_000_000_000)) { days, offset in
            let last = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + offset)
            let activity = CustomerActivity(lastActivityAt: last, activityCount: 1)
            let active = SegmentRule.activeWithinDays(days).matches(customer, activity: activity, now: now)
            let inactive = SegmentRule.inactiveForDays(days).matches(customer, activity: activity, now: now)
            #expect(active != inactive, "days \(days), offset \(offset) ms")
        }
    }

    @Test func slaBreachesAreRecordedOncePerDeadline() async {
        var breaches = 0
        await propertyCheck(count: 300, input: Self.ops) { ops in
            var state = CaseState()
            var history: [CaseEvent] = []
            var clock = now
            var messageNumber = 0
            for op in ops {
                clock = clock.adding(seconds: (op % 7) * 1800)
                let p = op / 10
                messageNumber += 1
                let command: CaseCommand =
                    switch op % 10 {
                    case 0:
                        .open(
                            caseId: "cs", customerId: "c", channel: .email, priority: CasePriority.allCases[p % 4], subject: "s",
                            description: "d")
                    case 1:
                        .recordMessage(
                            caseId: "cs", messageId: "m\(messageNumber)", author: p % 2 == 0 ? .agent : .customer, authorId: "u", body: "b")
                    case 2: .changePriority(caseId: "cs", priority: CasePriority.allCases[p % 4])
                    case 3: .resolve(caseId: "cs", resolution: "r")
                    case 4: .reopen(caseId: "cs", reason: nil)
                    case 5: .close(caseId: "cs")
                    case 6: .recordSatisfaction(caseId: "cs", score: 1 + p % 5, comment: nil)
                    case 7: .escalate(caseId: "cs", reason: "e", priority: CasePriority.allCases[p % 4])
                    default: .recordSlaBreaches(caseId: "cs")
                    }
                let wasClosed = state.status == .closed
                do {
                    let events = try CaseDecider.decide(command, state, CommandContext(now: clock, actor: "u"))
                    events.forEach(Self.expectRoundTrip)
                    if wasClosed {
                        #expect(events.allSatisfy { if case .messageRecorded = $0 { false } else { true } }, "no messages after close")
                    }
                    history += events
                    state = CaseDecider.fold(events, from: state)
                } catch let error as Rejection {
                    #expect(error.kind != .invalid, "\(error)")
                } catch {
                    Issue.record("\(error)")
                }
            }
            var seen: Set<CaseState.DeadlineKey> = []
            for case .slaBreached(let b) in history {
                #expect(seen.insert(.init(kind: b.deadline, dueAt: b.dueAt)).inserted, "breach recorded twice: \(b)")
                #expect(b.detectedAt > b.dueAt)
                breaches += 1
            }
            #expect(history.filter { if case .satisfactionRecorded = $0 { true } else { false } }.count <= 1)
            // Whatever happened, a final sweep finds nothing the stream already recorded.
            for missed in SlaEvaluation.unrecordedMissedDeadlines(state, now: clock) {
                #expect(!seen.contains(.init(kind: missed.kind, dueAt: missed.dueAt)))
            }
        }
        #expect(breaches > 0)
    }
}
