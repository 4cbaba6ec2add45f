import Testing

@testable import CairnDomain

fileprivate typealias Row = DeciderCase<CampaignDecider>
private let k = "cmp_1"
private let vipSegment = Segment(match: .all, rules: [.hasTag("vip")])
private let created: CampaignEvent = .created(
    .init(
        campaignId: k, name: "Spring", channel: .email, budget: money("100"),
        startDate: date("2026-03-01"), endDate: date("2026-06-30"), segment: vipSegment))
private let launched: CampaignEvent = .launched(.init(campaignId: k, launchedAt: now))
private let paused: CampaignEvent = .paused(.init(campaignId: k, reason: nil))
private let completed: CampaignEvent = .completed(.init(campaignId: k, completedAt: now))
private let sent: CampaignEvent = .messageSent(
    .init(campaignId: k, customerId: "c_1", channel: .email, address: "c_1@example.com", sentAt: now))
private let delivered: CampaignEvent = .delivered(.init(campaignId: k, customerId: "c_1", at: now))

private func respond(_ r: CampaignResponse, to customer: CustomerID = "c_1") -> CampaignCommand {
    .recordResponse(campaignId: k, customerId: customer, response: r, at: nil)
}

@Suite("Marketing decider")
struct MarketingDeciderTests {
    fileprivate static let rows: [Row] = [
        Row(
            "create",
            .create(
                campaignId: k, name: "Spring", channel: .email, budget: money("100"), startDate: date("2026-03-01"),
                endDate: date("2026-06-30"), segment: nil), .events(["marketing.CampaignCreated"])),
        Row(
            "create twice", given: [created],
            .create(
                campaignId: k, name: "S", channel: .sms, budget: nil, startDate: date("2026-03-01"),
                endDate: date("2026-06-30"), segment: nil), .rejected("campaign.alreadyExists")),
        Row(
            "create ending before it starts",
            .create(
                campaignId: k, name: "S", channel: .sms, budget: nil, startDate: date("2026-03-01"),
                endDate: date("2026-02-01"), segment: nil), .rejected("validation.failed")),
        Row(
            "create with bad budget",
            .create(
                campaignId: k, name: "S", channel: .sms, budget: money("-1", "ABC"), startDate: date("2026-03-01"),
                endDate: date("2026-04-01"), segment: nil), .rejected("validation.failed")),
        Row(
            "define segment", given: [created], .defineSegment(campaignId: k, segment: Segment(rules: [.activeWithinDays(30)])),
            .events(["marketing.SegmentDefined"])),
        Row(
            "define invalid segment", given: [created], .defineSegment(campaignId: k, segment: Segment(rules: [.activeWithinDays(0)])),
            .rejected("validation.failed")),
        Row("define segment on unknown", .defineSegment(campaignId: k, segment: vipSegment), .rejected("campaign.notFound")),
        Row("launch", given: [created], .launch(campaignId: k), .events(["marketing.CampaignLaunched"])),
        Row(
            "resume a paused campaign", given: [created, launched, paused], .launch(campaignId: k), .events(["marketing.CampaignLaunched"])),
        Row("launch twice", given: [created, launched], .launch(campaignId: k), .rejected("campaign.alreadyRunning")),
        Row("launch completed", given: [created, launched, completed], .launch(campaignId: k), .rejected("campaign.completed")),
        Row(
            "launch after end date",
            given: [
                .created(
                    .init(
                        campaignId: k, name: "Old", channel: .email, budget: nil, startDate: date("2025-01-01"),
                        endDate: date("2025-02-01"), segment: nil))
            ], .launch(campaignId: k), .rejected("campaign.ended")),
        Row("pause", given: [created, launched], .pause(campaignId: k, reason: "review"), .events(["marketing.CampaignPaused"])),
        Row("pause a draft", given: [created], .pause(campaignId: k, reason: nil), .rejected("campaign.notRunning")),
        Row("complete", given: [created, launched], .complete(campaignId: k), .events(["marketing.CampaignCompleted"])),
        Row("complete a draft", given: [created], .complete(campaignId: k), .rejected("campaign.notLaunched")),
        Row("complete twice", given: [created, launched, completed], .complete(campaignId: k), .rejected("campaign.completed")),
        Row("delivered", given: [created, launched, sent], respond(.delivered), .events(["marketing.MessageDelivered"])),
        Row(
            "delivered twice", given: [created, launched, sent, delivered], respond(.delivered),
            .rejected("campaign.responseAlreadyRecorded")),
        Row("opened", given: [created, launched, sent], respond(.opened), .events(["marketing.MessageOpened"])),
        Row(
            "clicked (repeatable)",
            given: [created, launched, sent, .clicked(.init(campaignId: k, customerId: "c_1", url: "https://x.example", at: now))],
            respond(.clicked(url: "https://x.example")), .events(["marketing.MessageClicked"])),
        Row(
            "clicked bad url", given: [created, launched, sent], respond(.clicked(url: "javascript:alert(1)")),
            .rejected("validation.failed")),
        Row("replied", given: [created, launched, sent], respond(.replied), .events(["marketing.MessageReplied"])),
        Row(
            "bounced", given: [created, launched, sent], respond(.bounced(.soft, reason: "mailbox full")),
            .events(["marketing.MessageBounced"])),
        Row(
            "converted", given: [created, launched, sent], respond(.converted(opportunityId: "op_1", orderId: nil)),
            .events(["marketing.RecipientConverted"])),
        Row(
            "converted after completion", given: [created, launched, sent, completed],
            respond(.converted(opportunityId: nil, orderId: "o_1")),
            .events(["marketing.RecipientConverted"])),
        Row("response without send", given: [created, launched], respond(.opened, to: "c_2"), .rejected("campaign.sendNotFound")),
    ]

