import CairnDomain
import CairnProjections
import CairnService
import CairnStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization

/// Health, metrics, projection status and the contract.
enum OpsRoutes {
    static var all: [Route] {
        [
            Route(
                method: .get, path: "/health/live", operationId: "live", summary: "The process is up", tag: "ops", access: .open,
                success: .json("Health")
            ) { _, _, _ in Response.json(.object(["status": .string("live")])) },
            Route(
                method: .get, path: "/health/ready", operationId: "ready",
                summary: "Ready: the log is open and every projection has caught up", tag: "ops", access: .open, success: .json("Health")
            ) { _, _, env in
                guard env.ready.load(ordering: .relaxed) else {
                    throw Problem(
                        .serviceUnavailable, code: "service.starting", detail: "Projections are catching up.", headers: [.retryAfter: "1"])
                }
                return Response.json(.object(["status": .string("ready"), "head": .number(Double(env.log.committedThrough))]))
            },
            Route(
                method: .get, path: "/openapi.yaml", operationId: "openapi", summary: "This API's OpenAPI 3.1 document", tag: "ops",
                access: .open, success: .text("application/yaml")
            ) { _, _, _ in
                Response(
                    status: .ok, headers: [.contentType: "application/yaml"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
            },
            Route(
                method: .get, path: "/metrics", operationId: "metrics", summary: "Prometheus metrics", tag: "ops",
                access: .roles(Roles.ops), success: .text("text/plain; version=0.0.4")
            ) { _, _, env in
                env.metrics.refresh(log: env.log, projections: env.projections, openSubscriptions: env.subscriptions.total)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: env.metrics.registry.emitToBuffer())))
            },
            Route(
                method: .get, path: "/v1/projections", operationId: "getProjectionStatus",
                summary: "Every read model's checkpoint, lag, rate and state", tag: "ops", access: .roles(Roles.ops),
                success: .json("ProjectionStatusList")
            ) { _, _, env in
                let statuses: [ProjectionStatus]
                do { statuses = try env.projections.status() } catch { throw env.internalError("reading projection status", error) }
                let items: [JSONValue] = statuses.map { s in
                    var object: [String: JSONValue] = [
                        "projection": .string(s.name), "version": .number(Double(s.version)), "serving": .bool(s.isServing),
                        "state": .string(s.state.description), "checkpoint": .number(Double(s.checkpoint)), "head": .number(Double(s.head)),
                        "lagEvents": .number(Double(s.lagEvents)), "lagSeconds": .number(s.lagSeconds),
                        "eventsPerSecond": .number(s.eventsPerSecond.isFinite ? s.eventsPerSecond : 0),
                    ]
                    if let eta = s.estimatedTimeRemaining { object["etaSeconds"] = .number(Double(eta.nanoseconds) / 1e9) }
                    return .object(object)
                }
                var answer: [String: JSONValue] = ["projections": .array(items), "head": .number(Double(env.log.committedThrough))]
                // A failed rebuild after an erasure or retention run: the old pages may still hold that data.
                if let failure = env.service.lastPurgeFailure { answer["purgeFailure"] = .string(failure) }
                return Response.json(.object(answer))
            },
            Route(
                method: .post, path: "/v1/projections/{projection}/rebuild", operationId: "rebuildProjection",
                summary: "Rebuild a read model beside the serving one; it takes over once caught up (poll the status)", tag: "ops",
                access: .roles(Roles.ops), success: .accepted("RebuildStarted")
            ) { _, context, env in
                guard let name = context.parameters.get("projection"), env.projections.projectionNames.contains(name) else {
                    throw Problem.notFound("Projection \(context.parameters.get("projection") ?? "")")
                }
                let projections = env.projections
                let logger = env.logger
                // Runs on after the response; an interrupted rebuild resumes when the engine opens again.
                Task {
                    do { try await projections.rebuild(name) } catch {
                        logger.error("rebuild failed", metadata: ["projection": "\(name)", "error": "\(error)"])
                    }
                }
                return Response.json(.object(["projection": .string(name), "status": .string("rebuilding")]), status: .accepted)
            },
        ]
    }
}
