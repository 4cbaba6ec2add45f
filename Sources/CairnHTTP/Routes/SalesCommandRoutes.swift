import CairnDomain
import CairnService
import Foundation
import HTTPTypes

/// The sales context's commands: leads, opportunities, activities, tasks, orders.
enum SalesCommandRoutes {
    static let tag = "sales"

    static var all: [Route] { leads + opportunities + activitiesTasksOrders }

    static var leads: [Route] {
        [
            .command(
                "/v1/leads", "captureLead", "Capture a lead", tag: tag, roles: Roles.sales,
                body: BodySchema(
                    "CaptureLead", "A lead needs an email or a phone, and a person or company name.",
                    [
                        .required("leadId", .id), .required("source", .string(maxLength: 200)), .optional("campaignId", .id),
                        .optional("personName", .object(Schemas.personName)), .optional("companyName", .string(maxLength: 200)),
                        .optional("email", .string(maxLength: 254)), .optional("phone", .string(maxLength: 40)),
                        .optional("consents", .array(.object(Schemas.consent), maxItems: 20)),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let capture = LeadCommand.Capture(
                    leadId: b.string("leadId") ?? "", source: b.string("source") ?? "", campaignId: b.string("campaignId"),
                    personName: b.personName, companyName: b.string("companyName"), email: b.string("email"), phone: b.string("phone"),
                    consents: b.objects("consents").map(CheckedBody.consent))
                return CommandResult(try await call.service.execute(.capture(capture), call.metadata))
            },
            .command(
                "/v1/leads/{leadId}/details", "updateLead", "Correct or complete a lead's contact details", tag: tag,
                roles: Roles.sales,
                body: BodySchema(
                    "UpdateLead",
                    "Details left out are unchanged; clear lists details to remove. A lead keeps an email or a phone, and a person or company name.",
                    [
                        .optional("personName", .object(Schemas.personName)), .optional("companyName", .string(maxLength: 200)),
                        .optional("email", .string(maxLength: 254)), .optional("phone", .string(maxLength: 40)),
                        .optional("clear", .array(.enumeration(LeadDetail.self), maxItems: LeadDetail.allCases.count)),
                    ])
            ) { call in
                let b = call.body
                let changes = LeadCommand.DetailChanges(
                    leadId: try call.id("leadId"), personName: b.personName, companyName: b.string("companyName"),
                    email: b.string("email"), phone: b.string("phone"),
                    clear: Set(b.strings("clear").compactMap(LeadDetail.init(rawValue:))))
                return CommandResult(try await call.service.execute(.update(changes), call.metadata))
            },
            .command(
                "/v1/leads/{leadId}/qualify", "qualifyLead", "Qualify a lead", tag: tag, roles: Roles.sales,
                body: BodySchema("QualifyLead", "", [.optional("note", .string(maxLength: 2000))])
            ) { call in
                CommandResult(
                    try await call.service.execute(.qualify(leadId: try call.id("leadId"), note: call.body.string("note")), call.metadata))
            },
            .command(
                "/v1/leads/{leadId}/disqualify", "disqualifyLead", "Disqualify a lead", tag: tag, roles: Roles.sales,
                body: BodySchema("DisqualifyLead", "", [.required("reason", .string(maxLength: 1000))])
            ) { call in
                CommandResult(
                    try await call.service.execute(
                        .disqualify(leadId: try call.id("leadId"), reason: call.body.string("reason") ?? ""), call.metadata))
            },
            .command(
                "/v1/leads/{leadId}/convert", "convertLead",
                "Convert a lead: register (or link) the customer and open the opportunity, atomically", tag: tag, roles: Roles.sales,
                body: BodySchema(
                    "ConvertLead", "Exactly one of newCustomerId and existingCustomerId.",
                    [
                        .optional("newCustomerId", .id), .optional("existingCustomerId", .id), .required("opportunityId", .id),
                        .required("opportunityName", .string(maxLength: 200)), .required("amount", .object(Schemas.money)),
                        .required("expectedCloseDate", .date), .required("ownerId", .id),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let target: LeadConversion.CustomerTarget
                switch (b.string("newCustomerId"), b.string("existingCustomerId")) {
                case (let new?, nil): target = .register(newCustomerId: new)
                case (nil, let existing?): target = .link(existingCustomerId: existing)
                default:
                    throw Problem.invalid([
                        FieldIssue(path: "/newCustomerId", message: "give exactly one of newCustomerId and existingCustomerId")
                    ])
                }
                guard let amount = b.money("amount"), let date = b.date("expectedCloseDate") else {
                    throw Problem.invalid([FieldIssue(path: "/amount", message: "must be a decimal amount and currency")])
                }
                let conversion = LeadConversion(
                    leadId: try call.id("leadId"), customer: target, opportunityId: b.string("opportunityId") ?? "",
                    opportunityName: b.string("opportunityName") ?? "", amount: amount, expectedCloseDate: date,
                    ownerId: b.string("ownerId") ?? "")
                return CommandResult(try await call.service.convertLead(conversion, call.metadata))
            },
        ]
    }

    static var opportunities: [Route] {
        [
            .command(
                "/v1/opportunities", "openOpportunity", "Open an opportunity", tag: tag, roles: Roles.sales,
                body: BodySchema(
                    "OpenOpportunity", "",
                    [
                        .required("opportunityId", .id), .required("customerId", .id), .required("name", .string(maxLength: 200)),
                        .required("amount", .object(Schemas.money)), .required("expectedCloseDate", .date), .required("ownerId", .id),
                        .optional("stage", .enumeration(OpportunityStage.self)),
                        .optional("probability", .integer(minimum: 0, maximum: 100)),
                        .optional("campaignId", .id), .optional("leadId", .id),
                    ]),
                created: true
            ) { call in
                let b = call.body
                guard let amount = b.money("amount"), let date = b.date("expectedCloseDate") else {
                    throw Problem.invalid([FieldIssue(path: "/amount", message: "must be a decimal amount and currency")])
                }
                let opening = OpportunityCommand.Opening(
                    opportunityId: b.string("opportunityId") ?? "", customerId: b.string("customerId") ?? "", name: b.string("name") ?? "",
                    amount: amount, expectedCloseDate: date, ownerId: b.string("ownerId") ?? "",
                    stage: b.enumeration("stage") ?? .prospecting,
                    probability: b.int("probability"), campaignId: b.string("campaignId"), leadId: b.string("leadId"))
                return CommandResult(try await call.service.execute(.open(opening), call.metadata))
            },
            opportunity(
                "stage", "moveOpportunityStage", "Move an opportunity to a pipeline stage",
                BodySchema(
                    "MoveStage", "",
                    [.required("stage", .enumeration(OpportunityStage.self)), .optional("probability", .integer(minimum: 0, maximum: 100))])
            ) { id, b in .moveToStage(opportunityId: id, stage: b.enumeration("stage") ?? .prospecting, probability: b.int("probability"))
            },
            opportunity(
                "amount", "changeOpportunityAmount", "Change an opportunity's amount",
                BodySchema("ChangeAmount", "", [.required("amount", .object(Schemas.money))])
            ) { id, b in .changeAmount(opportunityId: id, amount: b.money("amount") ?? Money(amount: 0, currency: "")) },
            opportunity(
                "close-date", "changeOpportunityCloseDate", "Change an opportunity's expected close date",
                BodySchema("ChangeCloseDate", "", [.required("expectedCloseDate", .date)])
            ) { id, b in
                .changeCloseDate(
                    opportunityId: id, expectedCloseDate: b.date("expectedCloseDate") ?? CalendarDate(year: 1970, month: 1, day: 1)!)
            },
            opportunity(
                "owner", "changeOpportunityOwner", "Hand an opportunity to another owner",
                BodySchema("ChangeOwner", "", [.required("ownerId", .id)])
            ) { id, b in .changeOwner(opportunityId: id, ownerId: b.string("ownerId") ?? "") },
            opportunity("win", "winOpportunity", "Mark an opportunity won", Schemas.empty) { id, _ in .win(opportunityId: id) },
            opportunity(
                "lose", "loseOpportunity", "Mark an opportunity lost",
                BodySchema("LoseOpportunity", "", [.required("reason", .string(maxLength: 1000))])
            ) { id, b in .lose(opportunityId: id, reason: b.string("reason") ?? "") },
            opportunity(
                "reopen", "reopenOpportunity", "Reopen a closed opportunity",
                BodySchema("ReopenOpportunity", "", [.required("stage", .enumeration(OpportunityStage.self))])
            ) { id, b in .reopen(opportunityId: id, stage: b.enumeration("stage") ?? .prospecting) },
        ]
    }

    static func opportunity(
        _ action: String, _ operationId: String, _ summary: String, _ body: BodySchema,
        _ make: @escaping @Sendable (OpportunityID, CheckedBody) -> OpportunityCommand
    ) -> Route {
        .command("/v1/opportunities/{opportunityId}/\(action)", operationId, summary, tag: tag, roles: Roles.sales, body: body) { call in
            CommandResult(try await call.service.execute(make(try call.id("opportunityId"), call.body), call.metadata))
        }
    }

    static var activitiesTasksOrders: [Route] {
        [
            .command(
                "/v1/activities", "logActivity", "Log a call, email, meeting or note on a customer", tag: tag, roles: [.sales, .service],
                body: BodySchema(
                    "LogActivity", "",
                    [
                        .required("activityId", .id), .required("customerId", .id), .required("kind", .enumeration(ActivityKind.self)),
                        .optional("direction", .enumeration(ActivityDirection.self)),
                        .optional("channel", .enumeration(ContactChannel.self)),
                        .required("occurredAt", .dateTime), .optional("durationSeconds", .integer(minimum: 0, maximum: 604_800)),
                        .optional("outcome", .string(maxLength: 500)),
                        .optional("participants", .array(.string(maxLength: 200), maxItems: 50)),
                        .optional("summary", .string(maxLength: 10_000)),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let logged = ActivityEvent.Logged(
                    activityId: b.string("activityId") ?? "", customerId: b.string("customerId") ?? "",
                    kind: b.enumeration("kind") ?? .note,
                    direction: b.enumeration("direction"), channel: b.enumeration("channel"),
                    occurredAt: b.timestamp("occurredAt") ?? CairnDomain.Timestamp(millisecondsSinceEpoch: 0),
                    durationSeconds: b.int("durationSeconds"), outcome: b.string("outcome"), participants: b.strings("participants"),
                    summary: b.string("summary"))
                return CommandResult(try await call.service.execute(ActivityCommand.log(logged), call.metadata))
            },
            .command(
                "/v1/tasks", "scheduleTask", "Schedule a follow-up task", tag: tag, roles: [.sales, .service],
                body: BodySchema(
                    "ScheduleTask", "",
                    [
                        .required("taskId", .id), .required("customerId", .id), .required("title", .string(maxLength: 500)),
                        .required("dueAt", .dateTime), .required("assigneeId", .id),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let command = TaskCommand.schedule(
                    taskId: b.string("taskId") ?? "", customerId: b.string("customerId") ?? "", title: b.string("title") ?? "",
                    dueAt: b.timestamp("dueAt") ?? CairnDomain.Timestamp(millisecondsSinceEpoch: 0),
                    assigneeId: b.string("assigneeId") ?? "")
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
            task("reassign", "reassignTask", "Reassign a task", BodySchema("ReassignTask", "", [.required("assigneeId", .id)])) { id, b in
                .reassign(taskId: id, assigneeId: b.string("assigneeId") ?? "")
            },
            task(
                "complete", "completeTask", "Complete a task",
                BodySchema("CompleteTask", "", [.optional("outcome", .string(maxLength: 2000))])
            ) {
                id, b in .complete(taskId: id, outcome: b.string("outcome"))
            },
            task("cancel", "cancelTask", "Cancel a task", BodySchema("CancelTask", "", [.optional("reason", .string(maxLength: 1000))])) {
                id, b in
                .cancel(taskId: id, reason: b.string("reason"))
            },
            .command(
                "/v1/orders", "recordOrder", "Record an order", tag: tag, roles: Roles.sales,
                body: BodySchema(
                    "RecordOrder", "",
                    [
                        .required("orderId", .id), .required("customerId", .id), .optional("opportunityId", .id),
                        .required("lines", .array(.object(Schemas.orderLine), maxItems: 1000)),
                        .required("currency", .string(maxLength: 3)),
                        .required("orderDate", .date),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let lines = b.objects("lines").map { line in
                    OrderLine(
                        sku: line.string("sku") ?? "", description: line.string("description") ?? "", quantity: line.int("quantity") ?? 0,
                        unitPrice: line.string("unitPrice").flatMap { Money($0, "EUR")?.amount } ?? 0)
                }
                let command = OrderCommand.record(
                    orderId: b.string("orderId") ?? "", customerId: b.string("customerId") ?? "", opportunityId: b.string("opportunityId"),
                    lines: lines, currency: b.string("currency") ?? "",
                    orderDate: b.date("orderDate") ?? CalendarDate(year: 1970, month: 1, day: 1)!)
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
        ]
    }

    static func task(
        _ action: String, _ operationId: String, _ summary: String, _ body: BodySchema,
        _ make: @escaping @Sendable (TaskID, CheckedBody) -> TaskCommand
    ) -> Route {
        .command("/v1/tasks/{taskId}/\(action)", operationId, summary, tag: tag, roles: [.sales, .service], body: body) { call in
            CommandResult(try await call.service.execute(make(try call.id("taskId"), call.body), call.metadata))
        }
    }
}
