import CairnDomain
import CairnService
import CairnStore
import HTTPTypes
import Hummingbird

/// What compliance reviewers do: erase a customer, place and release legal holds, apply
/// retention, export a subject's history, and check the suppression list.
enum ComplianceRoutes {
    static let tag = "compliance"

    /// An erasure request's body: which data subject request it fulfils, and on what legal basis.
    private static func erasure(_ name: String) -> BodySchema {
        BodySchema(
            name, "",
            [
                .required("requestId", .id, "The data subject request this fulfils."),
                .required("legalBasis", .string(maxLength: 200), "For example \"GDPR Art. 17(1)(a)\"."),
            ])
    }

    static var all: [Route] {
        [
            .command(
                "/v1/customers/{customerId}/erasure", "eraseCustomer",
                "Erase a customer's personal data: destroy its keys, suppress its addresses, record the erasure",
                tag: tag, roles: Roles.compliance, body: erasure("EraseCustomer")
            ) { call in
                let outcome = try await call.service.forget(
                    try call.id("customerId"), requestId: call.body.string("requestId") ?? "",
                    legalBasis: call.body.string("legalBasis") ?? "", call.metadata)
                // The read models then rebuild, in the background, so none of their pages keeps the data.
                if !outcome.isReplay { call.service.schedulePurge() }
                return CommandResult(outcome)
            },
            .command(
                "/v1/leads/{leadId}/erasure", "eraseLead",
                "Erase the personal data of a lead that never became a customer: destroy its keys, suppress its addresses, record the erasure",
                tag: tag, roles: Roles.compliance, body: erasure("EraseLead")
            ) { call in
                // No read model holds a lead's personal data, so there is nothing to purge.
                CommandResult(
                    try await call.service.forgetLead(
                        try call.id("leadId"), requestId: call.body.string("requestId") ?? "",
                        legalBasis: call.body.string("legalBasis") ?? "", call.metadata))
            },
            .command(
                "/v1/customers/{customerId}/legal-holds", "placeLegalHold",
                "Place a legal hold: suspends erasure and retention of the customer's data", tag: tag, roles: Roles.compliance,
                body: BodySchema(
                    "PlaceLegalHold", "", [.required("holdId", .id), .required("matter", .string(maxLength: 500))]),
                created: true
            ) { call in
                CommandResult(
                    try await call.service.placeLegalHold(
                        try call.id("customerId"), holdId: call.body.string("holdId") ?? "", matter: call.body.string("matter") ?? "",
                        call.metadata))
            },
            .command(
                "/v1/customers/{customerId}/legal-holds/{holdId}/release", "releaseLegalHold", "Release a legal hold", tag: tag,
                roles: Roles.compliance, body: BodySchema("ReleaseLegalHold", "", [])
            ) { call in
                CommandResult(
                    try await call.service.releaseLegalHold(try call.id("customerId"), holdId: try call.id("holdId"), call.metadata))
            },
            .command(
                "/v1/compliance/retention", "applyRetention",
                "Apply retention policies: data of each kind older than its months becomes unreadable (legal holds spared)",
                tag: tag, roles: Roles.compliance,
                body: BodySchema(
                    "ApplyRetention", "",
                    [
                        .required(
                            "policies",
                            .array(
                                .object(
                                    BodySchema(
                                        "RetentionPolicy", "Personal data of one kind kept this many whole months.",
                                        [
                                            .required("kind", .enumeration(RetentionPolicy.kinds.map(\.rawValue))),
                                            .required("months", .integer(minimum: 1, maximum: 1200)),
                                        ])), maxItems: 20))
                    ])
            ) { call in
                var policies: [RetentionPolicy] = []
                for item in call.body.objects("policies") {
                    guard let kind = item.string("kind").flatMap(StreamCategory.init(rawValue:)), let months = item.int("months") else {
                        continue
                    }
                    policies.append(try RetentionPolicy(kind: kind, months: months))
                }
                let (outcome, applied) = try await call.service.applyRetention(policies, call.metadata)
                if !outcome.isReplay { call.service.schedulePurge() }
                return CommandResult(
                    outcome,
                    extra: [
                        "policies": .array(
                            applied.policies.map {
                                .object([
                                    "kind": .string($0.kind), "months": .number(Double($0.months)), "keepFrom": .string($0.keepFrom),
                                    "keysExpired": .number(Double($0.keysExpired)),
                                ])
                            }),
                        "heldCustomers": .array(applied.heldCustomers.map(JSONValue.string)),
                    ])
            },
            Route(
                method: .get, path: "/v1/customers/{customerId}/export", operationId: "exportCustomer",
                summary: "Subject access export: every record about the customer with its proof against a freshly signed tree head",
                tag: tag, access: .roles(Roles.compliance), parameters: QueryValues.asOfParameters("The export"),
                success: .json("SubjectAccessExport")
            ) { request, context, env in
                let id = try context.parameters.id("customerId")
                var values = QueryValues(request)
                let point = values.asOfPoint()
                try values.finish()
                do {
                    let export = try await env.service.exportSubject(id, asOf: point, signer: env.signer)
                    return Response.json(bytes: export.json)
                } catch let error as ExportError where error.kind == .notFound {
                    throw Problem.notFound("Customer \(id)")
                } catch {
                    throw env.internalError("exporting \(id)", error)
                }
            },
            Route(
                method: .get, path: "/v1/compliance/suppression", operationId: "checkSuppression",
                summary: "Whether an email address or phone number belongs to someone whose data was erased", tag: tag,
                access: .roles([.compliance, .marketing, .sales]),
                parameters: [.query("address", .string(maxLength: 254), "An email address or E.164 phone number.", required: true)],
                success: .json("SuppressionCheck")
            ) { request, _, env in
                let values = QueryValues(request)
                let address = values.string("address") ?? ""
                try values.finish()
                guard !address.isEmpty else {
                    throw Problem.badRequest(
                        "parameter.invalid", "address is required", errors: [FieldIssue(path: "address", message: "is required")])
                }
                do {
                    return Response.json(.object(["suppressed": .bool(try env.service.isSuppressed(address))]))
                } catch let error as CommandError {
                    throw Problem(error)
                } catch {
                    throw env.internalError("reading the suppression list", error)
                }
            },
        ]
    }
}
