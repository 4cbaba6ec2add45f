import CairnDomain
import CairnService
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Tailing, for downstream services: pages of the log, a live SSE stream that resumes exactly
/// where the client stopped, durable consumer positions, and single streams.
enum EventRoutes {
    static let tag = "events"
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let nextPosition = HTTPField.Name("Cairn-Next-Position")!

    static let filters: [QueryParameter] = [
        .query("types", .string(maxLength: 1000), "Comma-separated event type prefixes (`sales.`, `customers.CustomerTagged`)."),
        .query("category", .string(maxLength: 500), "Comma-separated stream categories (`customer`, `case`)."),
    ]

    static var all: [Route] {
        [
            Route(
                method: .get, path: "/v1/events", operationId: "readEvents", summary: "Read a page of the log", tag: tag,
                access: .roles(Roles.tail),
                parameters: [
                    .query("from", .integer(minimum: 0, maximum: Int.max), "First position to read (default 1)."),
                    .query("limit", .integer(minimum: 1, maximum: 1000), "Events per page (default 100)."),
                ] + filters,
                success: .eventPage, handler: readPage),
            Route(
                method: .get, path: "/v1/events/stream", operationId: "streamEvents",
                summary: "Follow the log as Server-Sent Events (CloudEvents JSON; resume with Last-Event-ID)", tag: tag,
                access: .roles(Roles.tail),
                parameters: [
                    .query("from", .integer(minimum: 0, maximum: Int.max), "First position to send (default 1)."),
                    .query("consumer", .id, "Resume after this consumer's acknowledged position."),
                    .header("Last-Event-ID", .string(maxLength: 20), "The last position received: the stream resumes after it."),
                ] + filters,
                success: .eventStream, handler: stream),
            Route(
                method: .get, path: "/v1/consumers/{consumer}/position", operationId: "getConsumerPosition",
                summary: "A consumer's acknowledged position", tag: tag, access: .roles(Roles.tail), success: .json("ConsumerPosition"),
                handler: getPosition),
            Route(
                method: .put, path: "/v1/consumers/{consumer}/position", operationId: "acknowledgeConsumerPosition",
                summary: "Store a consumer's acknowledged position", tag: tag, access: .roles(Roles.tail),
                body: BodySchema(
                    "AcknowledgePosition", "The last position the consumer has processed.",
                    [.required("position", .integer(minimum: 0, maximum: Int.max))]),
                success: .json("ConsumerPosition"), handler: putPosition),
            Route(
                method: .get, path: "/v1/streams/{stream}", operationId: "readStream", summary: "Read one stream's events", tag: tag,
                access: .roles(Roles.tail.union(Roles.readers)),
                parameters: [
                    .query("from", .integer(minimum: 1, maximum: Int.max), "First stream version (default 1, or the last one backwards)."),
                    .query("direction", .enumeration(["forwards", "backwards"]), "Order (default forwards)."),
                    .query("limit", .integer(minimum: 1, maximum: 1000), "Events per page (default 100)."),
                ],
                success: .json("StreamPage"), handler: readStream),
        ]
    }

    static func filter(_ q: QueryValues) -> EventFilter {
        EventFilter(typePrefixes: q.list("types"), categories: q.list("category"))
    }

    @Sendable static func readPage(_ request: Request, _ context: CairnRequestContext, _ env: HTTPEnvironment) async throws -> Response {
        var q = QueryValues(request)
        let from = max(q.position("from") ?? 1, 1)
        let limit = q.int("limit", default: 100, range: 1...env.limits.maxPageSize)
        try q.finish()
        let page: LogPage
        do { page = try env.log.read(from: from, limit: limit, filter: filter(q)) } catch {
            throw env.internalError("reading the log", error)
        }
        let accept = request.headers[.accept] ?? ""
        let vault = env.service.vault
        if accept.contains("application/x-ndjson") {
            var out: [UInt8] = []
            do {
                try vault.withPayloads { opened in
                    for event in page.events {
                        out += try CloudEvent.bytes(event, opened)
                        out.append(0x0A)
                    }
                }
            } catch { throw env.internalError("opening events", error) }
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson", nextPosition: String(page.next)],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
        }
        // `{"events":[…],"head":…,"next":…}`, written as JSONValue writes an object: keys sorted.
        var out: [UInt8] = [UInt8(ascii: "{")]
        do { try CloudEvent.writeJSONList(page.events, vault, to: &out) } catch { throw env.internalError("opening events", error) }
        out += #","head":\#(env.log.committedThrough),"next":\#(page.next)}"#.utf8
        return Response.json(bytes: out, headers: [nextPosition: String(page.next)])
    }