    @Test(arguments: rows) fileprivate func decides(_ row: Row) { row.check() }

    static let running = CampaignDecider.fold([created, launched])

    @Test func sendRequiresMarketingConsent() throws {
        let events = try CampaignDecider.decideSend(
            campaignId: k, customerId: "c_1", campaign: Self.running, customer: Fixture.consenting("c_1"), ctx)
        #expect(events == [.messageSent(.init(campaignId: k, customerId: "c_1", channel: .email, address: "c_1@example.com", sentAt: now))])
        #expect(events.first?.subject == "c_1")

        let noConsent = Fixture.customer([Fixture.adaRegistered])
        expectRejection("consent.missing") {
            try CampaignDecider.decideSend(campaignId: k, customerId: Fixture.ada, campaign: Self.running, customer: noConsent, ctx)
        }
        let serviceOnly = Fixture.customer([Fixture.adaRegistered, Fixture.consent(.email, .service)])
        expectRejection("consent.missing") {
            try CampaignDecider.decideSend(campaignId: k, customerId: Fixture.ada, campaign: Self.running, customer: serviceOnly, ctx)
        }
        let smsOnly = Fixture.customer([Fixture.adaRegistered, Fixture.consent(.sms)])
        expectRejection("consent.missing") {
            try CampaignDecider.decideSend(campaignId: k, customerId: Fixture.ada, campaign: Self.running, customer: smsOnly, ctx)
        }
    }

