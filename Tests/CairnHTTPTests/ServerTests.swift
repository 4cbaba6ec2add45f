import AsyncHTTPClient
import CairnDomain
import CairnService
import CairnStore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import CairnHTTP

@Suite("Queries, metrics and shutdown")
struct ServerTests {
    @Test("Every query endpoint answers JSON over the script's data, and rejects bad parameters with 400")
    func everyQueryEndpoint() async throws {
        try await withServer { server in
            var position = 0
            for step in commandScript {
                position = try await server.command(step.path, step.body, role: step.role).json["position"]?.int ?? position
            }
            let queries = [
                "/v1/customers?limit=2", "/v1/customers?name=ada", "/v1/customers?email=ada@", "/v1/customers?tag=vip",
                "/v1/customers/c1", "/v1/customers/c1/timeline?kinds=registration,consent&direction=backward&limit=5",
                "/v1/customers/c1/timeline?asOf=2026-04-01T12:00:00Z", "/v1/customers/c1/timeline?asOfPosition=3",
                "/v1/customers/c1/as-of?asOfPosition=3", "/v1/customers/c1/as-of?asOf=2026-04-01T12:00:00Z",
                "/v1/opportunities/o1/as-of?asOfPosition=\(position)",
                "/v1/customers/c1/analysis", "/v1/analysis/customers?sort=churnRisk", "/v1/analysis/rfm",
                "/v1/opportunities?owner=u1", "/v1/pipeline", "/v1/pipeline/forecast", "/v1/pipeline/win-rates",
                "/v1/campaigns", "/v1/campaigns/m1", "/v1/campaigns/m1/segment-members", "/v1/cases", "/v1/cases/breakdown",
                "/v1/cases/sla/due?withinSeconds=86400", "/v1/cases/sla/breached", "/v1/cases/service-times", "/v1/cases/csat",
            ]
            let covered = Set(queries.map { String($0.split(separator: "?")[0]) })
            for route in QueryRoutes.all {
                let concrete = route.path.replacingOccurrences(of: "{customerId}", with: "c1").replacingOccurrences(
                    of: "{campaignId}", with: "m1"
                ).replacingOccurrences(of: "{opportunityId}", with: "o1")
                #expect(covered.contains(concrete), "no query here for \(route.path)")
            }
            for query in queries {
                let separator = query.contains("?") ? "&" : "?"
                let reply = try await server.request(.GET, query + separator + "atLeast=\(position)", role: .compliance)
                #expect(reply.status == 200, "\(query): \(reply.status) \(reply.text)")
                if case .object = reply.json {} else { Issue.record("\(query) did not answer a JSON object") }
                #expect(!reply.json.containsNull, "\(query): absent values are left out, never null: \(reply.text)")
            }
            let customer = try await server.request(.GET, "/v1/customers/c1", role: .sales)
            #expect(customer.json["customerId"]?.string == "c1")
            // The customer as it stood: before its first event, and once registered.
            let registeredAt = try #require(try await server.request(.GET, "/v1/streams/customer-c1", role: .admin).json["events"]?[0])
            let asRegistered = try await server.request(
                .GET, "/v1/customers/c1/as-of?asOfPosition=\(registeredAt["position"]?.int ?? 0)", role: .sales)
            #expect(asRegistered.json["version"]?.int == 1 && asRegistered.json["profile"]?["status"]?.string == "active")
            let before = try await server.request(.GET, "/v1/customers/c1/as-of?asOf=2000-01-01T00:00:00Z", role: .sales)
            #expect(before.json["version"]?.int == 0)
            #expect(before.json["profile"] == nil)
            #expect(try await server.request(.GET, "/v1/customers/nobody/as-of?asOfPosition=1", role: .sales).status == 404)
            let opportunity = try await server.request(.GET, "/v1/opportunities/o1/as-of?asOfPosition=\(position)", role: .sales)
            // The script won, reopened and then lost it: the fold carries the whole story.
            #expect(opportunity.json["opportunity"]?["status"]?.string == "lost" && opportunity.json["opportunity"]?["timesWon"]?.int == 1)
            #expect(try await server.request(.GET, "/v1/opportunities/nobody/as-of?asOfPosition=1", role: .sales).status == 404)
            #expect(try await server.request(.GET, "/v1/customers/c1/as-of?asOfPosition=1", role: .consumer).status == 403)
            // The read models' API forms: enums by name, times RFC 3339, positions as numbers,
            // and the derived figures a reader expects beside the counts they come from.
            #expect(customer.json["status"]?.string == "open")
            #expect(customer.json["registeredAt"]?.string.flatMap { CairnStore.Timestamp(rfc3339: $0) } != nil)
            #expect((customer.json["lastPosition"]?.int ?? 0) > 0)
            let rates = try await server.request(.GET, "/v1/pipeline/win-rates", role: .sales).json["overall"]
            #expect(rates?["closed"]?.int == (rates?["won"]?.int ?? -1) + (rates?["lost"]?.int ?? -1))
            let campaign = try await server.request(.GET, "/v1/campaigns/m1", role: .marketing).json
            #expect(campaign["bounces"]?.int == (campaign["hardBounces"]?.int ?? -1) + (campaign["softBounces"]?.int ?? -1))
            let search = try await server.request(.GET, "/v1/customers?name=ada", role: .sales)
            #expect(search.json["items"]?.array.map { $0["customerId"]?.string } == ["c1"])
            let paged = try await server.request(.GET, "/v1/customers?limit=2", role: .sales)
            let next = try #require(paged.json["next"]?.string)
            let page2 = try await server.request(.GET, "/v1/customers?limit=2&cursor=\(next)", role: .sales)
            #expect(page2.status == 200)
            #expect(page2.json["items"]?[0]?["customerId"]?.string != paged.json["items"]?[0]?["customerId"]?.string)

            for bad in [
                "/v1/customers?limit=0", "/v1/customers?name=a&tag=b", "/v1/customers/c1/timeline?kinds=gossip",
                "/v1/customers/c1/timeline?from=yesterday",
                "/v1/customers?cursor=zz", "/v1/customers/c1/timeline?cursor=00", "/v1/pipeline?fromMonth=2026-13",
                "/v1/cases?priority=meh",
                "/v1/analysis/customers?sort=alphabet", "/v1/events?from=-1", "/v1/streams/customer-c1?direction=sideways",
                "/v1/customers/c1/as-of", "/v1/customers/c1/as-of?asOf=yesterday",
                "/v1/customers/c1/as-of?asOf=2026-04-01T12:00:00Z&asOfPosition=3",
                "/v1/customers/c1/as-of?asOfPosition=1&atLeast=999999", "/v1/customers/c1/export?asOfPosition=x",
            ] {
                let reply = try await server.request(.GET, bad, role: .admin)
                #expect(reply.status == 400, "\(bad): \(reply.status) \(reply.text)")
                #expect(reply.headers["Content-Type"].first == "application/problem+json", "\(bad)")
            }
        }
    }

