import AsyncHTTPClient
import CairnDomain
import CairnService
import CairnStore
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import CairnHTTP

/// One SSE event as received.
struct SSEEvent {
    var id: UInt64
    var type: String
    var data: JSONValue
}

/// Reads an SSE stream until `stop` says so, then drops the connection.
func readSSE(
    _ server: TestServer, _ query: String, lastEventID: UInt64? = nil, role: AccessRole = .consumer,
    stop: ([SSEEvent], [String]) async -> Bool
) async throws -> (status: Int, events: [SSEEvent], comments: [String]) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/events/stream\(query)")
    request.headers.add(name: "Authorization", value: "Bearer \(server.keys[role]!)")
    request.headers.add(name: "Accept", value: "text/event-stream")
    if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    guard response.status == .ok else { return (Int(response.status.code), [], []) }
    var events: [SSEEvent] = []
    var comments: [String] = []
    var pending = ""
    if await stop(events, comments) { return (200, events, comments) }
    loop: for try await buffer in response.body {
        pending += String(buffer: buffer)
        while let end = pending.range(of: "\n\n") {
            let frame = String(pending[..<end.lowerBound])
            pending = String(pending[end.upperBound...])
            var id: UInt64?
            var type = ""
            var data = ""
            for line in frame.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") { comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces)) }
                if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            if let id { events.append(SSEEvent(id: id, type: type, data: (try? JSONValue.parse(Array(data.utf8))) ?? .null)) }
            if await stop(events, comments) { break loop }
        }
    }
    return (200, events, comments)
}

