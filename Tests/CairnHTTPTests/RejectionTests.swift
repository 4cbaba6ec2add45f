import CairnDomain
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import CairnHTTP
@testable import CairnService

let registerAda = #"{"customerId":"c1","kind":"person","personName":{"given":"Ada","family":"L"},"emails":["ada@example.com"]}"#

@Suite("Rejections are problem+json with stable codes")
struct RejectionTests {
    @Test("A malformed command lists every invalid field with its path")
    func everyInvalidField() async throws {
        try await withServer { server in
            let reply = try await server.request(
                .POST, "/v1/customers", json: #"{"customerId":"bad id","kind":"robot","emails":"x","surprise":1}"#)
            #expect(reply.status == 400)
            #expect(reply.headers["Content-Type"].first == "application/problem+json")
            #expect(reply.code == "validation.failed")
            let paths = Set((reply.json["errors"]?.array ?? []).compactMap { $0["path"]?.string })
            #expect(paths == ["/customerId", "/kind", "/emails", "/surprise"])
        }
    }

    @Test("Rules the domain checks are reported the same way: 400 with the domain's paths")
    func domainValidation() async throws {
        try await withServer { server in
            let reply = try await server.request(
                .POST, "/v1/customers", json: #"{"customerId":"c1","kind":"person","emails":["not-an-email"]}"#)
            #expect(reply.status == 400)
            #expect(reply.code == "validation.failed")
            #expect((reply.json["errors"]?.array ?? []).contains { $0["path"]?.string == "/emails/0" })
        }
    }

    @Test(
        "Bad requests never reach the domain",
        arguments: [
            ("not json", "application/json", 400, "request.malformedJSON"),
            (#"[1,2]"#, "application/json", 400, "validation.failed"),
            (#"{"tag":"x"}"#, "text/plain", 415, "request.unsupportedMediaType"),
        ])
    func badBodies(body: String, contentType: String, status: Int, code: String) async throws {
        try await withServer { server in
            let reply = try await server.request(
                .POST, "/v1/customers/c1/tags", key: server.keys[.admin], json: body, contentType: contentType)
            #expect(reply.status == status)
            #expect(reply.code == code)
        }
    }

    @Test("A body over the limit is 413")
    func tooLarge() async throws {
        try await withServer { server in
            let big = #"{"tag":""# + String(repeating: "x", count: 100_000) + #""}"#
            let reply = try await server.request(.POST, "/v1/customers/c1/tags", json: big)
            #expect(reply.status == 413)
            #expect(reply.code == "request.tooLarge")
        }
    }

    @Test("Unknown aggregates are 404, rule refusals 409 with the rule's code, stale If-Match 409 version.conflict")
    func notFoundAndConflicts() async throws {
        try await withServer { server in
            let missing = try await server.request(.POST, "/v1/customers/nobody/tags", json: #"{"tag":"vip"}"#)
            #expect(missing.status == 404)
            #expect(missing.code?.hasSuffix("notFound") == true)

            try await server.command("/v1/customers", registerAda)
            let again = try await server.request(.POST, "/v1/customers", json: registerAda)
            #expect(again.status == 409)
            #expect(again.code == "customer.alreadyRegistered" || again.code?.hasPrefix("customer.") == true)

            let stale = try await server.request(.POST, "/v1/customers/c1/tags", json: #"{"tag":"vip"}"#, headers: [("If-Match", "\"7\"")])
            #expect(stale.status == 409)
            #expect(stale.code == "version.conflict")
            let fresh = try await server.request(.POST, "/v1/customers/c1/tags", json: #"{"tag":"vip"}"#, headers: [("If-Match", "\"1\"")])
            #expect(fresh.status == 200)
            #expect(fresh.headers["ETag"].first == "\"2\"")

            let badHeader = try await server.request(.POST, "/v1/customers/c1/tags", json: #"{"tag":"x"}"#, headers: [("If-Match", "soon")])
            #expect(badHeader.status == 400)
            #expect(badHeader.code == "header.invalid")

            let route = try await server.request(.GET, "/v1/nothing-here")
            #expect(route.status == 404)
            #expect(route.code == "route.notFound")
            let badPath = try await server.request(.POST, "/v1/customers/has%20space/tags", json: #"{"tag":"x"}"#)
            #expect(badPath.status == 400)
        }
    }
}

@Suite("Problem mapping")
struct ProblemMappingTests {
    @Test("A read model still behind after the wait is 503 with Retry-After; a stopped one is 503 too")
    func behind() {
        let behind = Problem(QueryError(kind: .behind, message: "customer-360 has not reached 9", behind: 4), retryAfterSeconds: 1)
        #expect(behind.status == .serviceUnavailable)
        #expect(behind.code == "query.behind")
        #expect(behind.headers[.retryAfter] == "1")
        #expect(behind.json["behind"] == .number(4))
        let failed = Problem(QueryError(kind: .failed, message: "poison event", behind: nil), retryAfterSeconds: 1)
        #expect(failed.status == .serviceUnavailable)
        #expect(failed.code == "query.failed")
    }

    @Test(
        "Command errors map onto statuses with the service's codes",
        arguments: [
            (CommandError.Kind.invalid, 400), (.notFound, 404), (.rejected, 409), (.versionConflict, 409), (.idempotencyMismatch, 422),
            (.storage, 500),
        ])
    func commandErrors(kind: CommandError.Kind, status: Int) {
        let problem = Problem(CommandError(kind: kind, code: "x.y", message: "lmdb-internal-detail", issues: [("/a", "bad")]))
        #expect(Int(problem.status.code) == status)
        if kind == .storage { #expect(problem.detail.contains("lmdb-internal-detail") == false, "internal details stay off the wire") }
    }
}

@Suite("API keys and roles")
struct AuthTests {
    @Test("No key or an unknown key is 401; the wrong role is 403; health and the contract need no key")
    func authentication() async throws {
        try await withServer { server in
            let none = try await server.request(.GET, "/v1/customers", key: nil)
            #expect(none.status == 401)
            #expect(none.code == "auth.required")
            #expect(none.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            let unknown = try await server.request(.GET, "/v1/customers", key: "cairn_" + String(repeating: "0", count: 64))
            #expect(unknown.status == 401)
            #expect(unknown.code == "auth.invalidKey")

            let wrongContext = try await server.request(
                .POST, "/v1/cases", role: .marketing,
                json: #"{"caseId":"k1","customerId":"c1","channel":"email","priority":"low","subject":"s","description":"d"}"#)
            #expect(wrongContext.status == 403)
            #expect(wrongContext.code == "auth.forbidden")
            #expect(try await server.request(.GET, "/v1/customers", role: .consumer).status == 403)
            #expect(try await server.request(.GET, "/v1/events", role: .sales).status == 403)
            #expect(try await server.request(.GET, "/metrics", role: .sales).status == 403)
            #expect(
                try await server.request(.POST, "/v1/customers/c1/erasure", role: .sales, json: #"{"requestId":"r","legalBasis":"GDPR"}"#)
                    .status == 403)

            #expect(try await server.request(.GET, "/v1/events", role: .consumer).status == 200)
            #expect(try await server.request(.GET, "/v1/customers", role: .compliance).status == 200)
            #expect(try await server.request(.GET, "/metrics", role: .ops).status == 200)
            #expect(try await server.request(.GET, "/v1/projections", role: .ops).status == 200)
            #expect(try await server.request(.GET, "/health/live", key: nil).status == 200)
            #expect(try await server.request(.GET, "/openapi.yaml", key: nil).text == OpenAPIDocument.yaml)
        }
    }

    @Test("A revoked key stops working at the next request")
    func revocation() async throws {
        let server = try await TestServer.start()
        #expect(try await server.request(.GET, "/v1/customers", role: .sales).status == 200)
        try await server.stop(removing: false)
        // Keys are revoked by another process (`cairn keys revoke`); here, with the server down.
        let store = try AccessKeyStore(directory: server.directory + "/access")
        try store.revoke(name: "sales-key", now: ManualClock().now())
        #expect(try store.list().first { $0.name == "sales-key" }?.isRevoked == true)
        #expect(try store.authenticate(server.keys[.sales]!) == nil)
        #expect(try store.authenticate(server.keys[.marketing]!)?.name == "marketing-key")
        store.close()
        let restarted = try await TestServer.start(reopening: server)
        let revoked = try await restarted.request(.GET, "/v1/customers", role: .sales)
        #expect(revoked.status == 401)
        #expect(revoked.code == "auth.invalidKey")
        #expect(try await restarted.request(.GET, "/v1/customers", role: .marketing).status == 200)
        try await restarted.stop()
    }
}

@Suite("Idempotency and read-your-writes")
struct ConsistencyTests {
    @Test("A retry with the same Idempotency-Key returns the first answer; the same key with another body is 422")
    func idempotentRetries() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            let first = try await server.command("/v1/customers/c1/tags", #"{"tag":"vip"}"#, headers: [("Idempotency-Key", "retry-1")])
            let retry = try await server.command("/v1/customers/c1/tags", #"{"tag":"vip"}"#, headers: [("Idempotency-Key", "retry-1")])
            #expect(retry.body == first.body)
            #expect(retry.headers["Idempotent-Replayed"].first == "true")
            // The command id is the key, scoped to the API key that sent it.
            #expect(first.json["commandId"]?.string == "admin-key:retry-1")
            let other = try await server.request(
                .POST, "/v1/customers/c1/tags", json: #"{"tag":"gold"}"#, headers: [("Idempotency-Key", "retry-1")])
            #expect(other.status == 422)
            #expect(other.code == "idempotency.mismatch")
            // Another caller's identical key is another command, never the first caller's answer.
            let otherCaller = try await server.request(
                .POST, "/v1/customers/c1/tags", role: .sales, json: #"{"tag":"vip"}"#, headers: [("Idempotency-Key", "retry-1")])
            #expect(otherCaller.status == 409)  // decided afresh: c1 is already tagged vip
            #expect(otherCaller.code == "customer.alreadyTagged")
            #expect(otherCaller.headers["Idempotent-Replayed"].first == nil)
            // The expected version is part of the request: the same key with another If-Match is refused.
            let otherVersion = try await server.request(
                .POST, "/v1/customers/c1/tags", json: #"{"tag":"vip"}"#, headers: [("Idempotency-Key", "retry-1"), ("If-Match", "\"1\"")])
            #expect(otherVersion.status == 422)
            let stream = try await server.request(.GET, "/v1/streams/customer-c1", role: .compliance)
            #expect(stream.json["version"]?.int == 2)

            // Concurrent copies of one command record it once.
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await server.request(
                            .POST, "/v1/customers/c1/tags", json: #"{"tag":"gold"}"#, headers: [("Idempotency-Key", "race-1")])
                    }
                }
                for try await reply in group { #expect(reply.status == 200) }
            }
            let after = try await server.request(.GET, "/v1/streams/customer-c1", role: .compliance)
            #expect(after.json["version"]?.int == 3)
        }
    }

    @Test("A query given the position a command returned sees that command; a position no command returned is 400")
    func readYourWrites() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            for i in 0..<20 {
                let tagged = try await server.command("/v1/customers/c1/tags", #"{"tag":"t\#(i)"}"#)
                let position = tagged.json["position"]!.int!
                let view = try await server.request(.GET, "/v1/customers/c1?atLeast=\(position)", role: .sales)
                #expect(view.json["tags"]?.array.contains(.string("t\(i)")) == true)
                let timeline = try await server.request(
                    .GET, "/v1/customers/c1/timeline?atLeast=\(position)&direction=backward&limit=1", role: .compliance)
                #expect(timeline.json["entries"]?[0]?["position"]?.int == position)
            }
            let ahead = try await server.request(.GET, "/v1/customers/c1?atLeast=999999", role: .sales)
            #expect(ahead.status == 400)
            #expect(ahead.code == "query.positionAhead")
            let bad = try await server.request(.GET, "/v1/customers/c1?atLeast=soon", role: .sales)
            #expect(bad.status == 400)
            #expect(bad.code == "parameter.invalid")
            let unknown = try await server.request(.GET, "/v1/customers/nobody", role: .sales)
            #expect(unknown.status == 404)
        }
    }
}