    @Test("/metrics reports commands by type and outcome, append latency, commit batch sizes, projection lag, streams and HTTP latency")
    func metrics() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            _ = try await server.request(.POST, "/v1/customers", json: registerAda)
            _ = try await server.request(.GET, "/v1/customers/c1", role: .sales)
            let text = try await server.request(.GET, "/metrics", role: .ops).text
            for expected in [
                #"cairn_commands_total{operation="registerCustomer",outcome="accepted"} 1"#,
                #"cairn_commands_total{operation="registerCustomer",outcome="customer.alreadyExists"} 1"#,
                "cairn_command_duration_seconds_bucket", "cairn_log_commit_batch_events_bucket", "cairn_projection_lag_events",
                "cairn_event_streams_open 0",
                #"cairn_http_request_duration_seconds_bucket{route="/v1/customers/{customerId}",method="GET""#,
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
        }
    }

    @Test("Ops see projection status and start rebuilds; other roles may not")
    func projections() async throws {
        try await withServer { server in
            let tagged = try await server.command("/v1/customers", registerAda)
            let status = try await server.request(.GET, "/v1/projections", role: .ops)
            let names = Set((status.json["projections"]?.array ?? []).compactMap { $0["projection"]?.string })
            #expect(names.isSuperset(of: ["customer-360", "customer-timeline", "sales-pipeline", "service-desk"]))
            #expect(try await server.request(.POST, "/v1/projections/customer-360/rebuild", role: .sales).status == 403)
            #expect(try await server.request(.POST, "/v1/projections/nothing/rebuild", role: .ops).status == 404)
            let rebuild = try await server.request(.POST, "/v1/projections/customer-360/rebuild", role: .ops)
            #expect(rebuild.status == 202)
            let position = tagged.json["position"]!.int!
            let view = try await server.request(.GET, "/v1/customers/c1?atLeast=\(position)", role: .sales)
            #expect(view.json["customerId"]?.string == "c1", "queries keep answering during a rebuild")
        }
    }

    @Test("Graceful shutdown lets in-flight commands finish, closes event streams, and leaves every acknowledged command in the log")
    func gracefulShutdown() async throws {
        let server = try await TestServer.start()
        for i in 0..<32 {
            try await server.command(
                "/v1/customers",
                #"{"customerId":"g\#(i)","kind":"person","personName":{"given":"G","family":"\#(i)"},"emails":["g\#(i)@example.com"]}"#)
        }
        let (firstReply, signal) = AsyncStream.makeStream(of: Void.self)
        let stream = Task { try await readSSE(server, "?from=1") { _, _ in false } }
        let results = Task {
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        defer { signal.yield() }
                        do {
                            // AsyncHTTPClient keeps retrying a refused connection until the deadline.
                            return try await server.request(
                                .POST, "/v1/customers/g\(i)/tags", json: #"{"tag":"late"}"#, timeout: .seconds(2)
                            ).status
                        } catch {
                            return nil  // refused once the server stopped accepting
                        }
                    }
                }
                var statuses: [Int?] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        var iterator = firstReply.makeAsyncIterator()
        _ = await iterator.next()
        try await server.stop(removing: false)
        let statuses = try await results.value
        let streamed = try await stream.value
        #expect(streamed.status == 200)
        #expect(!streamed.events.isEmpty)
        #expect(streamed.events.map(\.id) == Array(1...UInt64(streamed.events.count)), "the stream ended cleanly, in order, without a gap")
        #expect(statuses.allSatisfy { $0 == nil || $0 == 200 }, "\(statuses)")
        let accepted = statuses.filter { $0 == 200 }.count
        #expect(accepted >= 1)
        let log = try EventLog(directory: server.directory + "/log")
        #expect(try log.head() == UInt64(32 + accepted))
        await log.close()
        try? FileManager.default.removeItem(atPath: server.directory)
    }
}

extension JSONValue {
    fileprivate var containsNull: Bool {
        switch self {
        case .null: true
        case .array(let items): items.contains { $0.containsNull }
        case .object(let members): members.values.contains { $0.containsNull }
        default: false
        }
    }
}