@Suite("Tailing the log")
struct TailingTests {
    @Test("An SSE stream dropped mid-way and resumed with Last-Event-ID misses nothing and repeats nothing, under concurrent writes")
    func resumeWithoutGapOrDuplicate() async throws {
        try await withServer { server in
            for worker in 0..<8 {
                try await server.command(
                    "/v1/customers",
                    #"{"customerId":"w\#(worker)","kind":"person","personName":{"given":"W","family":"\#(worker)"}, "emails":["w\#(worker)@example.com"]}"#
                )
            }
            let writes = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            for i in 0..<25 { try await server.command("/v1/customers/w\(worker)/tags", #"{"tag":"t\#(i)"}"#) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let first = try await readSSE(server, "?from=1") { e, _ in e.count >= 40 }
            try await writes.value
            let head = UInt64(try await server.request(.GET, "/v1/events?from=1&limit=1", role: .consumer).json["head"]!.int!)
            #expect(head == 208)
            let lastSeen = try #require(first.events.last?.id)
            let second = try await readSSE(server, "?from=1", lastEventID: lastSeen) { e, _ in e.last?.id == head }
            let ids = first.events.map(\.id) + second.events.map(\.id)
            #expect(
                ids == Array(1...head),
                "positions received: \(ids.count), first gap or repeat at \(zip(ids, 1...head).first { $0 != $1 }.map { "\($0)" } ?? "-")")
            let sample = try #require(second.events.last)
            #expect(sample.data["specversion"]?.string == "1.0")
            #expect(sample.data["position"]?.int == Int(sample.id))
            #expect(sample.data["type"]?.string == "customers.CustomerTagged")
            #expect(sample.data["stream"]?.string?.hasPrefix("customer-w") == true)
            #expect(sample.data["data"]?["tag"]?.string != nil)
        }
    }

    @Test("Streams and pages filter by type prefix and category")
    func filters() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            try await server.command(
                "/v1/cases", #"{"caseId":"k1","customerId":"c1","channel":"email","priority":"low","subject":"s","description":"d"}"#)
            try await server.command("/v1/customers/c1/tags", #"{"tag":"vip"}"#)
            let cases = try await readSSE(server, "?from=1&category=case") { e, _ in e.count >= 1 }
            #expect(cases.events.map(\.type) == ["service.CaseOpened"])
            let tagged = try await readSSE(server, "?types=customers.CustomerTagged") { e, _ in e.count >= 1 }
            #expect(tagged.events.map(\.id) == [3])
            let page = try await server.request(.GET, "/v1/events?from=1&types=customers.", role: .consumer)
            #expect(page.json["events"]?.array.count == 2)
            #expect(page.json["next"]?.int == 4)
            let ndjson = try await server.request(.GET, "/v1/events?from=2", role: .consumer, headers: [("Accept", "application/x-ndjson")])
            #expect(ndjson.headers["Content-Type"].first == "application/x-ndjson")
            #expect(ndjson.text.split(separator: "\n").count == 2)
            #expect(ndjson.headers["Cairn-Next-Position"].first == "4")
            let stream = try await server.request(.GET, "/v1/streams/customer-c1?direction=backwards&limit=1", role: .consumer)
            #expect(stream.json["version"]?.int == 2)
            #expect(stream.json["events"]?[0]?["type"]?.string == "customers.CustomerTagged")
            #expect(try await server.request(.GET, "/v1/streams/customer-nobody", role: .consumer).status == 404)
        }
    }

    @Test("A consumer's acknowledged position is stored, and a stream opened for it resumes right after")
    func consumerCheckpoints() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            for tag in ["a", "b", "c"] { try await server.command("/v1/customers/c1/tags", #"{"tag":"\#(tag)"}"#) }
            #expect(try await server.request(.GET, "/v1/consumers/relay/position", role: .consumer).status == 404)
            let put = try await server.request(.PUT, "/v1/consumers/relay/position", role: .consumer, json: #"{"position":2}"#)
            #expect(put.status == 200)
            #expect(put.json["position"]?.int == 2)
            #expect(put.json["updatedBy"]?.string == "consumer-key")
            let get = try await server.request(.GET, "/v1/consumers/relay/position", role: .consumer)
            #expect(get.json["position"]?.int == 2)
            let resumed = try await readSSE(server, "?consumer=relay") { e, _ in e.count >= 2 }
            #expect(resumed.events.map(\.id) == [3, 4])
            let ahead = try await server.request(.PUT, "/v1/consumers/relay/position", role: .consumer, json: #"{"position":99}"#)
            #expect(ahead.status == 409)
            #expect(ahead.code == "consumer.aheadOfLog")
            let unknown = try await readSSE(server, "?consumer=nobody") { _, _ in true }
            #expect(unknown.status == 404)
        }
    }

    @Test("Open event streams per key are limited (429), other keys unaffected")
    func subscriptionLimit() async throws {
        var limits = TestServer.limits
        limits.maxSubscriptionsPerKey = 1
        try await withServer(limits: limits) { server in
            try await server.command("/v1/customers", registerAda)
            let (opened, openedContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await readSSE(server, "?from=1") { events, _ in
                    guard !events.isEmpty else { return false }
                    openedContinuation.yield()
                    for await _ in release {}
                    return true
                }
            }
            var openedIterator = opened.makeAsyncIterator()
            _ = await openedIterator.next()
            let refused = try await readSSE(server, "?from=1") { _, _ in true }
            #expect(refused.status == 429)
            let other = try await readSSE(server, "?from=1", role: .compliance) { e, _ in e.count >= 1 }
            #expect(other.status == 200)
            releaseContinuation.finish()
            _ = try await holder.value
        }
    }

    @Test("Heartbeats (comment lines) keep an idle stream alive")
    func heartbeats() async throws {
        var limits = TestServer.limits
        limits.heartbeatInterval = .milliseconds(20)
        try await withServer(limits: limits) { server in
            let idle = try await readSSE(server, "?from=1") { _, comments in comments.filter { $0 == "heartbeat" }.count >= 2 }
            #expect(idle.events.isEmpty)
            #expect(idle.comments.filter { $0 == "heartbeat" }.count >= 2)
        }
    }
}

@Suite("Stream resume headers")
struct ResumeHeaderTests {
    @Test("A Last-Event-ID at the largest position is refused with 400, not a crash")
    func lastEventIdAtTheTop() async throws {
        try await withServer { server in
            let reply = try await server.request(
                .GET, "/v1/events/stream", role: .consumer, headers: [("Last-Event-ID", String(UInt64.max))])
            #expect(reply.status == 400)
            #expect(try await server.request(.GET, "/health/live", role: nil).status == 200)
        }
    }
}

@Suite("Events on the wire")
struct WireFormatTests {
    @Test("Pages, NDJSON lines and stream reads carry the same CloudEvents, in canonical JSON, personal data opened")
    func cloudEvents() async throws {
        try await withServer { server in
            try await server.command("/v1/customers", registerAda)
            try await server.command("/v1/customers/c1/tags", #"{"tag":"vip"}"#)
            let page = try await server.request(.GET, "/v1/events?from=1", role: .consumer)
            #expect(page.status == 200)
            // Canonical: keys sorted by their bytes, no whitespace — what JSONValue writes.
            #expect(try JSONValue.parse(page.body).serializedBytes == page.body)
            let events = page.json["events"]?.array ?? []
            #expect(events.count == 2)
            #expect(page.json["head"]?.int == 2)
            for (index, event) in events.enumerated() {
                #expect(event["specversion"]?.string == "1.0")
                #expect(event["source"]?.string == "cairn")
                #expect(event["datacontenttype"]?.string == "application/json")
                #expect(event["position"]?.int == index + 1)
                #expect(event["stream"]?.string == "customer-c1")
                #expect(event["streamversion"]?.int == index + 1)
                #expect(event["schemaversion"]?.int == 1)
                #expect(event["subject"]?.string == "c1")
                #expect(event["actor"]?.string == "admin-key")
                #expect(event["correlationid"]?.string != nil && event["causationid"]?.string != nil)
                let type = try #require(event["type"]?.string)
                #expect(event["dataschema"]?.string == "https://cairn.dev/schemas/events/\(type).v1.schema.json")
                let id = try #require(event["id"]?.string)
                #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
                let time = try #require(event["time"]?.string)
                #expect(Timestamp(rfc3339: time)?.rfc3339 == time)
            }
            #expect(events.first?["data"]?["personName"]?["given"]?.string == "Ada")

            // NDJSON: the same events, `data` spliced last.
            let ndjson = try await server.request(.GET, "/v1/events?from=1", role: .consumer, headers: [("Accept", "application/x-ndjson")])
            let lines = ndjson.text.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            for (line, event) in zip(lines, events) {
                #expect(try JSONValue.parse(Array(line.utf8)) == event)
                let data = try #require(line.range(of: #","data":"#))
                #expect(line[..<data.lowerBound].hasSuffix(#""type":"\#(event["type"]?.string ?? "")""#))
            }

            // A stream read: the same events, and its own members in key order.
            let stream = try await server.request(.GET, "/v1/streams/customer-c1?limit=1", role: .consumer)
            #expect(try JSONValue.parse(stream.body).serializedBytes == stream.body)
            #expect(stream.json["events"]?.array == [events[0]])
            #expect(stream.json["next"]?.int == 2)
            #expect(stream.json["stream"]?.string == "customer-c1")
            #expect(stream.json["version"]?.int == 2)
        }
    }
}