    @Sendable static func stream(_ request: Request, _ context: CairnRequestContext, _ env: HTTPEnvironment) async throws -> Response {
        var q = QueryValues(request)
        let from = q.position("from")
        let consumer = q.id("consumer")
        var resume: UInt64?
        if let text = request.headers[lastEventID] {
            if let last = UInt64(text.trimmingCharacters(in: .whitespaces)), last < UInt64.max {
                resume = last + 1
            } else {
                q.issues.append(FieldIssue(path: "Last-Event-ID", message: "must be the position of the last event received"))
            }
        }
        try q.finish()
        if resume == nil, let from { resume = max(from, 1) }
        if resume == nil, let consumer {
            do {
                guard let stored = try env.consumers.position(of: consumer) else { throw Problem.notFound("Consumer \(consumer)") }
                resume = stored.position + 1
            } catch let problem as Problem { throw problem } catch { throw env.internalError("reading a consumer position", error) }
        }
        let start = resume ?? 1
        guard let principal = context.principal else { throw Problem.unauthenticated }
        guard env.subscriptions.acquire(principal.name, limit: env.limits.maxSubscriptionsPerKey) else {
            throw Problem(
                .tooManyRequests, code: "subscriptions.tooMany",
                detail: "Key \(principal.name) has \(env.limits.maxSubscriptionsPerKey) event streams open already.",
                headers: [.retryAfter: "5"])
        }
        let subscription = env.log.subscribe(from: start, filter: filter(q), batchSize: 256)
        let heartbeat = env.limits.heartbeatInterval
        let slowClient = env.limits.slowClientTimeout
        let metrics = env.metrics
        let subscriptions = env.subscriptions
        let logger = env.logger
        let name = principal.name
        let streams = env.streams
        let vault = env.service.vault
        let body = ResponseBody { writer in
            let queue = FrameQueue(capacity: 512)
            streams.add(queue)
            defer {
                streams.remove(queue)
                subscriptions.release(name)
            }
            // When the pending write began, in nanoseconds of uptime; 0 while none is pending.
            let writing = PendingWrite()
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await event in subscription {
                                metrics.delivered(event)
                                guard await queue.push(try CloudEvent.sseFrame(event, vault.payload(of:))) else { break }
                            }
                        } catch {
                            logger.error("an event stream stopped reading the log", metadata: ["error": "\(error)"])
                        }
                        queue.finish()
                    }
                    group.addTask {
                        // A client that takes no bytes for `slowClient` is let go.
                        while !Task.isCancelled {
                            try await Task.sleep(for: .seconds(1))
                            let began = writing.began.load(ordering: .relaxed)
                            if began != 0,
                                DispatchTime.now().uptimeNanoseconds - began > UInt64(slowClient.components.seconds) * 1_000_000_000
                            {
                                throw CancellationError()
                            }
                        }
                    }
                    try await writer.write(ByteBuffer(string: ": stream from position \(start)\nretry: 1000\n\n"))
                    loop: while true {
                        let chunk: ByteBuffer
                        switch await queue.next(timeout: heartbeat) {
                        case .frame(var bytes):
                            queue.takeQueued(into: &bytes, maxBytes: 256 * 1024)
                            chunk = ByteBuffer(bytes: bytes)
                        case .idle: chunk = ByteBuffer(string: ": heartbeat\n\n")
                        case .finished: break loop
                        }
                        writing.began.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                        try await writer.write(chunk)
                        writing.began.store(0, ordering: .relaxed)
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            } catch {
                queue.finish()
                throw error
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }

