import Foundation
import Testing

@testable import CairnDomain

fileprivate typealias LeadRow = DeciderCase<LeadDecider>
fileprivate typealias OppRow = DeciderCase<OpportunityDecider>
fileprivate typealias TaskRow = DeciderCase<TaskDecider>
fileprivate typealias ActivityRow = DeciderCase<ActivityDecider>
fileprivate typealias OrderRow = DeciderCase<OrderDecider>
fileprivate typealias CustomerOrderRow = CustomerCheckedCase<OrderDecider>
fileprivate typealias CustomerTaskRow = CustomerCheckedCase<TaskDecider>

private let capture = LeadCommand.Capture(
    leadId: "l_1", source: "webinar", campaignId: "cmp_1", personName: PersonName(given: "Grace", family: "Hopper"),
    email: "Grace@Cobol.example", consents: [ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "webinar")])
private let captured = LeadDecider.fold(try! LeadDecider.decide(.capture(capture), LeadState(), ctx))
private let leadCaptured: LeadEvent = try! LeadDecider.decide(.capture(capture), LeadState(), ctx)[0]
private let leadDisqualified: LeadEvent = .disqualified(.init(leadId: "l_1", reason: "no budget"))
private let leadConverted: LeadEvent = .converted(.init(leadId: "l_1", customerId: "c_1", opportunityId: "op_1", customerCreated: true))
private let leadErased: LeadEvent = .erased(.init(leadId: "l_1", requestId: "dsr_1", legalBasis: "GDPR Art. 17(1)(a)"))
private let eraseLead = LeadCommand.recordErasure(leadId: "l_1", requestId: "dsr_2", legalBasis: "GDPR Art. 17(1)(a)")

private let opening = OpportunityCommand.Opening(
    opportunityId: "op_1", customerId: "c_1", name: "Retrofit", amount: money("1000"),
    expectedCloseDate: date("2026-06-30"), ownerId: "u_sam")
private let opened: OpportunityEvent = .opened(
    .init(
        opportunityId: "op_1", customerId: "c_1", name: "Retrofit", amount: money("1000"),
        expectedCloseDate: date("2026-06-30"), ownerId: "u_sam", stage: .prospecting,
        probability: 10, campaignId: nil, leadId: nil))
private let won: OpportunityEvent = .won(.init(opportunityId: "op_1", customerId: "c_1", amount: money("1000"), closedAt: now))
private let lost: OpportunityEvent = .lost(.init(opportunityId: "op_1", customerId: "c_1", reason: "price", closedAt: now))

private let scheduled: TaskEvent = .scheduled(.init(taskId: "t_1", customerId: "c_1", title: "Call back", dueAt: now, assigneeId: "u_sam"))
private let loggedCall = ActivityEvent.Logged(
    activityId: "a_1", customerId: "c_1", kind: .call, direction: .inbound, channel: .phone,
    occurredAt: at("2026-04-01T11:00:00.000Z"), durationSeconds: 300, outcome: "ok", participants: ["u_sam"])
private let line = OrderLine(sku: "A", description: "Widget", quantity: 3, unitPrice: 2)

private let ada = Fixture.ada
private let adaMerged: CustomerEvent = .merged(.init(customerId: ada, survivorId: "c_s"))
private let adaClosed: CustomerEvent = .closed(.init(customerId: ada, reason: nil))
private let adaErased: CustomerEvent = .personalDataErased(.init(customerId: ada, requestId: "dsr_1"))
private let adaOrder = OrderCommand.record(
    orderId: "o_1", customerId: ada, opportunityId: nil, lines: [line], currency: "EUR",
    orderDate: date("2026-04-01"))
private let adaRegistered = Fixture.adaRegistered
private let adaTask = TaskCommand.schedule(taskId: "t_1", customerId: ada, title: "Call", dueAt: now, assigneeId: "u_sam")

