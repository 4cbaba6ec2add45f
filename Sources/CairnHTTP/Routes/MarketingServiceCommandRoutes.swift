import CairnDomain
import CairnService
import HTTPTypes

/// The marketing context's commands: campaigns, launches, sends, responses, unsubscribes.
enum MarketingCommandRoutes {
    static let tag = "marketing"

    static var all: [Route] {
        [
            .command(
                "/v1/campaigns", "createCampaign", "Create a campaign", tag: tag, roles: Roles.marketing,
                body: BodySchema(
                    "CreateCampaign", "",
                    [
                        .required("campaignId", .id), .required("name", .string(maxLength: 200)),
                        .required("channel", .enumeration(ContactChannel.self)), .optional("budget", .object(Schemas.money)),
                        .required("startDate", .date), .required("endDate", .date), .optional("segment", .object(Schemas.segment)),
                    ]),
                created: true
            ) { call in
                let b = call.body
                var issues: [FieldIssue] = []
                let segment = b.segment("segment", &issues)
                try requireValid(issues)
                let command = CampaignCommand.create(
                    campaignId: b.string("campaignId") ?? "", name: b.string("name") ?? "", channel: b.enumeration("channel") ?? .email,
                    budget: b.money("budget"), startDate: b.date("startDate") ?? CalendarDate(year: 1970, month: 1, day: 1)!,
                    endDate: b.date("endDate") ?? CalendarDate(year: 1970, month: 1, day: 1)!, segment: segment)
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/segment", "defineCampaignSegment", "Define a campaign's segment", tag: tag,
                roles: Roles.marketing, body: BodySchema("DefineSegment", "", [.required("segment", .object(Schemas.segment))])
            ) { call in
                var issues: [FieldIssue] = []
                let segment = call.body.segment("segment", &issues)
                try requireValid(issues)
                guard let segment else { throw Problem.invalid([FieldIssue(path: "/segment", message: "is required")]) }
                return CommandResult(
                    try await call.service.execute(.defineSegment(campaignId: try call.id("campaignId"), segment: segment), call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/launch", "launchCampaign",
                "Launch a campaign; with an audience, send to its eligible members and report the others", tag: tag,
                roles: Roles.marketing,
                body: BodySchema("LaunchCampaign", "", [.optional("audience", .array(.id, maxItems: 10_000), "Candidate customer ids.")])
            ) { call in
                let id = try call.id("campaignId")
                guard call.body.has("audience") else {
                    return CommandResult(try await call.service.execute(.launch(campaignId: id), call.metadata))
                }
                let launch = try await call.service.launch(campaign: id, audience: call.body.strings("audience"), call.metadata)
                let ineligible = launch.ineligible.map {
                    JSONValue.object(["customerId": .string($0.customerId), "code": .string($0.code), "message": .string($0.message)])
                }
                return CommandResult(launch.outcome, extra: ["ineligible": .array(ineligible)])
            },
            .command(
                "/v1/campaigns/{campaignId}/pause", "pauseCampaign", "Pause a running campaign", tag: tag, roles: Roles.marketing,
                body: BodySchema("PauseCampaign", "", [.optional("reason", .string(maxLength: 1000))])
            ) { call in
                CommandResult(
                    try await call.service.execute(
                        .pause(campaignId: try call.id("campaignId"), reason: call.body.string("reason")), call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/complete", "completeCampaign", "Complete a campaign", tag: tag, roles: Roles.marketing,
                body: Schemas.empty
            ) { call in
                CommandResult(try await call.service.execute(.complete(campaignId: try call.id("campaignId")), call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/sends", "sendCampaignMessage", "Send a campaign's message to one customer (needs consent)",
                tag: tag, roles: Roles.marketing, body: BodySchema("SendMessage", "", [.required("customerId", .id)]), created: true
            ) { call in
                CommandResult(
                    try await call.service.send(
                        campaign: try call.id("campaignId"), to: call.body.string("customerId") ?? "", call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/responses", "recordCampaignResponse",
                "Record a recipient's response (a hard bounce also invalidates the address)", tag: tag, roles: Roles.marketing,
                body: BodySchema(
                    "RecordResponse", "",
                    [.required("customerId", .id), .required("response", .object(Schemas.campaignResponse)), .optional("at", .dateTime)])
            ) { call in
                let b = call.body
                guard let r = b.object("response") else { throw Problem.invalid([FieldIssue(path: "/response", message: "is required")]) }
                func need(_ value: String?, _ field: String) throws -> String {
                    guard let value else {
                        throw Problem.invalid([FieldIssue(path: "/response/\(field)", message: "is required for this response type")])
                    }
                    return value
                }
                let response: CampaignResponse
                switch r.string("type") {
                case "delivered": response = .delivered
                case "opened": response = .opened
                case "clicked": response = .clicked(url: try need(r.string("url"), "url"))
                case "replied": response = .replied
                case "bounced":
                    guard let bounce = r.enumeration("bounceType", as: BounceType.self) else {
                        throw Problem.invalid([FieldIssue(path: "/response/bounceType", message: "is required for a bounce")])
                    }
                    response = .bounced(bounce, reason: try need(r.string("reason"), "reason"))
                default: response = .converted(opportunityId: r.string("opportunityId"), orderId: r.string("orderId"))
                }
                let command = CampaignCommand.recordResponse(
                    campaignId: try call.id("campaignId"), customerId: b.string("customerId") ?? "", response: response,
                    at: b.timestamp("at"))
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
            .command(
                "/v1/campaigns/{campaignId}/unsubscribes", "unsubscribeFromCampaign",
                "A recipient unsubscribes through a campaign (recorded on campaign and customer)", tag: tag, roles: Roles.marketing,
                body: BodySchema("CampaignUnsubscribe", "", [.required("customerId", .id)])
            ) { call in
                CommandResult(
                    try await call.service.unsubscribe(
                        campaign: try call.id("campaignId"), customer: call.body.string("customerId") ?? "", call.metadata))
            },
        ]
    }
}

/// The service context's commands: cases.
enum CaseCommandRoutes {
    static let tag = "service"

    static var all: [Route] {
        [
            .command(
                "/v1/cases", "openCase", "Open a service case", tag: tag, roles: Roles.service,
                body: BodySchema(
                    "OpenCase", "",
                    [
                        .required("caseId", .id), .required("customerId", .id), .required("channel", .enumeration(CaseChannel.self)),
                        .required("priority", .enumeration(CasePriority.self)), .required("subject", .string(maxLength: 300)),
                        .required("description", .string(maxLength: 20_000)),
                    ]),
                created: true
            ) { call in
                let b = call.body
                let command = CaseCommand.open(
                    caseId: b.string("caseId") ?? "", customerId: b.string("customerId") ?? "", channel: b.enumeration("channel") ?? .email,
                    priority: b.enumeration("priority") ?? .normal, subject: b.string("subject") ?? "",
                    description: b.string("description") ?? "")
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
            action("assign", "assignCase", "Assign a case to an agent", BodySchema("AssignCase", "", [.required("agentId", .id)])) {
                id, b in
                .assign(caseId: id, agentId: b.string("agentId") ?? "")
            },
            action(
                "messages", "recordCaseMessage", "Record a message on a case",
                BodySchema(
                    "RecordCaseMessage", "",
                    [
                        .required("messageId", .id), .required("author", .enumeration(MessageAuthor.self)), .optional("authorId", .id),
                        .required("body", .string(maxLength: 50_000)),
                    ]),
                created: true
            ) { id, b in
                .recordMessage(
                    caseId: id, messageId: b.string("messageId") ?? "", author: b.enumeration("author") ?? .customer,
                    authorId: b.string("authorId"), body: b.string("body") ?? "")
            },
            action(
                "escalate", "escalateCase", "Escalate a case one level",
                BodySchema(
                    "EscalateCase", "",
                    [.required("reason", .string(maxLength: 2000)), .optional("priority", .enumeration(CasePriority.self))])
            ) { id, b in .escalate(caseId: id, reason: b.string("reason") ?? "", priority: b.enumeration("priority")) },
            action(
                "priority", "changeCasePriority", "Change a case's priority",
                BodySchema("ChangeCasePriority", "", [.required("priority", .enumeration(CasePriority.self))])
            ) { id, b in .changePriority(caseId: id, priority: b.enumeration("priority") ?? .normal) },
            action(
                "resolve", "resolveCase", "Resolve a case",
                BodySchema("ResolveCase", "", [.required("resolution", .string(maxLength: 5000))])
            ) { id, b in .resolve(caseId: id, resolution: b.string("resolution") ?? "") },
            action(
                "reopen", "reopenCase", "Reopen a resolved case",
                BodySchema("ReopenCase", "", [.optional("reason", .string(maxLength: 2000))])
            ) {
                id, b in .reopen(caseId: id, reason: b.string("reason"))
            },
            action("close", "closeCase", "Close a case", Schemas.empty) { id, _ in .close(caseId: id) },
            action(
                "satisfaction", "recordCaseSatisfaction", "Record the customer's satisfaction (CSAT 1–5)",
                BodySchema(
                    "RecordSatisfaction", "",
                    [.required("score", .integer(minimum: 1, maximum: 5)), .optional("comment", .string(maxLength: 5000))])
            ) { id, b in .recordSatisfaction(caseId: id, score: b.int("score") ?? 0, comment: b.string("comment")) },
        ]
    }

    static func action(
        _ action: String, _ operationId: String, _ summary: String, _ body: BodySchema, created: Bool = false,
        _ make: @escaping @Sendable (CaseID, CheckedBody) -> CaseCommand
    ) -> Route {
        .command("/v1/cases/{caseId}/\(action)", operationId, summary, tag: tag, roles: Roles.service, body: body, created: created) {
            call in
            CommandResult(try await call.service.execute(make(try call.id("caseId"), call.body), call.metadata))
        }
    }
}
