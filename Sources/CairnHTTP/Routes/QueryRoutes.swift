import CairnDomain
import CairnProjections
import CairnService
import CairnStore
import HTTPTypes
import Hummingbird
import Logging

/// Reads from the read models. Every query accepts `atLeast`: the position a command returned,
/// which the answer must reflect (read your writes); the server waits for it, bounded, and
/// answers 503 with `Retry-After` when the read model is further behind.
enum QueryRoutes {
    typealias Read = @Sendable (ProjectionEngine) throws -> JSONValue
    typealias Prepare = @Sendable (inout QueryValues, Parameters, CairnDomain.Timestamp) throws -> Read

    static let atLeast = QueryParameter.query("atLeast", .integer(minimum: 0, maximum: Int.max), "A log position the answer must reflect.")
    static let limit = QueryParameter.query("limit", .integer(minimum: 1, maximum: 1000), "Page size (default 50).")
    static let cursor = QueryParameter.query("cursor", .string(maxLength: 800), "From the previous page's `next`.")

    static func query(
        _ path: String, _ operationId: String, _ summary: String, tag: String, roles: Set<AccessRole> = Roles.readers,
        projection: String, parameters: [QueryParameter] = [], schema: String, _ prepare: @escaping Prepare
    ) -> Route {
        Route(
            method: .get, path: path, operationId: operationId, summary: summary, tag: tag, access: .roles(roles),
            parameters: [atLeast] + parameters, success: .json(schema)
        ) { request, context, env in
            var values = QueryValues(request)
            let position = values.position("atLeast")
            let now = env.clock.now()
            let read = try prepare(
                &values, context.parameters, CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000))
            try values.finish()
            try checkAtLeast(position, env)
            do {
                let value = try await env.service.query(projection, atLeast: position, timeout: env.limits.atLeastTimeout, read)
                return Response.json(value)
            } catch let error as QueryError {
                throw Problem(error, retryAfterSeconds: 1)
            } catch let problem as Problem {
                throw problem
            } catch let error as any QueryArgumentError {
                throw Problem.badRequest(
                    "parameter.invalid", error.description, errors: [FieldIssue(path: error.parameter, message: error.description)])
            } catch {
                throw env.internalError("a query on \(projection)", error)
            }
        }
    }

    /// A position no command returned yet is a client's mistake, not something to wait for.
    static func checkAtLeast(_ position: UInt64?, _ env: HTTPEnvironment) throws {
        guard let position, position > env.log.committedThrough else { return }
        throw Problem(
            .badRequest, code: "query.positionAhead", title: "Invalid parameter",
            detail: "atLeast \(position) is past the log's head \(env.log.committedThrough): no command returned it.",
            errors: [FieldIssue(path: "atLeast", message: "is past the log's head")])
    }

    /// What an as-of route folds: the stream version and the position of the last event folded
    /// (0 when none), when it was recorded, and the state as JSON; nil when the stream is empty.
    typealias Fold = @Sendable (CairnService, String, AsOfPoint) throws -> (UInt64, UInt64, CairnStore.Timestamp?, JSONValue)?

    /// An aggregate as it stood at `asOf` or `asOfPosition`, folded from its own stream: the
    /// log, not a read model, is where history is kept, so every position a command returned
    /// is already there to read.
    static func asOf(
        _ path: String, _ operationId: String, _ summary: String, tag: String, id parameter: String, member: String, schema: String,
        _ fold: @escaping Fold
    ) -> Route {
        Route(
            method: .get, path: path, operationId: operationId, summary: summary + ", folded from its own stream", tag: tag,
            access: .roles(Roles.readers), parameters: [atLeast] + QueryValues.asOfParameters("The answer"), success: .json(schema)
        ) { request, context, env in
            let id = try context.parameters.id(parameter)
            var values = QueryValues(request)
            let position = values.position("atLeast")
            let point = values.asOfPoint()
            try values.finish()
            try checkAtLeast(position, env)
            guard let point else {
                throw Problem.badRequest(
                    "parameter.invalid", "give asOf or asOfPosition",
                    errors: [FieldIssue(path: "asOf", message: "give asOf or asOfPosition")])
            }
            let folded: (version: UInt64, position: UInt64, recordedAt: CairnStore.Timestamp?, state: JSONValue)?
            do { folded = try fold(env.service, id, point) } catch { throw env.internalError("folding \(id) as of \(point)", error) }
            guard let folded else { throw Problem.notFound("\(parameter) \(id)") }
            var object: [String: JSONValue] = [
                parameter: .string(id), "version": .number(Double(folded.version)), "position": .number(Double(folded.position)),
            ]
            // Version 0: nothing was recorded yet at that point, so there is no state to show.
            if folded.version > 0 { object[member] = folded.state }
            switch point {
            case .time(let time): object["asOf"] = .string(time.rfc3339)
            case .position(let position): object["asOfPosition"] = .number(Double(position))
            }
            if let at = folded.recordedAt { object["recordedAt"] = .string(at.rfc3339) }
            return Response.json(.object(object))
        }
    }

    static var all: [Route] { customers + sales + marketing + service }

    static var customers: [Route] {
        [
            query(
                "/v1/customers", "searchCustomers", "List or search customers", tag: "customers", projection: Customer360Query.projection,
                parameters: [
                    .query("name", .string(maxLength: 200), "Name prefix (per word or whole)."),
                    .query("email", .string(maxLength: 254), "Email prefix."),
                    .query("phone", .string(maxLength: 40), "Phone digits prefix."),
                    .query("tag", .string(maxLength: 64), "Exact tag."),
                    .query("includeMerged", .boolean, "Also list duplicates merged away."), limit, cursor,
                ], schema: "CustomerPage"
            ) { q, _, _ in
                let given = [
                    ("name", q.text("name")), ("email", q.text("email", max: 254)), ("phone", q.text("phone")), ("tag", q.text("tag")),
                ]
                .filter { $0.1 != nil }
                if given.count > 1 {
                    q.issues.append(FieldIssue(path: "name", message: "search by one of name, email, phone and tag at a time"))
                }
                let search: Customer360Search? = given.first.map { name, value in
                    switch name {
                    case "name": .name(value!)
                    case "email": .email(value!)
                    case "phone": .phone(value!)
                    default: .tag(value!)
                    }
                }
                let includeMerged = q.string("includeMerged") == "true"
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let found = try Customer360Query.list(
                        engine, search: search, includeMerged: includeMerged, limit: limit, cursor: cursor)
                    return page(found.items, next: found.next)
                }
            },
            query(
                "/v1/customers/{customerId}", "getCustomer", "A customer's 360° view", tag: "customers",
                projection: Customer360Query.projection,
                parameters: [.query("followMerges", .boolean, "Answer with the survivor for a merged duplicate (default true).")],
                schema: "Customer360"
            ) { q, p, _ in
                let id = try p.id("customerId")
                let follow = q.string("followMerges") != "false"
                return { engine in
                    guard let view = try Customer360Query.customer(engine, id: id, followMerges: follow) else {
                        throw Problem.notFound("Customer \(id)")
                    }
                    return view.api
                }
            },
            query(
                "/v1/customers/{customerId}/timeline", "getCustomerTimeline",
                "A customer's unified timeline of contact points and changes", tag: "customers",
                projection: CustomerTimelineQuery.projection,
                parameters: [
                    .query("kinds", .string(maxLength: 500), "Comma-separated entry kinds."),
                    .query("channels", .string(maxLength: 200), "Comma-separated channels."),
                    .query("actors", .string(maxLength: 500), "Comma-separated actors."),
                    .query("from", .dateTime, "Entries recorded at or after."),
                    .query("through", .dateTime, "Entries recorded at or before."),
                    .query("direction", .enumeration(["forward", "backward"]), "Oldest first (default) or newest first."),
                    .query("asOf", .dateTime, "The timeline as it stood at this time."),
                    .query("asOfPosition", .integer(minimum: 0, maximum: Int.max), "The timeline as it stood at this log position."),
                    limit, cursor,
                ], schema: "TimelinePage"
            ) { q, p, _ in
                let id = try p.id("customerId")
                var filter = CustomerTimelineFilter()
                for kind in q.list("kinds") {
                    if let k = CustomerTimelineKind(rawValue: kind) {
                        filter.kinds.insert(k)
                    } else {
                        q.issues.append(
                            FieldIssue(
                                path: "kinds",
                                message: "'\(kind)' is not one of \(CustomerTimelineKind.allCases.map(\.rawValue).joined(separator: ", "))")
                        )
                    }
                }
                filter.channels = Set(q.list("channels"))
                filter.actors = Set(q.list("actors"))
                filter.recordedFrom = q.timestamp("from")
                filter.recordedThrough = q.timestamp("through")
                var direction = CustomerTimelineDirection.forward
                switch q.string("direction") {
                case nil, "forward": break
                case "backward": direction = .backward
                default: q.issues.append(FieldIssue(path: "direction", message: "must be forward or backward"))
                }
                let asOf = q.timestamp("asOf")
                let asOfPosition = q.position("asOfPosition")
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { [filter, direction] engine in
                    let page: CustomerTimelinePage?
                    if let asOf {
                        page = try CustomerTimelineQuery.asOf(
                            engine, customerId: id, time: asOf, filter: filter, direction: direction, limit: limit, cursor: cursor)
                    } else if let asOfPosition {
                        page = try CustomerTimelineQuery.asOf(
                            engine, customerId: id, position: asOfPosition, filter: filter, direction: direction, limit: limit,
                            cursor: cursor)
                    } else {
                        page = try CustomerTimelineQuery.page(
                            engine, customerId: id, filter: filter, direction: direction, limit: limit, cursor: cursor)
                    }
                    guard let page else { throw Problem.notFound("Customer \(id)") }
                    var object: [String: JSONValue] = [
                        "requestedId": .string(page.requestedId), "customerId": .string(page.customerId),
                        "memberIds": .array(page.memberIds.map { .string($0) }),
                        "entries": .list(page.entries),
                    ]
                    if let next = page.next { object["next"] = .string(next) }
                    if let previous = page.previous { object["previous"] = .string(previous) }
                    return .object(object)
                }
            },
            asOf(
                "/v1/customers/{customerId}/as-of", "getCustomerAsOf", "The customer as it stood at a time or log position",
                tag: "customers", id: "customerId", member: "profile", schema: "CustomerAsOf"
            ) { service, id, point in
                try service.customer(id, asOf: point).map { ($0.version, $0.position, $0.recordedAt, $0.state.profileJSON) }
            },
            query(
                "/v1/customers/{customerId}/analysis", "getCustomerAnalysis", "A customer's RFM, lifetime value, churn risk and segments",
                tag: "analysis", projection: CustomerAnalysisProjector.projectionName,
                parameters: [.query("currency", .string(maxLength: 3), "Reporting currency (default EUR).")], schema: "CustomerAnalysis"
            ) { q, p, now in
                let id = try p.id("customerId")
                let options = CustomerAnalysisOptions(reportingCurrency: q.string("currency") ?? "EUR")
                return { engine in
                    guard let analysis = try CustomerAnalysisQueries(engine: engine).customer(id, now: now, options: options) else {
                        throw Problem.notFound("Customer \(id)")
                    }
                    return analysis.api
                }
            },
            query(
                "/v1/analysis/customers", "listCustomerAnalyses", "Customers ranked by lifetime value or churn risk", tag: "analysis",
                projection: CustomerAnalysisProjector.projectionName,
                parameters: [
                    .query("sort", .enumeration(["lifetimeValue", "churnRisk"]), "Ranking (default lifetimeValue)."),
                    .query("churn", .string(maxLength: 100), "Comma-separated churn levels."),
                    .query("rfm", .string(maxLength: 300), "Comma-separated RFM segments."), .query("tag", .string(maxLength: 64), "Tag."),
                    .query("owner", .id, "Owner."), .query("campaignSegment", .id, "Members of this campaign's segment."),
                    .query("currency", .string(maxLength: 3), "Reporting currency (default EUR)."), limit, cursor,
                ], schema: "CustomerAnalysisPage"
            ) { q, _, now in
                var sort = CustomerAnalysisSort.lifetimeValue
                if let text = q.string("sort") {
                    if let s = CustomerAnalysisSort(rawValue: text) {
                        sort = s
                    } else {
                        q.issues.append(FieldIssue(path: "sort", message: "must be lifetimeValue or churnRisk"))
                    }
                }
                var filter = CustomerAnalysisFilter(
                    tag: q.text("tag", max: 64), ownerId: q.id("owner"), campaignSegment: q.id("campaignSegment"))
                let churn = q.list("churn")
                if !churn.isEmpty { filter.churnLevels = Set(churn.compactMap { ChurnRisk.Level(rawValue: $0) }) }
                if churn.contains(where: { ChurnRisk.Level(rawValue: $0) == nil }) {
                    q.issues.append(
                        FieldIssue(path: "churn", message: "levels are \(ChurnRisk.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                    )
                }
                let rfm = q.list("rfm")
                if !rfm.isEmpty { filter.rfmSegments = Set(rfm.compactMap { RFMSegment(rawValue: $0) }) }
                if rfm.contains(where: { RFMSegment(rawValue: $0) == nil }) {
                    q.issues.append(
                        FieldIssue(path: "rfm", message: "segments are \(RFMSegment.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                let options = CustomerAnalysisOptions(reportingCurrency: q.string("currency") ?? "EUR")
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { [filter, sort] engine in
                    let result = try CustomerAnalysisQueries(engine: engine).customers(
                        sortedBy: sort, now: now, options: options, filter: filter, limit: limit, cursor: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            query(
                "/v1/analysis/rfm", "getRfmDistribution", "How customers spread over RFM scores and segments", tag: "analysis",
                projection: CustomerAnalysisProjector.projectionName,
                parameters: [.query("currency", .string(maxLength: 3), "Reporting currency (default EUR).")], schema: "RfmDistribution"
            ) { q, _, now in
                let currency = q.string("currency") ?? "EUR"
                return { engine in
                    try CustomerAnalysisQueries(engine: engine).rfmDistribution(now: now, currency: currency).api
                }
            },
        ]
    }

    static var sales: [Route] {
        let pipelineFilter: [QueryParameter] = [
            .query("owner", .id, "Owner."), .query("stage", .enumeration(OpportunityStage.self), "Stage."),
            .query("fromMonth", .string(maxLength: 7), "First close month, YYYY-MM."),
            .query("throughMonth", .string(maxLength: 7), "Last close month, YYYY-MM."),
        ]
        return [
            query(
                "/v1/opportunities", "listOpenOpportunities", "Open opportunities", tag: "sales", projection: SalesPipelineProjector().name,
                parameters: pipelineFilter + [limit, cursor], schema: "OpportunityPage"
            ) { q, _, _ in
                let filter = pipeline(&q)
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let result = try SalesPipelineQueries(engine).openOpportunities(filter, limit: limit, after: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            asOf(
                "/v1/opportunities/{opportunityId}/as-of", "getOpportunityAsOf", "The opportunity as it stood at a time or log position",
                tag: "sales", id: "opportunityId", member: "opportunity", schema: "OpportunityAsOf"
            ) { service, id, point in
                try service.opportunity(id, asOf: point).map { ($0.version, $0.position, $0.recordedAt, $0.state.json) }
            },
            query(
                "/v1/pipeline", "getPipeline", "Open pipeline by close month, stage, owner and currency", tag: "sales",
                projection: SalesPipelineProjector().name, parameters: pipelineFilter, schema: "Pipeline"
            ) { q, _, _ in
                let filter = pipeline(&q)
                return { engine in .object(["cells": .list(try SalesPipelineQueries(engine).pipeline(filter))]) }
            },
            query(
                "/v1/pipeline/forecast", "getForecast", "Weighted forecast by month, owner and currency", tag: "sales",
                projection: SalesPipelineProjector().name, parameters: pipelineFilter, schema: "Forecast"
            ) { q, _, _ in
                let filter = pipeline(&q)
                return { engine in .object(["rows": .list(try SalesPipelineQueries(engine).forecast(filter))]) }
            },
            query(
                "/v1/pipeline/win-rates", "getWinRates", "Win rates overall and by owner", tag: "sales",
                projection: SalesPipelineProjector().name,
                parameters: [.query("owner", .id, "Owner.")], schema: "WinRates"
            ) { q, _, _ in
                let owner = q.id("owner")
                return { engine in try SalesPipelineQueries(engine).winRates(owner: owner).api }
            },
        ]
    }

    static func pipeline(_ q: inout QueryValues) -> PipelineFilter {
        func month(_ name: String) -> PipelineMonth? {
            guard let text = q.string(name) else { return nil }
            let parts = text.split(separator: "-")
            guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), (1...9999).contains(y) else {
                q.issues.append(FieldIssue(path: name, message: "must be a month as YYYY-MM"))
                return nil
            }
            return PipelineMonth(year: y, month: m)
        }
        return PipelineFilter(
            owner: q.id("owner"), stage: q.enumeration("stage", OpportunityStage.self), fromMonth: month("fromMonth"),
            throughMonth: month("throughMonth"))
    }

    static var marketing: [Route] {
        [
            query(
                "/v1/campaigns", "listCampaigns", "Campaigns and their performance", tag: "marketing",
                projection: CampaignPerformanceProjector().name,
                parameters: [.query("status", .string(maxLength: 20), "Only campaigns in this status."), limit, cursor],
                schema: "CampaignPage"
            ) { q, _, _ in
                let status = q.text("status", max: 20)
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let result = try CampaignPerformanceQueries(engine).campaigns(status: status, limit: limit, after: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            query(
                "/v1/campaigns/{campaignId}", "getCampaign", "A campaign's performance", tag: "marketing",
                projection: CampaignPerformanceProjector().name, schema: "CampaignPerformance"
            ) { _, p, _ in
                let id = try p.id("campaignId")
                return { engine in
                    guard let campaign = try CampaignPerformanceQueries(engine).campaign(id) else {
                        throw Problem.notFound("Campaign \(id)")
                    }
                    return campaign.api
                }
            },
            query(
                "/v1/campaigns/{campaignId}/segment-members", "getCampaignSegmentMembers", "The customers a campaign's segment selects now",
                tag: "marketing", projection: CustomerAnalysisProjector.projectionName, parameters: [limit, cursor],
                schema: "SegmentMembers"
            ) { q, p, now in
                let id = try p.id("campaignId")
                let limit = q.int("limit", default: 100, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    try CustomerAnalysisQueries(engine: engine).segmentMembers(campaign: id, now: now, limit: limit, cursor: cursor).api
                }
            },
        ]
    }

    static var service: [Route] {
        let filter: [QueryParameter] = [
            .query("priority", .enumeration(CasePriority.self), "Priority."), .query("assignee", .id, "Assigned agent."),
        ]
        @Sendable func deskFilter(_ q: inout QueryValues) -> ServiceDeskFilter {
            ServiceDeskFilter(priority: q.enumeration("priority", CasePriority.self), assignee: q.id("assignee"))
        }
        let desk = ServiceDeskProjector().name
        return [
            query(
                "/v1/cases", "listOpenCases", "Open cases, oldest first", tag: "service", projection: desk,
                parameters: filter + [limit, cursor], schema: "CasePage"
            ) {
                q, _, now in
                let f = deskFilter(&q)
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let result = try ServiceDeskQueries(engine).openCases(now: now, f, limit: limit, after: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            query(
                "/v1/cases/breakdown", "getOpenCaseBreakdown", "Open cases by priority, assignee and age", tag: "service", projection: desk,
                parameters: filter, schema: "CaseBreakdown"
            ) {
                q, _, now in
                let f = deskFilter(&q)
                return { engine in try ServiceDeskQueries(engine).openCaseBreakdown(now: now, f).api }
            },
            query(
                "/v1/cases/sla/due", "listSlaDueSoon", "SLA deadlines falling due soon", tag: "service", projection: desk,
                parameters: filter + [
                    .query("withinSeconds", .integer(minimum: 1, maximum: 31_536_000), "Horizon (default 3600)."), limit, cursor,
                ],
                schema: "SlaDeadlinePage"
            ) { q, _, now in
                let f = deskFilter(&q)
                let within = q.int("withinSeconds", default: 3600, range: 1...31_536_000)
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let result = try ServiceDeskQueries(engine).slaDueSoon(now: now, withinSeconds: within, f, limit: limit, after: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            query(
                "/v1/cases/sla/breached", "listSlaBreached", "SLA deadlines missed", tag: "service", projection: desk,
                parameters: filter + [limit, cursor], schema: "SlaDeadlinePage"
            ) { q, _, now in
                let f = deskFilter(&q)
                let limit = q.int("limit", default: 50, range: 1...1000)
                let cursor = q.cursor()
                return { engine in
                    let result = try ServiceDeskQueries(engine).slaBreached(now: now, f, limit: limit, after: cursor)
                    return page(result.items, next: result.nextCursor)
                }
            },
            query(
                "/v1/cases/service-times", "getServiceTimes", "First-response and resolution time statistics", tag: "service",
                projection: desk, schema: "ServiceTimes"
            ) {
                _, _, _ in { engine in try ServiceDeskQueries(engine).serviceTimes().api }
            },
            query(
                "/v1/cases/csat", "getCsat", "Customer satisfaction overall and by agent", tag: "service", projection: desk,
                parameters: [.query("agent", .id, "Agent.")], schema: "CsatReport"
            ) { q, _, _ in
                let agent = q.id("agent")
                return { engine in try ServiceDeskQueries(engine).csat(agent: agent).api }
            },
        ]
    }

    static func page(_ items: [some APIRepresentable], next: String?) -> JSONValue {
        var object: [String: JSONValue] = ["items": .list(items)]
        if let next { object["next"] = .string(next) }
        return .object(object)
    }
}
