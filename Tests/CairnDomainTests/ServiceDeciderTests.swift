import Testing

@testable import CairnDomain

fileprivate typealias Row = DeciderCase<CaseDecider>
private let openedAt = now
private let cs = "cs_1"
private let opened: CaseEvent = .opened(
    .init(
        caseId: cs, customerId: "c_1", channel: .email, priority: .high, subject: "Broken", description: "It stopped",
        openedAt: openedAt, deadlines: SlaPolicy.standard.deadlines(priority: .high, openedAt: openedAt)))
private let resolved: CaseEvent = .resolved(.init(caseId: cs, customerId: "c_1", resolution: "Fixed", resolvedAt: now))
private let closed: CaseEvent = .closed(.init(caseId: cs, customerId: "c_1", closedAt: now))
private let assigned: CaseEvent = .assigned(.init(caseId: cs, customerId: "c_1", agentId: "u_agent"))
private func agentMessage(_ id: String, at time: Timestamp) -> CaseEvent {
    .messageRecorded(
        .init(caseId: cs, customerId: "c_1", messageId: id, author: .agent, authorId: "u_agent", body: "Hello", recordedAt: time))
}

@Suite("Service decider")
struct ServiceDeciderTests {
    fileprivate static let rows: [Row] = [
        Row(
            "open", .open(caseId: cs, customerId: "c_1", channel: .chat, priority: .normal, subject: "Help", description: "Please"),
            .events(["service.CaseOpened"])),
        Row(
            "open twice", given: [opened],
            .open(caseId: cs, customerId: "c_1", channel: .chat, priority: .normal, subject: "Help", description: "x"),
            .rejected("case.alreadyExists")),
        Row(
            "open without subject", .open(caseId: cs, customerId: "c_1", channel: .chat, priority: .normal, subject: "", description: "x"),
            .rejected("validation.failed")),
        Row("assign", given: [opened], .assign(caseId: cs, agentId: "u_agent"), .events(["service.CaseAssigned"])),
        Row("assign to same agent", given: [opened, assigned], .assign(caseId: cs, agentId: "u_agent"), .rejected("case.sameAssignee")),
        Row("assign unknown", .assign(caseId: cs, agentId: "u_agent"), .rejected("case.notFound")),
        Row(
            "agent message", given: [opened], .recordMessage(caseId: cs, messageId: "m_1", author: .agent, authorId: "u_agent", body: "Hi"),
            .events(["service.CaseMessageRecorded"])),
        Row(
            "customer message", given: [opened, resolved],
            .recordMessage(caseId: cs, messageId: "m_1", author: .customer, authorId: nil, body: "Thanks"),
            .events(["service.CaseMessageRecorded"])),
        Row(
            "agent message without author id", given: [opened],
            .recordMessage(caseId: cs, messageId: "m_1", author: .agent, authorId: nil, body: "Hi"),
            .rejected("validation.failed")),
        Row(
            "duplicate message id", given: [opened, agentMessage("m_1", at: now)],
            .recordMessage(caseId: cs, messageId: "m_1", author: .customer, authorId: nil, body: "Hi"), .rejected("case.messageExists")),
        Row(
            "message after close", given: [opened, closed],
            .recordMessage(caseId: cs, messageId: "m_2", author: .customer, authorId: nil, body: "Hello?"),
            .rejected("case.closed")),
        Row("escalate", given: [opened], .escalate(caseId: cs, reason: "VIP", priority: nil), .events(["service.CaseEscalated"])),
        Row(
            "escalate raising priority", given: [opened], .escalate(caseId: cs, reason: "VIP", priority: .urgent),
            .events(["service.CaseEscalated", "service.CasePriorityChanged"])),
        Row(
            "escalate to lower priority keeps it", given: [opened], .escalate(caseId: cs, reason: "VIP", priority: .low),
            .events(["service.CaseEscalated"])),
        Row(
            "escalate resolved", given: [opened, resolved], .escalate(caseId: cs, reason: "VIP", priority: nil), .rejected("case.resolved")),
        Row("change priority", given: [opened], .changePriority(caseId: cs, priority: .low), .events(["service.CasePriorityChanged"])),
        Row("change to same priority", given: [opened], .changePriority(caseId: cs, priority: .high), .rejected("case.samePriority")),
        Row("resolve", given: [opened], .resolve(caseId: cs, resolution: "Fixed"), .events(["service.CaseResolved"])),
        Row("resolve twice", given: [opened, resolved], .resolve(caseId: cs, resolution: "Fixed"), .rejected("case.alreadyResolved")),
        Row("reopen", given: [opened, resolved], .reopen(caseId: cs, reason: "Again"), .events(["service.CaseReopened"])),
        Row("reopen open case", given: [opened], .reopen(caseId: cs, reason: nil), .rejected("case.notResolved")),
        Row("reopen closed case", given: [opened, resolved, closed], .reopen(caseId: cs, reason: nil), .rejected("case.closed")),
        Row("close", given: [opened, resolved], .close(caseId: cs), .events(["service.CaseClosed"])),
        Row("close twice", given: [opened, closed], .close(caseId: cs), .rejected("case.closed")),
        Row(
            "satisfaction", given: [opened, resolved], .recordSatisfaction(caseId: cs, score: 5, comment: "Great"),
            .events(["service.SatisfactionRecorded"])),
        Row(
            "satisfaction after close", given: [opened, resolved, closed], .recordSatisfaction(caseId: cs, score: 1, comment: nil),
            .events(["service.SatisfactionRecorded"])),
        Row(
            "satisfaction out of range", given: [opened, resolved], .recordSatisfaction(caseId: cs, score: 6, comment: nil),
            .rejected("validation.failed")),
        Row(
            "satisfaction zero", given: [opened, resolved], .recordSatisfaction(caseId: cs, score: 0, comment: nil),
            .rejected("validation.failed")),
        Row(
            "satisfaction on open case", given: [opened], .recordSatisfaction(caseId: cs, score: 3, comment: nil),
            .rejected("case.notResolved")),
        Row(
            "satisfaction twice",
            given: [opened, resolved, .satisfactionRecorded(.init(caseId: cs, customerId: "c_1", score: 3, comment: nil))],
            .recordSatisfaction(caseId: cs, score: 4, comment: nil), .rejected("case.satisfactionAlreadyRecorded")),
        Row("sla check with nothing due", given: [opened], .recordSlaBreaches(caseId: cs), .events([])),
        Row("sla check on unknown", .recordSlaBreaches(caseId: cs), .rejected("case.notFound")),
    ]