@Suite("Sales deciders")
struct SalesDeciderTests {
    fileprivate static let leadRows: [LeadRow] = [
        LeadRow("capture", .capture(capture), .events(["sales.LeadCaptured"])),
        LeadRow("capture twice", given: [leadCaptured], .capture(capture), .rejected("lead.alreadyExists")),
        LeadRow(
            "capture without contact", .capture(.init(leadId: "l_2", source: "x", personName: PersonName(given: "a", family: "b"))),
            .rejected("validation.failed")),
        LeadRow(
            "capture with bad phone", .capture(.init(leadId: "l_2", source: "x", companyName: "C", phone: "555")),
            .rejected("validation.failed")),
        LeadRow("qualify", given: [leadCaptured], .qualify(leadId: "l_1", note: "fits"), .events(["sales.LeadQualified"])),
        LeadRow(
            "qualify twice", given: [leadCaptured, .qualified(.init(leadId: "l_1", note: nil))], .qualify(leadId: "l_1", note: nil),
            .rejected("lead.alreadyQualified")),
        LeadRow("qualify unknown", .qualify(leadId: "l_9", note: nil), .rejected("lead.notFound")),
        LeadRow(
            "qualify disqualified", given: [leadCaptured, leadDisqualified], .qualify(leadId: "l_1", note: nil),
            .rejected("lead.disqualified")),
        LeadRow("disqualify", given: [leadCaptured], .disqualify(leadId: "l_1", reason: "no budget"), .events(["sales.LeadDisqualified"])),
        LeadRow("disqualify without reason", given: [leadCaptured], .disqualify(leadId: "l_1", reason: ""), .rejected("validation.failed")),
        LeadRow(
            "disqualify converted", given: [leadCaptured, leadConverted], .disqualify(leadId: "l_1", reason: "x"),
            .rejected("lead.converted")),
        LeadRow("update", given: [leadCaptured], .update(.init(leadId: "l_1", phone: "+12025550143")), .events(["sales.LeadUpdated"])),
        LeadRow(
            "update a qualified lead", given: [leadCaptured, .qualified(.init(leadId: "l_1", note: nil))],
            .update(.init(leadId: "l_1", companyName: "Navy")), .events(["sales.LeadUpdated"])),
        LeadRow(
            "update to the same details", given: [leadCaptured],
            .update(.init(leadId: "l_1", personName: PersonName(given: "Grace", family: "Hopper"), email: "GRACE@cobol.example")),
            .events([])),
        LeadRow("clear what the lead does not have", given: [leadCaptured], .update(.init(leadId: "l_1", clear: [.phone])), .events([])),
        LeadRow("update unknown", .update(.init(leadId: "l_9", phone: "+12025550143")), .rejected("lead.notFound")),
        LeadRow(
            "update disqualified", given: [leadCaptured, leadDisqualified], .update(.init(leadId: "l_1", phone: "+12025550143")),
            .rejected("lead.disqualified")),
        LeadRow(
            "update converted", given: [leadCaptured, leadConverted], .update(.init(leadId: "l_1", phone: "+12025550143")),
            .rejected("lead.converted")),
        LeadRow(
            "update converted, even to the same details", given: [leadCaptured, leadConverted],
            .update(.init(leadId: "l_1", email: "grace@cobol.example")), .rejected("lead.converted")),
        LeadRow(
            "update with a bad email and phone", given: [leadCaptured], .update(.init(leadId: "l_1", email: "grace@", phone: "555")),
            .rejected("validation.failed")),
        LeadRow("update with nothing", given: [leadCaptured], .update(.init(leadId: "l_1")), .rejected("validation.failed")),
        LeadRow(
            "update giving and clearing a detail", given: [leadCaptured],
            .update(.init(leadId: "l_1", phone: "+12025550143", clear: [.phone])), .rejected("validation.failed")),
        LeadRow(
            "clear the only contact", given: [leadCaptured], .update(.init(leadId: "l_1", clear: [.email])),
            .rejected("lead.contactMissing")),
        LeadRow(
            "clear the only name", given: [leadCaptured], .update(.init(leadId: "l_1", clear: [.personName])),
            .rejected("lead.nameMissing")),
        LeadRow(
            "replace the email by a phone", given: [leadCaptured], .update(.init(leadId: "l_1", phone: "+12025550143", clear: [.email])),
            .events(["sales.LeadUpdated"])),
        // Erasure is a legal obligation: whatever became of the lead, unless it became a customer.
        LeadRow("erase", given: [leadCaptured], eraseLead, .events(["sales.LeadErased"])),
        LeadRow("erase disqualified", given: [leadCaptured, leadDisqualified], eraseLead, .events(["sales.LeadErased"])),
        LeadRow("erase unknown", eraseLead, .rejected("lead.notFound")),
        LeadRow("erase twice", given: [leadCaptured, leadErased], eraseLead, .rejected("lead.erased")),
        LeadRow("erase converted", given: [leadCaptured, leadConverted], eraseLead, .rejected("lead.converted")),
        LeadRow(
            "erase without a legal basis", given: [leadCaptured], .recordErasure(leadId: "l_1", requestId: "dsr_2", legalBasis: ""),
            .rejected("validation.failed")),
        LeadRow("qualify erased", given: [leadCaptured, leadErased], .qualify(leadId: "l_1", note: nil), .rejected("lead.erased")),
        LeadRow(
            "update erased", given: [leadCaptured, leadErased], .update(.init(leadId: "l_1", phone: "+12025550143")),
            .rejected("lead.erased")),
    ]