    @Sendable static func getPosition(_ request: Request, _ context: CairnRequestContext, _ env: HTTPEnvironment) async throws -> Response {
        let name = try context.parameters.id("consumer")
        let stored: ConsumerPosition?
        do { stored = try env.consumers.position(of: name) } catch { throw env.internalError("reading a consumer position", error) }
        guard let stored else { throw Problem.notFound("Consumer \(name)") }
        return Response.json(encode(stored))
    }

    @Sendable static func putPosition(_ request: Request, _ context: CairnRequestContext, _ env: HTTPEnvironment) async throws -> Response {
        var request = request
        let name = try context.parameters.id("consumer")
        let schema = all.first { $0.operationId == "acknowledgeConsumerPosition" }!.body!
        let (_, body) = try await env.body(&request, schema)
        let position = UInt64(body.int("position") ?? 0)
        let head = env.log.committedThrough
        guard position <= head else {
            throw Problem(
                .conflict, code: "consumer.aheadOfLog", detail: "Position \(position) is past the log's head \(head).",
                extra: ["head": .number(Double(head))])
        }
        let stored: ConsumerPosition
        do {
            stored = try await env.consumers.acknowledge(name, position: position, by: context.principal?.name ?? "", now: env.clock.now())
        } catch { throw env.internalError("storing a consumer position", error) }
        return Response.json(encode(stored))
    }

    static func encode(_ p: ConsumerPosition) -> JSONValue {
        .object([
            "consumer": .string(p.name), "position": .number(Double(p.position)), "updatedAt": .string(p.updatedAt.rfc3339),
            "updatedBy": .string(p.updatedBy),
        ])
    }

    @Sendable static func readStream(_ request: Request, _ context: CairnRequestContext, _ env: HTTPEnvironment) async throws -> Response {
        guard let stream = context.parameters.get("stream"), !stream.isEmpty, stream.utf8.count <= 200 else {
            throw Problem.invalidParameter("stream", "must be a stream id such as customer-c_123")
        }
        var q = QueryValues(request)
        let limit = q.int("limit", default: 100, range: 1...env.limits.maxPageSize)
        let backwards: Bool
        switch q.string("direction") {
        case nil, "forwards": backwards = false
        case "backwards": backwards = true
        default:
            backwards = false
            q.issues.append(FieldIssue(path: "direction", message: "must be forwards or backwards"))
        }
        let from = q.position("from") ?? (backwards ? .max : 1)
        try q.finish()
        let events: [RecordedEvent]
        let version: UInt64
        do {
            events = try env.log.readStream(stream, from: max(from, 1), direction: backwards ? .backwards : .forwards, limit: limit)
            version = try env.log.streamVersion(stream)
        } catch let error as EventLogError where error.code == .invalidStreamId {
            throw Problem.invalidParameter("stream", error.message)
        } catch { throw env.internalError("reading a stream", error) }
        guard version > 0 else { throw Problem.notFound("Stream \(stream)") }
        // `{"events":[…],"next":…,"stream":…,"version":…}`: keys sorted, as JSONValue writes them.
        var out: [UInt8] = [UInt8(ascii: "{")]
        do { try CloudEvent.writeJSONList(events, env.service.vault, to: &out) } catch {
            throw env.internalError("opening events", error)
        }
        if let last = events.last {
            let next =
                backwards
                ? (last.streamVersion > 1 ? last.streamVersion - 1 : nil) : (last.streamVersion < version ? last.streamVersion + 1 : nil)
            if let next { out += #","next":\#(next)"#.utf8 }
        }
        out += #","stream":"#.utf8
        JSONValue.writeString(stream, to: &out)
        out += #","version":\#(version)}"#.utf8
        return Response.json(bytes: out, headers: [.eTag: "\"\(version)\""])
    }
}

/// When an event stream's pending write began (uptime nanoseconds), 0 while none is pending.
final class PendingWrite: Sendable {
    let began = Atomic<UInt64>(0)
}