    @Test func sendRules() {
        let ok = Fixture.consenting("c_1")
        let unsubscribed = CustomerDecider.evolve(ok, .unsubscribed(.init(customerId: "c_1", channel: .email, campaignId: nil)))
        expectRejection("customer.unsubscribed") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: unsubscribed, ctx)
        }
        let erased = CustomerDecider.evolve(ok, .personalDataErased(.init(customerId: "c_1", requestId: "r")))
        expectRejection("customer.erased") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: erased, ctx)
        }
        let bounced = CustomerDecider.evolve(
            ok, .contactPointInvalidated(.init(customerId: "c_1", channel: .email, value: "c_1@example.com", reason: "b")))
        expectRejection("customer.noContactPoint") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: bounced, ctx)
        }
        expectRejection("customer.notFound") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: CustomerState(), ctx)
        }
        let merged = CustomerDecider.evolve(ok, .merged(.init(customerId: "c_1", survivorId: "c_2")))
        let r = expectRejection("customer.merged") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: merged, ctx)
        }
        #expect(r?.survivorId == "c_2")
        let alreadySent = CampaignDecider.evolve(Self.running, sent)
        expectRejection("campaign.alreadySent") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: alreadySent, customer: ok, ctx)
        }
        expectRejection("campaign.notRunning") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: CampaignDecider.fold([created]), customer: ok, ctx)
        }
        expectRejection("campaign.notFound") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: CampaignState(), customer: ok, ctx)
        }
    }

    @Test func launchToSegmentSendsToEligibleMembersAndReportsTheRest() throws {
        let candidates = [
            CampaignDecider.Candidate(customer: Fixture.consenting("c_1", tags: ["vip"])),
            CampaignDecider.Candidate(customer: Fixture.consenting("c_2")),  // not in segment
            CampaignDecider.Candidate(
                customer: Fixture.customer([
                    .registered(
                        .init(
                            customerId: "c_3", kind: .person, personName: PersonName(given: "N", family: "C"), organizationName: nil,
                            emails: ["c3@example.com"], phones: [], addresses: [], ownerId: nil, source: nil, attributes: [:])),
                    .tagged(.init(customerId: "c_3", tag: "vip")),
                ])),  // no consent
            CampaignDecider.Candidate(customer: Fixture.consenting("c_4", tags: ["vip"])),
        ]
        let plan = try CampaignDecider.planLaunch(campaignId: k, campaign: CampaignDecider.fold([created]), candidates: candidates, ctx)
        #expect(plan.events.map(\.type) == ["marketing.CampaignLaunched", "marketing.MessageSent", "marketing.MessageSent"])
        #expect(plan.sends.map(\.customerId) == ["c_1", "c_4"])
        #expect(plan.ineligible.map(\.customerId) == ["c_2", "c_3"])
        #expect(plan.ineligible.map(\.reason.code) == ["segment.notMatched", "consent.missing"])

        // Relaunching after a pause reaches only new members.
        let afterFirst = CampaignDecider.fold(plan.events + [paused], from: CampaignDecider.fold([created]))
        let again = try CampaignDecider.planLaunch(campaignId: k, campaign: afterFirst, candidates: candidates, ctx)
        #expect(again.sends.isEmpty)
        #expect(
            again.ineligible.map(\.reason.code) == [
                "campaign.alreadySent", "segment.notMatched", "consent.missing", "campaign.alreadySent",
            ])
    }

    /// The day after the campaign's end date (2026-06-30), UTC.
    static let afterEnd = CommandContext(now: at("2026-07-01T00:00:00.000Z"), actor: "u_test")

    @Test func noSendAfterTheEndDate() throws {
        let customer = Fixture.consenting("c_1")
        expectRejection("campaign.ended") {
            try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: customer, Self.afterEnd)
        }
        // The last day itself still counts, up to its last millisecond (UTC).
        let lastDay = CommandContext(now: at("2026-06-30T23:59:59.999Z"), actor: "u_test")
        let events = try CampaignDecider.decideSend(campaignId: k, customerId: "c_1", campaign: Self.running, customer: customer, lastDay)
        #expect(events.map(\.type) == ["marketing.MessageSent"])
    }

    @Test func noLaunchToTheSegmentAfterTheEndDate() {
        let candidates = [CampaignDecider.Candidate(customer: Fixture.consenting("c_1", tags: ["vip"]))]
        // Already running: continuing the launch is refused too, not only a new launch.
        expectRejection("campaign.ended") {
            try CampaignDecider.planLaunch(campaignId: k, campaign: Self.running, candidates: candidates, Self.afterEnd)
        }
        let pausedCampaign = CampaignDecider.fold([created, launched, paused])
        expectRejection("campaign.ended") {
            try CampaignDecider.planLaunch(campaignId: k, campaign: pausedCampaign, candidates: candidates, Self.afterEnd)
        }
    }

    @Test func launchNeedsASegment() {
        let noSegment = CampaignDecider.fold([
            .created(
                .init(
                    campaignId: k, name: "x", channel: .email, budget: nil, startDate: date("2026-03-01"),
                    endDate: date("2026-06-30"), segment: nil))
        ])
        expectRejection("campaign.noSegment") { try CampaignDecider.planLaunch(campaignId: k, campaign: noSegment, candidates: [], ctx) }
    }

    @Test func hardBounceInvalidatesTheAddressOnTheCustomer() throws {
        let campaign = CampaignDecider.fold([created, launched, sent])
        let customer = Fixture.consenting("c_1")
        let out = try CampaignDecider.decideResponse(
            respond(.bounced(.hard, reason: "550 user unknown")), campaign: campaign, customer: customer, ctx)
        #expect(out.map(\.stream.description) == ["campaign-cmp_1", "customer-c_1"])
        #expect(out.map(\.event.type) == ["marketing.MessageBounced", "customers.ContactPointInvalidated"])
        let soft = try CampaignDecider.decideResponse(respond(.bounced(.soft, reason: "full")), campaign: campaign, customer: customer, ctx)
        #expect(soft.map(\.event.type) == ["marketing.MessageBounced"])
        // Already invalid: the bounce is still recorded on the campaign.
        let invalid = CustomerDecider.evolve(
            customer, .contactPointInvalidated(.init(customerId: "c_1", channel: .email, value: "c_1@example.com", reason: "x")))
        let again = try CampaignDecider.decideResponse(respond(.bounced(.hard, reason: "550")), campaign: campaign, customer: invalid, ctx)
        #expect(again.map(\.event.type) == ["marketing.MessageBounced"])
    }

    @Test func unsubscribeWithdrawsConsent() throws {
        let campaign = CampaignDecider.fold([created, launched, sent])
        let customer = Fixture.consenting("c_1")
        let out = try CampaignDecider.decideUnsubscribe(campaignId: k, customerId: "c_1", campaign: campaign, customer: customer, ctx)
        #expect(
            out.map(\.event.type) == ["marketing.RecipientUnsubscribed", "customers.CustomerUnsubscribed", "customers.ConsentWithdrawn"])
        let after = CustomerDecider.fold(out.compactMap { if case .customer(let e) = $0.event { e } else { nil } }, from: customer)
        #expect(!after.hasConsent(.email, for: .marketing))
        #expect(after.marketingIneligibility(on: .email)?.code == "customer.unsubscribed")
        let campaignAfter = CampaignDecider.fold(out.compactMap { if case .campaign(let e) = $0.event { e } else { nil } }, from: campaign)
        expectRejection("campaign.alreadyUnsubscribed") {
            try CampaignDecider.decideUnsubscribe(campaignId: k, customerId: "c_1", campaign: campaignAfter, customer: after, ctx)
        }
        expectRejection("campaign.sendNotFound") {
            try CampaignDecider.decideUnsubscribe(campaignId: k, customerId: "c_9", campaign: campaign, customer: after, ctx)
        }
        // A fresh marketing consent lifts the unsubscribe.
        let resubscribed = CustomerDecider.evolve(after, Fixture.consent(customer: "c_1"))
        #expect(resubscribed.marketingIneligibility(on: .email) == nil)
    }

    @Test func unsubscribeOfAMergedRecipientIsRecordedAndForwarded() throws {
        let campaign = CampaignDecider.fold([created, launched, sent])
        let merged = CustomerDecider.evolve(Fixture.consenting("c_1"), .merged(.init(customerId: "c_1", survivorId: "c_2")))
        let out = try CampaignDecider.decideUnsubscribe(campaignId: k, customerId: "c_1", campaign: campaign, customer: merged, ctx)
        #expect(out.map(\.event.type) == ["marketing.RecipientUnsubscribed"])
        #expect(out.map(\.stream.description) == ["campaign-cmp_1"])

        let plan = try CampaignDecider.planUnsubscribe(campaignId: k, customerId: "c_1", campaign: campaign, customer: merged, ctx)
        #expect(plan.events == out)
        #expect(plan.survivorId == "c_2")
        let forward = try #require(plan.forward)
        #expect(forward == .recordUnsubscribe(customerId: "c_2", channel: .email, campaignId: k))
        // Run on the survivor, the forwarded command does what the click would have done there.
        let survivorEvents = try CustomerDecider.decide(forward, Fixture.consenting("c_2"), ctx)
        #expect(survivorEvents.map(\.type) == ["customers.CustomerUnsubscribed", "customers.ConsentWithdrawn"])

        let active = Fixture.consenting("c_1")
        let unmerged = try CampaignDecider.planUnsubscribe(campaignId: k, customerId: "c_1", campaign: campaign, customer: active, ctx)
        #expect(unmerged.forward == nil && unmerged.survivorId == nil)
        #expect(unmerged.events.count == 3)
    }
}