    fileprivate static let opportunityRows: [OppRow] = [
        OppRow("open", .open(opening), .events(["sales.OpportunityOpened"])),
        OppRow("open twice", given: [opened], .open(opening), .rejected("opportunity.alreadyExists")),
        OppRow(
            "open with negative amount",
            .open(
                {
                    var o = opening; o.amount = money("-1"); return o
                }()), .rejected("validation.failed")),
        OppRow(
            "open with unknown currency",
            .open(
                {
                    var o = opening; o.amount = money("1", "XYZ"); return o
                }()), .rejected("validation.failed")),
        OppRow(
            "open with probability 101",
            .open(
                {
                    var o = opening; o.probability = 101; return o
                }()), .rejected("validation.failed")),
        OppRow(
            "move stage", given: [opened], .moveToStage(opportunityId: "op_1", stage: .proposal, probability: nil),
            .events(["sales.OpportunityStageChanged"])),
        OppRow(
            "move to same stage", given: [opened], .moveToStage(opportunityId: "op_1", stage: .prospecting, probability: nil),
            .rejected("opportunity.sameStage")),
        OppRow("move unknown", .moveToStage(opportunityId: "op_1", stage: .proposal, probability: nil), .rejected("opportunity.notFound")),
        OppRow(
            "move won", given: [opened, won], .moveToStage(opportunityId: "op_1", stage: .proposal, probability: nil),
            .rejected("opportunity.closed")),
        OppRow(
            "move lost", given: [opened, lost], .moveToStage(opportunityId: "op_1", stage: .proposal, probability: nil),
            .rejected("opportunity.closed")),
        OppRow(
            "change amount", given: [opened], .changeAmount(opportunityId: "op_1", amount: money("2000", "USD")),
            .events(["sales.OpportunityAmountChanged"])),
        OppRow(
            "change amount negative", given: [opened], .changeAmount(opportunityId: "op_1", amount: money("-5")),
            .rejected("validation.failed")),
        OppRow(
            "change amount on won", given: [opened, won], .changeAmount(opportunityId: "op_1", amount: money("5")),
            .rejected("opportunity.closed")),
        OppRow(
            "change close date", given: [opened], .changeCloseDate(opportunityId: "op_1", expectedCloseDate: date("2026-07-01")),
            .events(["sales.OpportunityCloseDateChanged"])),
        OppRow(
            "change close date on lost", given: [opened, lost],
            .changeCloseDate(opportunityId: "op_1", expectedCloseDate: date("2026-07-01")),
            .rejected("opportunity.closed")),
        OppRow(
            "change owner", given: [opened], .changeOwner(opportunityId: "op_1", ownerId: "u_kim"),
            .events(["sales.OpportunityOwnerChanged"])),
        OppRow("change owner to same", given: [opened], .changeOwner(opportunityId: "op_1", ownerId: "u_sam"), .events([])),
        OppRow("win", given: [opened], .win(opportunityId: "op_1"), .events(["sales.OpportunityWon"])),
        OppRow("win twice", given: [opened, won], .win(opportunityId: "op_1"), .rejected("opportunity.closed")),
        OppRow("win lost", given: [opened, lost], .win(opportunityId: "op_1"), .rejected("opportunity.closed")),
        OppRow("lose", given: [opened], .lose(opportunityId: "op_1", reason: "price"), .events(["sales.OpportunityLost"])),
        OppRow("lose without reason", given: [opened], .lose(opportunityId: "op_1", reason: "  "), .rejected("validation.failed")),
        OppRow("lose won", given: [opened, won], .lose(opportunityId: "op_1", reason: "x"), .rejected("opportunity.closed")),
        OppRow(
            "reopen won", given: [opened, won], .reopen(opportunityId: "op_1", stage: .negotiation), .events(["sales.OpportunityReopened"])),
        OppRow("reopen open", given: [opened], .reopen(opportunityId: "op_1", stage: .negotiation), .rejected("opportunity.notClosed")),
        OppRow(
            "move after reopen",
            given: [opened, lost, .reopened(.init(opportunityId: "op_1", customerId: "c_1", stage: .proposal, probability: 50))],
            .moveToStage(opportunityId: "op_1", stage: .negotiation, probability: 80), .events(["sales.OpportunityStageChanged"])),
    ]