    @Test(arguments: rows) fileprivate func decides(_ row: Row) { row.check() }

    @Test func deadlinesFollowThePolicy() throws {
        let events = try CaseDecider.decide(
            .open(caseId: cs, customerId: "c_1", channel: .phone, priority: .urgent, subject: "Down", description: "All down"),
            CaseState(), ctx)
        guard case .opened(let e) = events.first else { Issue.record(); return }
        #expect(e.deadlines.firstResponseDue == now.adding(seconds: 3600))
        #expect(e.deadlines.resolutionDue == now.adding(seconds: 8 * 3600))
        let custom = SlaPolicy(targets: [.urgent: .init(firstResponseSeconds: 60, resolutionSeconds: 600)])
        let customEvents = try CaseDecider.decide(
            .open(caseId: cs, customerId: "c_1", channel: .phone, priority: .urgent, subject: "Down", description: "x"),
            CaseState(), ctx, policy: custom)
        guard case .opened(let c) = customEvents.first else { Issue.record(); return }
        #expect(c.deadlines == CaseDeadlines(firstResponseDue: now.adding(seconds: 60), resolutionDue: now.adding(seconds: 600)))
    }

    @Test func priorityChangeRecomputesDeadlinesFromOpening() throws {
        let later = CommandContext(now: now.adding(seconds: 1800), actor: "u")
        let events = try CaseDecider.decide(.changePriority(caseId: cs, priority: .urgent), CaseDecider.fold([opened]), later)
        #expect(
            events == [
                .priorityChanged(
                    .init(
                        caseId: cs, customerId: "c_1", priority: .urgent,
                        deadlines: SlaPolicy.standard.deadlines(priority: .urgent, openedAt: openedAt)))
            ])
    }

    @Test func missedDeadlinesAreFoundAndRecordedOnce() throws {
        var state = CaseDecider.fold([opened])  // high: first response 4 h, resolution 24 h
        #expect(SlaEvaluation.unrecordedMissedDeadlines(state, now: now.adding(seconds: 4 * 3600)).isEmpty)
        let fiveHours = now.adding(seconds: 5 * 3600)
        #expect(SlaEvaluation.unrecordedMissedDeadlines(state, now: fiveHours).map(\.kind) == [.firstResponse])
        #expect(SlaEvaluation.nextDeadline(state, after: now) == now.adding(seconds: 4 * 3600))

        let first = try CaseDecider.decide(.recordSlaBreaches(caseId: cs), state, CommandContext(now: fiveHours, actor: "sla-watcher"))
        #expect(
            first == [
                .slaBreached(
                    .init(
                        caseId: cs, customerId: "c_1", deadline: .firstResponse, dueAt: now.adding(seconds: 4 * 3600), detectedAt: fiveHours
                    ))
            ])
        state = CaseDecider.fold(first, from: state)
        #expect(try CaseDecider.decide(.recordSlaBreaches(caseId: cs), state, CommandContext(now: fiveHours, actor: "w")).isEmpty)

        let twoDays = now.adding(seconds: 48 * 3600)
        let second = try CaseDecider.decide(.recordSlaBreaches(caseId: cs), state, CommandContext(now: twoDays, actor: "w"))
        #expect(
            second.map { (e: CaseEvent) -> SlaDeadlineKind? in if case .slaBreached(let b) = e { b.deadline } else { nil } } == [
                .resolution
            ])
        state = CaseDecider.fold(second, from: state)
        #expect(SlaEvaluation.unrecordedMissedDeadlines(state, now: now.adding(seconds: 400 * 3600)).isEmpty)
    }

    @Test func metDeadlinesAreNotBreached() {
        let answered = CaseDecider.fold([
            opened, agentMessage("m_1", at: now.adding(seconds: 3600)),
            .resolved(.init(caseId: cs, customerId: "c_1", resolution: "ok", resolvedAt: now.adding(seconds: 7200))),
        ])
        #expect(SlaEvaluation.unrecordedMissedDeadlines(answered, now: now.adding(seconds: 1000 * 3600)).isEmpty)
        #expect(SlaEvaluation.nextDeadline(answered, after: now) == nil)
        // Resolving (or closing) before anyone answered stops the first-response clock too.
        let resolvedSilently = CaseDecider.fold([
            opened, .resolved(.init(caseId: cs, customerId: "c_1", resolution: "dup", resolvedAt: now.adding(seconds: 600))),
        ])
        #expect(SlaEvaluation.unrecordedMissedDeadlines(resolvedSilently, now: now.adding(seconds: 1000 * 3600)).isEmpty)
        // A customer message is not a first response.
        let onlyCustomer = CaseDecider.fold([
            opened,
            .messageRecorded(
                .init(
                    caseId: cs, customerId: "c_1", messageId: "m", author: .customer,
                    authorId: nil, body: "?", recordedAt: now)),
        ])
        #expect(SlaEvaluation.unrecordedMissedDeadlines(onlyCustomer, now: now.adding(seconds: 5 * 3600)).map(\.kind) == [.firstResponse])
        // Answering late is still a miss.
        let late = CaseDecider.fold([opened, agentMessage("m_1", at: now.adding(seconds: 5 * 3600))])
        #expect(SlaEvaluation.unrecordedMissedDeadlines(late, now: now.adding(seconds: 6 * 3600)).map(\.kind) == [.firstResponse])
    }

    @Test func reopeningStartsANewResolutionDeadline() throws {
        let resolvedLate = CaseDecider.fold([
            opened, .resolved(.init(caseId: cs, customerId: "c_1", resolution: "ok", resolvedAt: now.adding(seconds: 30 * 3600))),
        ])
        #expect(
            SlaEvaluation.unrecordedMissedDeadlines(resolvedLate, now: now.adding(seconds: 31 * 3600)).map(\.kind) == [
                .firstResponse, .resolution,
            ])
        let reopenCtx = CommandContext(now: now.adding(seconds: 40 * 3600), actor: "u")
        let reopened = try CaseDecider.decide(.reopen(caseId: cs, reason: "again"), resolvedLate, reopenCtx)
        #expect(
            reopened == [
                .reopened(.init(caseId: cs, customerId: "c_1", reason: "again", resolutionDue: reopenCtx.now.adding(seconds: 24 * 3600)))
            ])
    }

    @Test func openingChecksTheCustomer() {
        let command = CaseCommand.open(caseId: cs, customerId: Fixture.ada, channel: .web, priority: .low, subject: "s", description: "d")
        expectRejection("customer.notFound") { try CaseDecider.decideOpen(command, CaseState(), customer: CustomerState(), ctx) }
        let merged = Fixture.customer([Fixture.adaRegistered, .merged(.init(customerId: Fixture.ada, survivorId: "c_s"))])
        expectRejection("customer.merged") { try CaseDecider.decideOpen(command, CaseState(), customer: merged, ctx) }
    }

    @Test func openingForAnErasedCustomerIsRefused() throws {
        let command = CaseCommand.open(caseId: cs, customerId: Fixture.ada, channel: .web, priority: .low, subject: "s", description: "d")
        let erased = Fixture.customer([Fixture.adaRegistered, .personalDataErased(.init(customerId: Fixture.ada, requestId: "dsr_1"))])
        let r = expectRejection("customer.erased") { try CaseDecider.decideOpen(command, CaseState(), customer: erased, ctx) }
        #expect(r?.path == "/customerId")
        // A closed (not erased) customer may still open a case.
        let closed = Fixture.customer([Fixture.adaRegistered, .closed(.init(customerId: Fixture.ada, reason: nil))])
        #expect(try CaseDecider.decideOpen(command, CaseState(), customer: closed, ctx).map(\.type) == ["service.CaseOpened"])
    }
}
