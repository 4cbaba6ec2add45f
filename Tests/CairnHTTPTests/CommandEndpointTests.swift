import CairnService
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import CairnHTTP

/// Every command endpoint, in an order the domain accepts, with the body it needs.
let commandScript: [(path: String, body: String, role: AccessRole)] = [
    (
        "/v1/customers",
        #"{"customerId":"c1","kind":"person","personName":{"given":"Ada","family":"Lovelace"},"emails":["ada@example.com"],"phones":["+447700900123"],"consents":[{"channel":"email","purpose":"marketing","legalBasis":"consent","source":"form"}],"attributes":{"since":{"type":"date","value":"2020-01-01"}}}"#,
        .sales
    ),
    ("/v1/customers", #"{"customerId":"org1","kind":"organization","organizationName":"Analytical Engines Ltd"}"#, .sales),
    (
        "/v1/customers", #"{"customerId":"c3","kind":"person","personName":{"given":"C","family":"Three"},"emails":["c3@example.com"]}"#,
        .service
    ),
    (
        "/v1/customers", #"{"customerId":"c4","kind":"person","personName":{"given":"C","family":"Four"},"emails":["c4@example.com"]}"#,
        .marketing
    ),
    (
        "/v1/customers", #"{"customerId":"c5","kind":"person","personName":{"given":"C","family":"Five"},"emails":["c5@example.com"]}"#,
        .sales
    ),
    (
        "/v1/customers", #"{"customerId":"c6","kind":"person","personName":{"given":"C","family":"Six"},"emails":["c6@example.com"]}"#,
        .sales
    ),
    (
        "/v1/customers", #"{"customerId":"c7","kind":"person","personName":{"given":"C","family":"Seven"},"emails":["c7@example.com"]}"#,
        .sales
    ),
    ("/v1/customers/c1/profile", #"{"source":"referral","ownerId":"u1"}"#, .sales),
    ("/v1/customers/c1/emails", #"{"email":"ada2@example.com"}"#, .sales),
    ("/v1/customers/c1/emails/remove", #"{"email":"ada2@example.com"}"#, .sales),
    ("/v1/customers/c1/phones", #"{"phone":"+447700900124"}"#, .sales),
    ("/v1/customers/c1/phones/remove", #"{"phone":"+447700900124"}"#, .sales),
    ("/v1/customers/c1/addresses", #"{"addressId":"a1","lines":["1 Main St"],"city":"London","country":"GB"}"#, .sales),
    ("/v1/customers/c1/addresses/remove", #"{"addressId":"a1"}"#, .sales),
    ("/v1/customers/c1/attributes", #"{"key":"tier","value":{"type":"string","value":"gold"}}"#, .sales),
    ("/v1/customers/c1/attributes/remove", #"{"key":"tier"}"#, .sales),
    ("/v1/customers/c1/organization", #"{"organizationId":"org1","role":"buyer"}"#, .sales),
    ("/v1/customers/c1/organization/remove", #"{"organizationId":"org1"}"#, .sales),
    ("/v1/customers/c1/consents", #"{"channel":"sms","purpose":"marketing","legalBasis":"consent","source":"form"}"#, .marketing),
    ("/v1/customers/c1/consents/withdraw", #"{"channel":"sms","purpose":"marketing","source":"form"}"#, .marketing),
    ("/v1/customers/c1/tags", #"{"tag":"vip"}"#, .sales),
    ("/v1/customers/c1/tags/remove", #"{"tag":"vip"}"#, .sales),
    ("/v1/customers/c3/close", #"{"reason":"moved away"}"#, .service),
    ("/v1/customers/c3/reopen", #"{}"#, .service),
    ("/v1/customers/c1/contact-points/invalidate", #"{"channel":"phone","value":"+447700900123","reason":"disconnected"}"#, .service),
    ("/v1/customers/c4/unsubscribes", #"{"channel":"email"}"#, .marketing),
    ("/v1/customers/c5/legal-holds", #"{"holdId":"hold-1","matter":"Claim 2026-117"}"#, .compliance),
    ("/v1/customers/c5/legal-holds/hold-1/release", #"{}"#, .compliance),
    ("/v1/customers/c5/erasure", #"{"requestId":"dsr-1","legalBasis":"GDPR Art. 17(1)(a)"}"#, .compliance),
    ("/v1/compliance/retention", #"{"policies":[{"kind":"activity","months":24},{"kind":"case","months":36}]}"#, .compliance),
    ("/v1/customers/c6/merge", #"{"survivorId":"c7"}"#, .sales),
    ("/v1/leads", #"{"leadId":"l1","source":"web","personName":{"given":"Lea","family":"Lead"},"email":"lea@example.com"}"#, .sales),
    ("/v1/leads/l1/qualify", #"{"note":"budget confirmed"}"#, .sales),
    ("/v1/leads/l1/details", #"{"companyName":"Lead & Co","phone":"+447700900555"}"#, .sales),
    (
        "/v1/leads/l1/convert",
        #"{"newCustomerId":"c8","opportunityId":"o2","opportunityName":"First deal","amount":{"amount":"500","currency":"EUR"},"expectedCloseDate":"2026-06-30","ownerId":"u1"}"#,
        .sales
    ),
    ("/v1/leads", #"{"leadId":"l2","source":"web","companyName":"Spam Inc","phone":"+447700900999"}"#, .sales),
    ("/v1/leads/l2/disqualify", #"{"reason":"spam"}"#, .sales),
    ("/v1/leads/l2/erasure", #"{"requestId":"dsr-2","legalBasis":"GDPR Art. 17(1)(a)"}"#, .compliance),
    (
        "/v1/opportunities",
        #"{"opportunityId":"o1","customerId":"c1","name":"Retrofit","amount":{"amount":"1000","currency":"EUR"},"expectedCloseDate":"2026-06-30","ownerId":"u1"}"#,
        .sales
    ),
    ("/v1/opportunities/o1/stage", #"{"stage":"proposal"}"#, .sales),
    ("/v1/opportunities/o1/amount", #"{"amount":{"amount":"1500.50","currency":"EUR"}}"#, .sales),
    ("/v1/opportunities/o1/close-date", #"{"expectedCloseDate":"2026-07-31"}"#, .sales),
    ("/v1/opportunities/o1/owner", #"{"ownerId":"u2"}"#, .sales),
    ("/v1/opportunities/o1/win", #"{}"#, .sales),
    ("/v1/opportunities/o1/reopen", #"{"stage":"negotiation"}"#, .sales),
    ("/v1/opportunities/o1/lose", #"{"reason":"price"}"#, .sales),
    (
        "/v1/activities",
        #"{"activityId":"act1","customerId":"c1","kind":"call","direction":"outbound","occurredAt":"2026-03-31T10:00:00Z","durationSeconds":95}"#,
        .sales
    ),
    ("/v1/tasks", #"{"taskId":"t1","customerId":"c1","title":"Call back","dueAt":"2026-04-02T10:00:00Z","assigneeId":"u1"}"#, .sales),
    ("/v1/tasks/t1/reassign", #"{"assigneeId":"u2"}"#, .sales),
    ("/v1/tasks/t1/complete", #"{"outcome":"done"}"#, .sales),
    ("/v1/tasks", #"{"taskId":"t2","customerId":"c1","title":"Send quote","dueAt":"2026-04-03T10:00:00Z","assigneeId":"u1"}"#, .service),
    ("/v1/tasks/t2/cancel", #"{}"#, .service),
    (
        "/v1/orders",
        #"{"orderId":"or1","customerId":"c1","opportunityId":"o1","lines":[{"sku":"W-1","description":"Widget","quantity":2,"unitPrice":"10.00"}],"currency":"EUR","orderDate":"2026-03-30"}"#,
        .sales
    ),
    (
        "/v1/campaigns",
        #"{"campaignId":"m1","name":"Spring","channel":"email","startDate":"2026-03-01","endDate":"2026-12-31","budget":{"amount":"5000","currency":"EUR"}}"#,
        .marketing
    ),
    (
        "/v1/campaigns/m1/segment",
        #"{"segment":{"match":"all","rules":[{"rule":"hasConsent","channel":"email","purpose":"marketing"},{"rule":"kind","kind":"person"}]}}"#,
        .marketing
    ),
    ("/v1/campaigns/m1/launch", #"{"audience":["c1","c4"]}"#, .marketing),
    ("/v1/campaigns/m1/responses", #"{"customerId":"c1","response":{"type":"clicked","url":"https://example.com/offer"}}"#, .marketing),
    ("/v1/campaigns/m1/unsubscribes", #"{"customerId":"c1"}"#, .marketing),
    ("/v1/campaigns/m1/pause", #"{"reason":"budget review"}"#, .marketing),
    ("/v1/campaigns/m1/complete", #"{}"#, .marketing),
    (
        "/v1/customers",
        #"{"customerId":"c9","kind":"person","personName":{"given":"C","family":"Nine"},"emails":["c9@example.com"],"consents":[{"channel":"email","purpose":"marketing","legalBasis":"consent","source":"form"}]}"#,
        .sales
    ),
    (
        "/v1/campaigns", #"{"campaignId":"m2","name":"Summer","channel":"email","startDate":"2026-03-01","endDate":"2026-12-31"}"#,
        .marketing
    ),
    ("/v1/campaigns/m2/launch", #"{}"#, .marketing),
    ("/v1/campaigns/m2/sends", #"{"customerId":"c9"}"#, .marketing),
    (
        "/v1/cases",
        #"{"caseId":"k1","customerId":"c1","channel":"email","priority":"normal","subject":"Broken widget","description":"It broke."}"#,
        .service
    ),
    ("/v1/cases/k1/assign", #"{"agentId":"u3"}"#, .service),
    ("/v1/cases/k1/messages", #"{"messageId":"msg1","author":"agent","authorId":"u3","body":"On it."}"#, .service),
    ("/v1/cases/k1/escalate", #"{"reason":"slow"}"#, .service),
    ("/v1/cases/k1/priority", #"{"priority":"urgent"}"#, .service),
    ("/v1/cases/k1/resolve", #"{"resolution":"Replaced."}"#, .service),
    ("/v1/cases/k1/reopen", #"{"reason":"Broke again."}"#, .service),
    ("/v1/cases/k1/resolve", #"{"resolution":"Replaced again."}"#, .service),
    ("/v1/cases/k1/satisfaction", #"{"score":4,"comment":"fine"}"#, .service),
    ("/v1/cases/k1/close", #"{}"#, .service),
]

/// The command route whose template matches a concrete path.
func commandRoute(for path: String) -> Route? {
    let parts = path.split(separator: "/")
    return RouteTable.all.first { route in
        guard route.method == .post, case .command = route.success else { return false }
        let template = route.path.split(separator: "/")
        return template.count == parts.count && zip(template, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}

@Suite("Command endpoints over a real socket")
struct CommandEndpointTests {
    @Test("Every command endpoint accepts its command, with the key's role, and answers ids, versions and the position")
    func everyCommandEndpoint() async throws {
        try await withServer { server in
            var lastPosition = 0
            for step in commandScript {
                let reply = try await server.command(step.path, step.body, role: step.role)
                let position = reply.json["position"]?.int ?? 0
                #expect(position > lastPosition, "\(step.path) returned position \(position)")
                lastPosition = max(lastPosition, position)
                #expect(reply.json["events"]?.array.isEmpty == false, "\(step.path) recorded nothing")
                let route = try #require(commandRoute(for: step.path), "no route for \(step.path)")
                if case .command(let created) = route.success { #expect(reply.status == (created ? 201 : 200), "\(step.path)") }
            }
            let covered = Set(commandScript.compactMap { commandRoute(for: $0.path)?.operationId })
            let all = Set(RouteTable.all.filter { if case .command = $0.success { true } else { false } }.map(\.operationId))
            #expect(all.subtracting(covered).isEmpty, "command endpoints without a happy path here: \(all.subtracting(covered).sorted())")

            // The key's name is the events' actor.
            let page = try await server.request(.GET, "/v1/events?from=1&limit=1", role: .consumer)
            #expect(page.json["events"]?[0]?["actor"]?.string == "sales-key")
        }
    }

    @Test("A lead's details change through their endpoint; a converted lead's are refused, an unknown lead's are 404")
    func leadDetails() async throws {
        try await withServer { server in
            try await server.command(
                "/v1/leads", #"{"leadId":"l1","source":"web","personName":{"given":"Lea","family":"Lead"},"email":"lea@example.com"}"#,
                role: .sales)
            let updated = try await server.command(
                "/v1/leads/l1/details",
                #"{"email":"Lea.Lead@Example.com","phone":"+447700900555","clear":["personName"],"companyName":"Lead & Co"}"#,
                role: .sales)
            #expect(updated.status == 200)
            let event = try #require(updated.json["events"]?[0])
            #expect(event["type"]?.string == "sales.LeadUpdated")
            // The stream holds the new values, normalised, and only what changed.
            let stream = try await server.request(.GET, "/v1/streams/lead-l1", role: .admin)
            let data = stream.json["events"]?[1]?["data"]
            #expect(data?["email"]?.string == "lea.lead@example.com" && data?["phone"]?.string == "+447700900555")
            #expect(data?["cleared"]?.array.compactMap(\.string) == ["personName"] && data?["personName"] == nil, "\(stream.text)")

            let same = try await server.command("/v1/leads/l1/details", #"{"phone":"+447700900555"}"#, role: .sales)
            #expect(same.status == 200 && same.json["events"]?.array.isEmpty == true, "no change, no event")
            // The body's shape is checked first, then the domain's rules for each detail.
            for (body, paths) in [
                (#"{"phone":"555","clear":["fax"]}"#, ["/clear/0"]), (#"{"phone":"555","email":"lea@"}"#, ["/email", "/phone"]),
            ] {
                let invalid = try await server.request(.POST, "/v1/leads/l1/details", role: .sales, json: body)
                #expect(invalid.status == 400 && invalid.code == "validation.failed")
                #expect(Set((invalid.json["errors"]?.array ?? []).compactMap { $0["path"]?.string }) == Set(paths), "\(invalid.text)")
            }
            let tooBare = try await server.request(.POST, "/v1/leads/l1/details", role: .sales, json: #"{"clear":["companyName"]}"#)
            #expect(tooBare.status == 409 && tooBare.code == "lead.nameMissing")
            let missing = try await server.request(.POST, "/v1/leads/nobody/details", role: .sales, json: #"{"phone":"+447700900555"}"#)
            #expect(missing.status == 404 && missing.code == "lead.notFound")
            let forbidden = try await server.request(.POST, "/v1/leads/l1/details", role: .service, json: #"{"phone":"+447700900556"}"#)
            #expect(forbidden.status == 403)

            try await server.command(
                "/v1/leads/l1/convert",
                #"{"newCustomerId":"c8","opportunityId":"o2","opportunityName":"First deal","amount":{"amount":"500","currency":"EUR"},"expectedCloseDate":"2026-06-30","ownerId":"u1"}"#,
                role: .sales)
            let converted = try await server.request(.POST, "/v1/leads/l1/details", role: .sales, json: #"{"phone":"+447700900556"}"#)
            #expect(converted.status == 409 && converted.code == "lead.converted")
        }
    }

    @Test("A launch to an audience reports who was left out and why")
    func launchReportsIneligible() async throws {
        try await withServer { server in
            for step in commandScript.prefix(while: { $0.path != "/v1/campaigns/m1/launch" }) {
                try await server.command(step.path, step.body, role: step.role)
            }
            let launch = try await server.command("/v1/campaigns/m1/launch", #"{"audience":["c1","c4"]}"#, role: .marketing)
            let ineligible = launch.json["ineligible"]?.array ?? []
            #expect(ineligible.map { $0["customerId"]?.string } == ["c4"])
            #expect(launch.json["events"]?.array.count == 2)
        }
    }
}