    fileprivate static let taskRows: [TaskRow] = [
        TaskRow(
            "schedule", .schedule(taskId: "t_1", customerId: "c_1", title: "Call", dueAt: now, assigneeId: "u_sam"),
            .events(["sales.TaskScheduled"])),
        TaskRow(
            "schedule twice", given: [scheduled],
            .schedule(taskId: "t_1", customerId: "c_1", title: "Call", dueAt: now, assigneeId: "u_sam"),
            .rejected("task.alreadyExists")),
        TaskRow(
            "schedule without title", .schedule(taskId: "t_1", customerId: "c_1", title: "", dueAt: now, assigneeId: "u_sam"),
            .rejected("validation.failed")),
        TaskRow("reassign", given: [scheduled], .reassign(taskId: "t_1", assigneeId: "u_kim"), .events(["sales.TaskReassigned"])),
        TaskRow("reassign to same", given: [scheduled], .reassign(taskId: "t_1", assigneeId: "u_sam"), .rejected("task.sameAssignee")),
        TaskRow("reassign unknown", .reassign(taskId: "t_1", assigneeId: "u_kim"), .rejected("task.notFound")),
        TaskRow("complete", given: [scheduled], .complete(taskId: "t_1", outcome: "done"), .events(["sales.TaskCompleted"])),
        TaskRow(
            "complete twice", given: [scheduled, .completed(.init(taskId: "t_1", customerId: "c_1", completedAt: now, outcome: nil))],
            .complete(taskId: "t_1", outcome: nil), .rejected("task.completed")),
        TaskRow("cancel", given: [scheduled], .cancel(taskId: "t_1", reason: nil), .events(["sales.TaskCancelled"])),
        TaskRow(
            "complete cancelled", given: [scheduled, .cancelled(.init(taskId: "t_1", customerId: "c_1", reason: nil))],
            .complete(taskId: "t_1", outcome: nil), .rejected("task.cancelled")),
    ]

    fileprivate static let activityRows: [ActivityRow] = [
        ActivityRow("log", .log(loggedCall), .events(["sales.ActivityLogged"])),
        ActivityRow("log twice", given: [.logged(loggedCall)], .log(loggedCall), .rejected("activity.alreadyExists")),
        ActivityRow(
            "log in the future",
            .log(
                {
                    var a = loggedCall; a.occurredAt = now.adding(seconds: 3600); return a
                }()), .rejected("activity.inFuture")),
        ActivityRow(
            "log negative duration",
            .log(
                {
                    var a = loggedCall; a.durationSeconds = -1; return a
                }()), .rejected("validation.failed")),
        ActivityRow(
            "email on phone channel",
            .log(
                {
                    var a = loggedCall; a.kind = .email; return a
                }()), .rejected("validation.failed")),
    ]

    fileprivate static let orderRows: [OrderRow] = [
        OrderRow(
            "record",
            .record(
                orderId: "o_1", customerId: "c_1", opportunityId: "op_1", lines: [line], currency: "EUR", orderDate: date("2026-04-01")),
            .events(["sales.OrderRecorded"])),
        OrderRow(
            "record twice",
            given: [
                .recorded(
                    .init(
                        orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: [line], currency: "EUR", total: 6,
                        orderDate: date("2026-04-01")))
            ],
            .record(orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: [line], currency: "EUR", orderDate: date("2026-04-01")),
            .rejected("order.alreadyExists")),
        OrderRow(
            "record without lines",
            .record(orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: [], currency: "EUR", orderDate: date("2026-04-01")),
            .rejected("validation.failed")),
        OrderRow(
            "record with bad currency",
            .record(orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: [line], currency: "eur", orderDate: date("2026-04-01")),
            .rejected("validation.failed")),
        OrderRow(
            "record with negative price",
            .record(
                orderId: "o_1", customerId: "c_1", opportunityId: nil,
                lines: [OrderLine(sku: "A", description: "x", quantity: 1, unitPrice: -1)], currency: "EUR",
                orderDate: date("2026-04-01")), .rejected("validation.failed")),
        OrderRow(
            "record dated in the future",
            .record(orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: [line], currency: "EUR", orderDate: date("2027-01-01")),
            .rejected("order.dateInFuture")),
    ]

