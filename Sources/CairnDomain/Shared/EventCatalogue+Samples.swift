import Foundation

extension EventCatalogue {
    private static let t0 = Timestamp(rfc3339: "2026-03-14T09:26:53.589Z")!
    private static let t1 = Timestamp(rfc3339: "2026-03-15T10:00:00.000Z")!
    private static let day = CalendarDate(year: 2026, month: 6, day: 30)!
    private static let eur = Money("12500.50", "EUR")!
    private static let address = PostalAddress(
        addressId: "home", lines: ["Hauptstraße 5", "2. OG"], city: "Berlin",
        region: "BE", postalCode: "10115", country: "DE")
    private static let segment = Segment(
        match: .all,
        rules: [
            .attribute(key: "lifetimeValue", op: .greaterThan, value: .number(1000)),
            .attributeExists(key: "birthday"),
            .hasTag("vip"), .lacksTag("churned"), .hasConsent(.email, .marketing), .kind(.person),
            .activeWithinDays(90), .inactiveForDays(7),
        ])

    /// One event of every current type, with every optional field present.
    static let samples: [DomainEvent] = {
        let c = "c_ada"
        var s: [DomainEvent] = [
            .customer(
                .registered(
                    .init(
                        customerId: c, kind: .person, personName: PersonName(given: "Ada", family: "Lovelace"), organizationName: nil,
                        emails: ["ada@example.com"], phones: ["+447700900123"], addresses: [address], ownerId: "u_sam", source: "web-form",
                        attributes: [
                            "tier": .string("gold"), "lifetimeValue": .number(1520.5), "newsletter": .boolean(true),
                            "birthday": .date(CalendarDate(year: 1815, month: 12, day: 10)!),
                        ]))),
            .customer(
                .profileUpdated(
                    .init(
                        customerId: c, personName: PersonName(given: "Augusta Ada", family: "King"),
                        organizationName: "Analytical Engines Ltd", ownerId: "u_kim", source: "import"))),
            .customer(.emailAdded(.init(customerId: c, email: "ada@analytical.example"))),
            .customer(.emailRemoved(.init(customerId: c, email: "ada@example.com"))),
            .customer(.phoneAdded(.init(customerId: c, phone: "+14155550123"))),
            .customer(.phoneRemoved(.init(customerId: c, phone: "+447700900123"))),
            .customer(.addressAdded(.init(customerId: c, address: address))),
            .customer(.addressRemoved(.init(customerId: c, addressId: "home"))),
            .customer(.attributeSet(.init(customerId: c, key: "tier", value: .string("platinum")))),
            .customer(.attributeUnset(.init(customerId: c, key: "tier"))),
            .customer(.organizationLinked(.init(customerId: c, organizationId: "o_engines", role: "CTO"))),
            .customer(.organizationUnlinked(.init(customerId: c, organizationId: "o_engines"))),
            .customer(
                .consentGranted(
                    .init(
                        customerId: c, channel: .email, purpose: .marketing, legalBasis: .consent,
                        source: "web-form:newsletter", grantedAt: t0))),
            .customer(
                .consentWithdrawn(.init(customerId: c, channel: .email, purpose: .marketing, source: "preference-center", withdrawnAt: t1))),
            .customer(.tagged(.init(customerId: c, tag: "vip"))),
            .customer(.untagged(.init(customerId: c, tag: "vip"))),
            .customer(.closed(.init(customerId: c, reason: "Customer asked to close the account"))),
            .customer(.reopened(.init(customerId: c))),
            .customer(.merged(.init(customerId: "c_ada_dup", survivorId: c))),
            .customer(
                .duplicateAbsorbed(
                    .init(
                        customerId: c, duplicateId: "c_ada_dup", emails: ["a.lovelace@example.org"],
                        phones: ["+33612345678"], tags: ["newsletter"]))),
            .customer(
                .contactPointInvalidated(
                    .init(customerId: c, channel: .email, value: "ada@example.com", reason: "hard bounce: 550 mailbox unavailable"))),
            .customer(.unsubscribed(.init(customerId: c, channel: .email, campaignId: "cmp_spring"))),
            .customer(.personalDataErased(.init(customerId: c, requestId: "dsr_42", legalBasis: "GDPR Art. 17(1)(a)"))),
            .customer(.legalHoldPlaced(.init(customerId: c, holdId: "hold_7", matter: "Claim 2026-117"))),
            .customer(.legalHoldReleased(.init(customerId: c, holdId: "hold_7"))),

            .lead(
                .captured(
                    .init(
                        leadId: "l_1", source: "webinar", campaignId: "cmp_spring",
                        personName: PersonName(given: "Grace", family: "Hopper"),
                        companyName: "Cobol Inc", email: "grace@cobol.example", phone: "+12025550143",
                        consents: [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "webinar-signup")],
                        capturedAt: t0))),
            .lead(
                .updated(
                    .init(
                        leadId: "l_1", personName: PersonName(given: "Grace Brewster", family: "Hopper"), companyName: nil,
                        email: "grace.hopper@navy.example", phone: "+12025550199", cleared: [.companyName]))),
            .lead(.qualified(.init(leadId: "l_1", note: "Budget confirmed"))),
            .lead(.disqualified(.init(leadId: "l_1", reason: "Student, no budget"))),
            .lead(.converted(.init(leadId: "l_1", customerId: c, opportunityId: "op_1", customerCreated: true))),
            .lead(.erased(.init(leadId: "l_1", requestId: "dsr_43", legalBasis: "GDPR Art. 17(1)(a)"))),

            .opportunity(
                .opened(
                    .init(
                        opportunityId: "op_1", customerId: c, name: "Engine retrofit", amount: eur, expectedCloseDate: day,
                        ownerId: "u_sam", stage: .prospecting, probability: 10, campaignId: "cmp_spring", leadId: "l_1"))),
            .opportunity(.stageChanged(.init(opportunityId: "op_1", customerId: c, from: .prospecting, to: .proposal, probability: 50))),
            .opportunity(.amountChanged(.init(opportunityId: "op_1", customerId: c, amount: Money("9800", "USD")!))),
            .opportunity(
                .closeDateChanged(
                    .init(opportunityId: "op_1", customerId: c, expectedCloseDate: CalendarDate(year: 2026, month: 9, day: 1)!))),
            .opportunity(.ownerChanged(.init(opportunityId: "op_1", customerId: c, ownerId: "u_kim"))),
            .opportunity(.won(.init(opportunityId: "op_1", customerId: c, amount: eur, closedAt: t1))),
            .opportunity(.lost(.init(opportunityId: "op_1", customerId: c, reason: "Chose a competitor", closedAt: t1))),
            .opportunity(.reopened(.init(opportunityId: "op_1", customerId: c, stage: .negotiation, probability: 75))),

            .activity(
                .logged(
                    .init(
                        activityId: "a_1", customerId: c, kind: .call, direction: .outbound, channel: .phone, occurredAt: t0,
                        durationSeconds: 754, outcome: "Agreed to a demo", participants: ["u_sam", "Charles Babbage"],
                        summary: "Discussed the retrofit timeline."))),

            .task(.scheduled(.init(taskId: "t_1", customerId: c, title: "Send the proposal to Ada", dueAt: t1, assigneeId: "u_sam"))),
            .task(.reassigned(.init(taskId: "t_1", customerId: c, assigneeId: "u_kim"))),
            .task(.completed(.init(taskId: "t_1", customerId: c, completedAt: t1, outcome: "Proposal sent"))),
            .task(.cancelled(.init(taskId: "t_1", customerId: c, reason: "Customer postponed"))),

            .order(
                .recorded(
                    .init(
                        orderId: "ord_1", customerId: c, opportunityId: "op_1",
                        lines: [
                            OrderLine(sku: "ENG-1", description: "Difference engine", quantity: 2, unitPrice: Decimal(string: "4999.95")!),
                            OrderLine(sku: "SRV-9", description: "Installation", quantity: 1, unitPrice: Decimal(500)),
                        ],
                        currency: "EUR", total: Decimal(string: "10499.9")!, orderDate: day))),

            .campaign(
                .created(
                    .init(
                        campaignId: "cmp_spring", name: "Spring launch", channel: .email, budget: Money("5000", "GBP")!,
                        startDate: CalendarDate(year: 2026, month: 3, day: 1)!, endDate: day, segment: segment))),
            .campaign(
                .segmentDefined(
                    .init(
                        campaignId: "cmp_spring",
                        segment: Segment(
                            match: .any, rules: [.hasTag("vip"), .attribute(key: "tier", op: .equals, value: .string("gold"))])))),
            .campaign(.launched(.init(campaignId: "cmp_spring", launchedAt: t0))),
            .campaign(.paused(.init(campaignId: "cmp_spring", reason: "Copy review"))),
            .campaign(.completed(.init(campaignId: "cmp_spring", completedAt: t1))),
            .campaign(
                .messageSent(.init(campaignId: "cmp_spring", customerId: c, channel: .email, address: "ada@example.com", sentAt: t0))),
            .campaign(.delivered(.init(campaignId: "cmp_spring", customerId: c, at: t0))),
            .campaign(.opened(.init(campaignId: "cmp_spring", customerId: c, at: t1))),
            .campaign(.clicked(.init(campaignId: "cmp_spring", customerId: c, url: "https://example.com/spring?utm=mail", at: t1))),
            .campaign(.replied(.init(campaignId: "cmp_spring", customerId: c, at: t1))),
            .campaign(
                .bounced(.init(campaignId: "cmp_spring", customerId: c, bounceType: .hard, reason: "550 5.1.1 user unknown", at: t0))),
            .campaign(.converted(.init(campaignId: "cmp_spring", customerId: c, opportunityId: "op_1", orderId: "ord_1", at: t1))),
            .campaign(.recipientUnsubscribed(.init(campaignId: "cmp_spring", customerId: c, channel: .email, at: t1))),
        ]
        let deadlines = SlaPolicy.standard.deadlines(priority: .high, openedAt: t0)
        s += [
            .serviceCase(
                .opened(
                    .init(
                        caseId: "cs_1", customerId: c, channel: .email, priority: .high, subject: "Engine will not start",
                        description: "Since Tuesday the engine stops at column 3.", openedAt: t0, deadlines: deadlines))),
            .serviceCase(.assigned(.init(caseId: "cs_1", customerId: c, agentId: "u_agent"))),
            .serviceCase(
                .messageRecorded(
                    .init(
                        caseId: "cs_1", customerId: c, messageId: "m_1", author: .agent, authorId: "u_agent",
                        body: "Could you send a photo of the gears?", recordedAt: t0))),
            .serviceCase(.escalated(.init(caseId: "cs_1", customerId: c, level: 1, reason: "Needs an engineer"))),
            .serviceCase(
                .priorityChanged(
                    .init(
                        caseId: "cs_1", customerId: c, priority: .urgent,
                        deadlines: SlaPolicy.standard.deadlines(priority: .urgent, openedAt: t0)))),
            .serviceCase(.resolved(.init(caseId: "cs_1", customerId: c, resolution: "Replaced gear 7", resolvedAt: t1))),
            .serviceCase(
                .reopened(.init(caseId: "cs_1", customerId: c, reason: "Stopped again", resolutionDue: t1.adding(seconds: 86_400)))),
            .serviceCase(.closed(.init(caseId: "cs_1", customerId: c, closedAt: t1))),
            .serviceCase(.satisfactionRecorded(.init(caseId: "cs_1", customerId: c, score: 4, comment: "Quick and friendly"))),
            .serviceCase(
                .slaBreached(
                    .init(caseId: "cs_1", customerId: c, deadline: .firstResponse, dueAt: deadlines.firstResponseDue, detectedAt: t1))),
            .compliance(
                .retentionApplied(
                    .init(
                        runId: "ret_2026_11", policies: [.init(kind: "activity", months: 24, keepFrom: "2024-11", keysExpired: 3)],
                        heldCustomers: [c]))),
        ]
        return s
    }()

    /// Old schema versions still readable, as literal stored bytes.
    static let legacySamples: [(type: String, schemaVersion: Int, payload: [UInt8], sample: DomainEvent)] = [
        (
            "sales.ActivityLogged", 1,
            Array(
                #"{"activityId":"a_0","customerId":"c_ada","direction":"inbound","kind":"meeting","occurredAt":"2025-11-02T14:00:00.000Z","durationMinutes":45,"outcome":"Interested","participants":["u_sam"],"summary":"Met at the fair."}"#
                    .utf8),
            .activity(
                .logged(
                    .init(
                        activityId: "a_0", customerId: "c_ada", kind: .meeting, direction: .inbound, channel: nil,
                        occurredAt: Timestamp(rfc3339: "2025-11-02T14:00:00.000Z")!, durationSeconds: 2700,
                        outcome: "Interested", participants: ["u_sam"], summary: "Met at the fair.")))
        )
    ]
}