@Suite("Segments")
struct SegmentTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let rule: SegmentRule
        let expected: Bool
        var testDescription: String { "\(rule) → \(expected)" }
    }

    static let customer = Fixture.customer([
        Fixture.adaRegistered, Fixture.consent(), .tagged(.init(customerId: Fixture.ada, tag: "vip")),
        .attributeSet(.init(customerId: Fixture.ada, key: "ltv", value: .number(1500))),
        .attributeSet(.init(customerId: Fixture.ada, key: "since", value: .date(date("2020-05-01")))),
    ])
    static let activity = CustomerActivity(lastActivityAt: now.adding(seconds: -10 * 86_400), activityCount: 3)

    static let rows: [Row] = [
        Row(rule: .hasTag("vip"), expected: true), Row(rule: .hasTag("gold"), expected: false),
        Row(rule: .lacksTag("vip"), expected: false), Row(rule: .lacksTag("churned"), expected: true),
        Row(rule: .hasConsent(.email, .marketing), expected: true), Row(rule: .hasConsent(.sms, .marketing), expected: false),
        Row(rule: .kind(.person), expected: true), Row(rule: .kind(.organization), expected: false),
        Row(rule: .attribute(key: "tier", op: .equals, value: .string("gold")), expected: true),
        Row(rule: .attribute(key: "tier", op: .notEquals, value: .string("gold")), expected: false),
        Row(rule: .attribute(key: "ltv", op: .greaterThan, value: .number(1000)), expected: true),
        Row(rule: .attribute(key: "ltv", op: .lessThan, value: .number(1000)), expected: false),
        Row(rule: .attribute(key: "since", op: .lessThan, value: .date(date("2021-01-01"))), expected: true),
        Row(rule: .attribute(key: "ltv", op: .greaterThan, value: .string("1000")), expected: false),
        Row(rule: .attribute(key: "missing", op: .equals, value: .boolean(true)), expected: false),
        Row(rule: .attributeExists(key: "ltv"), expected: true), Row(rule: .attributeExists(key: "missing"), expected: false),
        Row(rule: .activeWithinDays(30), expected: true), Row(rule: .activeWithinDays(7), expected: false),
        Row(rule: .inactiveForDays(7), expected: true), Row(rule: .inactiveForDays(30), expected: false),
    ]

    @Test(arguments: rows)
    func rule(_ row: Row) {
        #expect(row.rule.matches(Self.customer, activity: Self.activity, now: now) == row.expected)
    }

    @Test func allAndAny() {
        let both: [SegmentRule] = [.hasTag("vip"), .hasTag("gold")]
        #expect(!Segment(match: .all, rules: both).matches(Self.customer, activity: Self.activity, now: now))
        #expect(Segment(match: .any, rules: both).matches(Self.customer, activity: Self.activity, now: now))
        #expect(Segment(rules: []).matches(Self.customer, now: now))
        let closed = CustomerDecider.evolve(Self.customer, .closed(.init(customerId: Fixture.ada, reason: nil)))
        #expect(!Segment(rules: []).matches(closed, now: now))
        #expect(!SegmentRule.activeWithinDays(30).matches(Self.customer, activity: .none, now: now))
        #expect(SegmentRule.inactiveForDays(30).matches(Self.customer, activity: .none, now: now))
    }

    /// Rules built in code skip validation; whatever `days` they carry, matching must not trap.
    @Test(arguments: [Int.max, Int.min, 9_007_199_254_740_991, -9_007_199_254_740_991, 106_751_991_167_301, 0, -1])
    func extremeDaysDoNotTrap(_ days: Int) {
        let active = SegmentRule.activeWithinDays(days).matches(Self.customer, activity: Self.activity, now: now)
        let inactive = SegmentRule.inactiveForDays(days).matches(Self.customer, activity: Self.activity, now: now)
        #expect(active != inactive)
        #expect(active == (days >= 10), "last activity was 10 days ago")
    }

    @Test(arguments: [0, 3651, 9_007_199_254_740_991, -1])
    func storedSegmentWithDaysOutOfRangeFailsToDecode(_ days: Int) {
        for rule in ["activeWithinDays", "inactiveForDays"] {
            let payload = #"{"campaignId":"cmp_1","segment":{"match":"all","rules":[{"rule":"\#(rule)","days":\#(days)}]}}"#
            expectDecodingFailure(nil, path: "/segment/rules/0/days") {
                try CampaignEvent.decode(type: "marketing.SegmentDefined", schemaVersion: 1, payload: Array(payload.utf8))
            }
        }
    }

    @Test(arguments: [1, 3650])
    func storedSegmentWithinRangeDecodes(_ days: Int) throws {
        let payload = #"{"campaignId":"cmp_1","segment":{"match":"all","rules":[{"rule":"inactiveForDays","days":\#(days)}]}}"#
        let event = try CampaignEvent.decode(type: "marketing.SegmentDefined", schemaVersion: 1, payload: Array(payload.utf8))
        #expect(event == .segmentDefined(.init(campaignId: "cmp_1", segment: Segment(rules: [.inactiveForDays(days)]))))
    }
}