    fileprivate static let customerOrderRows: [CustomerOrderRow] = [
        CustomerOrderRow("record for an active customer", customer: [adaRegistered], adaOrder, .events(["sales.OrderRecorded"])),
        CustomerOrderRow("record for an unknown customer", customer: [], adaOrder, .rejected("customer.notFound")),
        CustomerOrderRow("record for a merged customer", customer: [adaRegistered, adaMerged], adaOrder, .rejected("customer.merged")),
        CustomerOrderRow("record for a closed customer", customer: [adaRegistered, adaClosed], adaOrder, .rejected("customer.closed")),
        CustomerOrderRow("record for an erased customer", customer: [adaRegistered, adaErased], adaOrder, .rejected("customer.erased")),
        CustomerOrderRow(
            "shape is checked before the customer", customer: [],
            .record(
                orderId: "o_1", customerId: ada, opportunityId: nil, lines: [], currency: "EUR",
                orderDate: date("2026-04-01")),
            .rejected("validation.failed")),
        CustomerOrderRow(
            "record twice", customer: [adaRegistered],
            given: [
                .recorded(
                    .init(
                        orderId: "o_1", customerId: ada, opportunityId: nil, lines: [line], currency: "EUR",
                        total: 6, orderDate: date("2026-04-01")))
            ],
            adaOrder, .rejected("order.alreadyExists")),
    ]

    fileprivate static let customerTaskRows: [CustomerTaskRow] = [
        CustomerTaskRow("schedule for an active customer", customer: [adaRegistered], adaTask, .events(["sales.TaskScheduled"])),
        CustomerTaskRow("schedule for an unknown customer", customer: [], adaTask, .rejected("customer.notFound")),
        CustomerTaskRow("schedule for a merged customer", customer: [adaRegistered, adaMerged], adaTask, .rejected("customer.merged")),
        CustomerTaskRow("schedule for a closed customer", customer: [adaRegistered, adaClosed], adaTask, .rejected("customer.closed")),
        CustomerTaskRow("schedule for an erased customer", customer: [adaRegistered, adaErased], adaTask, .rejected("customer.erased")),
        CustomerTaskRow(
            "shape is checked before the customer", customer: [],
            .schedule(taskId: "t_1", customerId: ada, title: "", dueAt: now, assigneeId: "u_sam"),
            .rejected("validation.failed")),
        CustomerTaskRow(
            "other commands do not read the customer", customer: [], given: [scheduled],
            .complete(taskId: "t_1", outcome: "done"), .events(["sales.TaskCompleted"])),
    ]

    @Test(arguments: customerOrderRows) fileprivate func orderForCustomer(_ row: CustomerOrderRow) {
        row.check { command, state, customer throws(Rejection) in try OrderDecider.decideRecord(command, state, customer: customer, ctx) }
    }

    @Test(arguments: customerTaskRows) fileprivate func taskForCustomer(_ row: CustomerTaskRow) {
        row.check { command, state, customer throws(Rejection) in try TaskDecider.decideSchedule(command, state, customer: customer, ctx) }
    }

    @Test func orderAndTaskForAMergedCustomerPointAtTheSurvivor() throws {
        let merged = Fixture.customer([adaRegistered, adaMerged])
        let order = try #require(
            expectRejection("customer.merged") {
                try OrderDecider.decideRecord(adaOrder, OrderState(), customer: merged, ctx)
            })
        #expect(order.survivorId == "c_s" && order.kind == .conflict && order.path == "/customerId")
        let task = try #require(
            expectRejection("customer.merged") {
                try TaskDecider.decideSchedule(adaTask, TaskState(), customer: merged, ctx)
            })
        #expect(task.survivorId == "c_s")
        let unknown = expectRejection("customer.notFound") {
            try OrderDecider.decideRecord(adaOrder, OrderState(), customer: CustomerState(), ctx)
        }
        #expect(unknown?.kind == .notFound)
    }

    @Test(arguments: leadRows) fileprivate func lead(_ row: LeadRow) { row.check() }
    @Test(arguments: opportunityRows) fileprivate func opportunity(_ row: OppRow) { row.check() }
    @Test(arguments: taskRows) fileprivate func task(_ row: TaskRow) { row.check() }
    @Test(arguments: activityRows) fileprivate func activity(_ row: ActivityRow) { row.check() }
    @Test(arguments: orderRows) fileprivate func order(_ row: OrderRow) { row.check() }

    @Test func stageMoveUsesDefaultProbability() throws {
        let events = try OpportunityDecider.decide(
            .moveToStage(opportunityId: "op_1", stage: .negotiation, probability: nil),
            OpportunityDecider.fold([opened]), ctx)
        #expect(
            events == [
                .stageChanged(.init(opportunityId: "op_1", customerId: "c_1", from: .prospecting, to: .negotiation, probability: 75))
            ])
    }

    @Test func orderTotalIsTheSumOfLines() throws {
        let lines = [
            OrderLine(sku: "A", description: "a", quantity: 3, unitPrice: money("19.99").amount),
            OrderLine(sku: "B", description: "b", quantity: 1, unitPrice: money("0.03").amount),
        ]
        let events = try OrderDecider.decide(
            .record(
                orderId: "o_1", customerId: "c_1", opportunityId: nil, lines: lines, currency: "JPY",
                orderDate: date("2026-03-31")), OrderState(), ctx)
        guard case .recorded(let order) = events.first else { Issue.record(); return }
        #expect(order.total == money("60.00").amount)
    }

    @Test func openingChecksTheCustomer() {
        expectRejection("customer.notFound") {
            try OpportunityDecider.decideOpen(opening, opportunity: OpportunityState(), customer: CustomerState(), ctx)
        }
        let closedCustomer = Fixture.customer([Fixture.adaRegistered, .closed(.init(customerId: Fixture.ada, reason: nil))])
        var o = opening
        o.customerId = Fixture.ada
        expectRejection("customer.closed") {
            try OpportunityDecider.decideOpen(o, opportunity: OpportunityState(), customer: closedCustomer, ctx)
        }
        let erasedCustomer = Fixture.customer([adaRegistered, adaErased])
        let r = expectRejection("customer.erased") {
            try OpportunityDecider.decideOpen(o, opportunity: OpportunityState(), customer: erasedCustomer, ctx)
        }
        #expect(r?.path == "/customerId")
    }

    @Test func activityLogChecksTheCustomer() {
        expectRejection("customer.notFound") {
            try ActivityDecider.decideLog(.log(loggedCall), ActivityState(), customer: CustomerState(), ctx)
        }
    }
}

@Suite("Lead updates")
struct LeadUpdateTests {
    @Test("An update records only the details that changed, with their new values, and the lead then holds them")
    func onlyChangedDetails() throws {
        let update = LeadCommand.DetailChanges(
            leadId: "l_1", personName: PersonName(given: "Grace", family: "Hopper"), companyName: "US Navy",
            email: "Grace.Hopper@Navy.example")
        let events = try LeadDecider.decide(.update(update), captured, ctx)
        guard case .updated(let updated)? = events.first, events.count == 1 else {
            Issue.record("expected one LeadUpdated, got \(events)")
            return
        }
        #expect(updated.personName == nil, "the name did not change")
        #expect(updated.companyName == "US Navy")
        #expect(updated.email == "grace.hopper@navy.example", "normalised like a capture")
        #expect(updated.phone == nil && updated.cleared.isEmpty)
        // Members that did not change are absent from the stored payload, not null.
        guard case .object(let members) = events[0].payload else {
            Issue.record("payload is not an object")
            return
        }
        #expect(Set(members.keys) == ["leadId", "companyName", "email"])

        let after = LeadDecider.evolve(captured, events[0])
        #expect(after.email == "grace.hopper@navy.example" && after.companyName == "US Navy")
        #expect(after.personName == captured.personName && after.source == captured.source && after.status == .open)
        #expect(after.formerContacts == ["grace@cobol.example"], "erasure must still find the replaced address")
        #expect(try LeadDecider.decide(.update(update), after, ctx).isEmpty, "the same update again changes nothing")
    }

    @Test("Clearing removes a detail while the lead keeps an email or a phone and a person or company name")
    func clearing() throws {
        let withCompany = LeadDecider.evolve(
            captured,
            try LeadDecider.decide(.update(.init(leadId: "l_1", companyName: "Cobol Inc", phone: "+12025550143")), captured, ctx)[0]
        )
        let events = try LeadDecider.decide(.update(.init(leadId: "l_1", clear: [.phone, .personName])), withCompany, ctx)
        guard case .updated(let updated)? = events.first else {
            Issue.record("expected a LeadUpdated, got \(events)")
            return
        }
        #expect(updated.cleared == [.personName, .phone], "in declaration order")
        let after = LeadDecider.evolve(withCompany, events[0])
        #expect(after.personName == nil && after.phone == nil)
        #expect(after.companyName == "Cobol Inc" && after.email == "grace@cobol.example")
        #expect(after.formerContacts == ["+12025550143"])
        // Now the company name and the email are all that is left: neither can go.
        expectRejection("lead.nameMissing") { try LeadDecider.decide(.update(.init(leadId: "l_1", clear: [.companyName])), after, ctx) }
        let rejection = expectRejection("lead.contactMissing") {
            try LeadDecider.decide(.update(.init(leadId: "l_1", clear: [.email, .phone])), after, ctx)
        }
        #expect(rejection?.kind == .conflict)
    }

    @Test("Every invalid detail is reported at once, with its path")
    func validation() {
        let rejection = expectRejection("validation.failed") {
            try LeadDecider.decide(
                .update(
                    .init(
                        leadId: "l_1", personName: PersonName(given: "", family: "Hopper"), companyName: " ", email: "grace@",
                        phone: "555", clear: [.email])), captured, ctx)
        }
        #expect(
            Set(rejection?.issues.map(\.path) ?? []) == ["/personName/given", "/companyName", "/email", "/phone"],
            "\(rejection?.issues ?? [])")
    }

    @Test("The stored form decodes to the same event, cleared details included")
    func roundTrip() throws {
        let event = LeadEvent.updated(
            .init(leadId: "l_1", personName: nil, companyName: "Navy", email: nil, phone: nil, cleared: [.personName, .phone]))
        let encoded = DomainEvent.lead(event).encoded()
        #expect(String(decoding: encoded.payload, as: UTF8.self).contains(#""cleared":["personName","phone"]"#))
        let decoded = try EventCatalogue.decode(type: encoded.type, schemaVersion: encoded.schemaVersion, payload: encoded.payload)
        #expect(decoded == .lead(event))
        #expect(EventCatalogue.personalDataPaths(type: "sales.LeadUpdated", schemaVersion: 1) == ["/personName", "/email", "/phone"])
        #expect(throws: EventDecodingError.self) {
            try EventCatalogue.decode(
                type: "sales.LeadUpdated", schemaVersion: 1, payload: Array(#"{"leadId":"l_1","cleared":["fax"]}"#.utf8))
        }
    }
}

@Suite("Lead conversion")
struct LeadConversionTests {
    static func conversion(_ target: LeadConversion.CustomerTarget) -> LeadConversion {
        LeadConversion(
            leadId: "l_1", customer: target, opportunityId: "op_1", opportunityName: "First deal", amount: money("500"),
            expectedCloseDate: date("2026-05-31"), ownerId: "u_sam")
    }

    @Test func convertingRegistersTheCustomerAndOpensTheOpportunity() throws {
        let out = try LeadDecider.decideConversion(
            Self.conversion(.register(newCustomerId: "c_new")), lead: captured,
            customer: CustomerState(), opportunity: OpportunityState(), ctx)
        #expect(out.map(\.stream.description) == ["customer-c_new", "customer-c_new", "opportunity-op_1", "lead-l_1"])
        #expect(
            out.map(\.event.type) == [
                "customers.CustomerRegistered", "customers.ConsentGranted", "sales.OpportunityOpened", "sales.LeadConverted",
            ])
        guard case .customer(.registered(let registered)) = out[0].event, case .opportunity(.opened(let opened)) = out[2].event else {
            Issue.record("unexpected events")
            return
        }
        #expect(registered.emails == ["grace@cobol.example"])
        #expect(registered.personName == PersonName(given: "Grace", family: "Hopper"))
        #expect(opened.campaignId == "cmp_1")
        #expect(opened.leadId == "l_1")
        #expect(out.allSatisfy { $0.event.subject == "c_new" })
    }

    @Test func convertingLinksAnExistingCustomer() throws {
        let existing = Fixture.customer([Fixture.adaRegistered])
        let out = try LeadDecider.decideConversion(
            Self.conversion(.link(existingCustomerId: Fixture.ada)), lead: captured,
            customer: existing, opportunity: OpportunityState(), ctx)
        #expect(out.map(\.event.type) == ["customers.ConsentGranted", "sales.OpportunityOpened", "sales.LeadConverted"])
        // Consent the customer already has is not granted again.
        let consenting = Fixture.customer([Fixture.adaRegistered, Fixture.consent()])
        let again = try LeadDecider.decideConversion(
            Self.conversion(.link(existingCustomerId: Fixture.ada)), lead: captured,
            customer: consenting, opportunity: OpportunityState(), ctx)
        #expect(again.map(\.event.type) == ["sales.OpportunityOpened", "sales.LeadConverted"])
    }

    /// Consents that `decideConversion` grants to the linked customer `history`, for a lead captured with `consents`.
    static func grantedOnLink(_ history: [CustomerEvent], leadConsents consents: [ConsentGrant]? = nil) throws -> [ConsentKey] {
        var lead = captured
        if let consents {
            var c = capture
            c.consents = consents
            lead = LeadDecider.fold(try LeadDecider.decide(.capture(c), LeadState(), ctx))
        }
        let out = try LeadDecider.decideConversion(
            Self.conversion(.link(existingCustomerId: Fixture.ada)), lead: lead,
            customer: Fixture.customer(history), opportunity: OpportunityState(), ctx)
        return out.compactMap { if case .customer(.consentGranted(let g)) = $0.event { ConsentKey(g.channel, g.purpose) } else { nil } }
    }

    @Test func linkingDoesNotOverrideAWithdrawal() throws {
        let withdrawn: CustomerEvent = .consentWithdrawn(
            .init(
                customerId: Fixture.ada, channel: .email, purpose: .marketing, source: "call", withdrawnAt: now))
        #expect(try Self.grantedOnLink([Fixture.adaRegistered, Fixture.consent(), withdrawn]).isEmpty)
    }

    @Test func linkingDoesNotOverrideAnUnsubscribe() throws {
        // Unsubscribed without ever consenting: there is no consent record, but the opt-out stands.
        let unsubscribed: CustomerEvent = .unsubscribed(.init(customerId: Fixture.ada, channel: .email, campaignId: nil))
        #expect(try Self.grantedOnLink([Fixture.adaRegistered, unsubscribed]).isEmpty)
        // Nor for another purpose on that channel.
        let service = ConsentGrant(channel: .email, purpose: .service, legalBasis: .contract, source: "webinar")
        #expect(try Self.grantedOnLink([Fixture.adaRegistered, unsubscribed], leadConsents: [service]).isEmpty)
    }

    @Test func linkingGrantsOnlyConsentsWithoutARecord() throws {
        let emailMarketing = ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "webinar")
        let smsMarketing = ConsentGrant(channel: .sms, purpose: .marketing, legalBasis: .consent, source: "webinar")
        let history = [Fixture.adaRegistered, Fixture.consent(.email, .service)]
        // The customer's email/service record does not cover email/marketing; a repeated lead consent is granted once.
        #expect(
            try Self.grantedOnLink(history, leadConsents: [emailMarketing, smsMarketing, emailMarketing])
                == [ConsentKey(.email, .marketing), ConsentKey(.sms, .marketing)])
    }

    @Test func conversionRules() {
        let disqualified = LeadDecider.evolve(captured, leadDisqualified)
        expectRejection("lead.disqualified") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: "c_new")), lead: disqualified,
                customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        let converted = LeadDecider.evolve(captured, leadConverted)
        expectRejection("lead.converted") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: "c_new")), lead: converted,
                customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        // An erased lead's details are gone: there is nothing left to make a customer of.
        let erased = LeadDecider.evolve(captured, leadErased)
        #expect(erased.erased && erased.email == nil && erased.personName == nil)
        expectRejection("lead.erased") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: "c_new")), lead: erased,
                customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        expectRejection("lead.notFound") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: "c_new")), lead: LeadState(),
                customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        expectRejection("customer.alreadyExists") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: Fixture.ada)), lead: captured,
                customer: Fixture.customer([Fixture.adaRegistered]), opportunity: OpportunityState(), ctx)
        }
        expectRejection("customer.notFound") {
            try LeadDecider.decideConversion(
                Self.conversion(.link(existingCustomerId: "c_x")), lead: captured,
                customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        expectRejection("opportunity.alreadyExists") {
            try LeadDecider.decideConversion(
                Self.conversion(.register(newCustomerId: "c_new")), lead: captured,
                customer: CustomerState(), opportunity: OpportunityDecider.fold([opened]), ctx)
        }
        var bad = Self.conversion(.register(newCustomerId: "c_new"))
        bad.amount = money("-3", "ZZZ")
        let r = expectRejection("validation.failed") {
            try LeadDecider.decideConversion(bad, lead: captured, customer: CustomerState(), opportunity: OpportunityState(), ctx)
        }
        #expect(r?.issues.map(\.path) == ["/amount/amount", "/amount/currency"])
    }
}
