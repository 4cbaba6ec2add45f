import CairnDomain
import CairnService
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// What a command handler gets: the checked body, the path's ids, and the metadata to run with.
struct CommandCall: Sendable {
    let body: CheckedBody
    let parameters: Parameters
    let metadata: CommandMetadata
    let service: CairnService
    let clock: any WallClock

    func id(_ name: String) throws -> String { try parameters.id(name) }
}

/// A command's outcome and anything the endpoint adds (a launch's left-out candidates).
struct CommandResult: Sendable {
    var outcome: CommandOutcome
    var extra: [String: JSONValue] = [:]

    init(_ outcome: CommandOutcome, extra: [String: JSONValue] = [:]) {
        self.outcome = outcome
        self.extra = extra
    }
}

extension Route {
    static let idempotencyKeyHeader = HTTPField.Name("Idempotency-Key")!

    /// A command endpoint. `run` maps the checked body onto a domain command and executes it.
    static func command(
        _ path: String, _ operationId: String, _ summary: String, tag: String, roles: Set<AccessRole>, body: BodySchema,
        created: Bool = false, _ run: @escaping @Sendable (CommandCall) async throws -> CommandResult
    ) -> Route {
        Route(
            method: .post, path: path, operationId: operationId, summary: summary, tag: tag, access: .roles(roles),
            parameters: [
                .header("Idempotency-Key", .string(maxLength: 100), "The command id: a retry with the same key returns the first result."),
                .header(
                    "If-Match", .string(maxLength: 40), "The version the command's own stream must be at (a number, optionally quoted)."),
            ],
            body: body, success: .command(created: created)
        ) { request, context, env in
            try await env.runCommand(request, context, body, operationId, created: created, run)
        }
    }
}

extension HTTPEnvironment {
    func runCommand(
        _ request: Request, _ context: CairnRequestContext, _ schema: BodySchema, _ operationId: String, created: Bool,
        _ run: @Sendable (CommandCall) async throws -> CommandResult
    ) async throws -> Response {
        var request = request
        guard let principal = context.principal else { throw Problem.unauthenticated }
        var issues: [FieldIssue] = []
        let key = request.headers[Route.idempotencyKeyHeader]
        if let key, !Self.isValidCommandId(key) {
            issues.append(FieldIssue(path: "Idempotency-Key", message: "must be 1–100 characters of A–Z, a–z, 0–9, '_', '-', '.' and ':'"))
        }
        var expectedVersion: UInt64?
        if let ifMatch = request.headers[.ifMatch] {
            var text = ifMatch.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("W/") { text.removeFirst(2) }
            if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            if let version = UInt64(text) {
                expectedVersion = version
            } else {
                issues.append(FieldIssue(path: "If-Match", message: "must be a stream version such as \"3\""))
            }
        }
        guard issues.isEmpty else {
            throw Problem(
                .badRequest, code: "header.invalid", title: "Invalid header", detail: issues.map(\.description).joined(separator: "; "),
                errors: issues)
        }
        let (raw, body) = try await self.body(&request, schema)
        var fingerprint = ""
        if let key {
            // The expected version is part of the request: a retry with another If-Match is a
            // different request, not a replay.
            fingerprint = IdempotencyStore.fingerprint(
                method: request.method.rawValue, path: request.uri.path + "#" + (expectedVersion.map(String.init) ?? ""), body: raw)
            let reservation: IdempotencyStore.Reservation
            do { reservation = try await idempotency.reserve(scope: principal.name, key: key, fingerprint: fingerprint) } catch {
                throw internalError("reading the idempotency table", error)
            }
            switch reservation {
            case .new, .retry: break
            case .mismatch:
                metrics.command(operationId, outcome: "idempotency_mismatch")
                throw Problem(
                    .unprocessableContent, code: "idempotency.mismatch", title: "Idempotency key reused",
                    detail: "Idempotency-Key \(key) was used for a different request.")
            case .completed(let status, let stored):
                metrics.command(operationId, outcome: "replayed")
                return Response.json(
                    bytes: stored, status: HTTPResponse.Status(code: status), headers: [HTTPField.Name("Idempotent-Replayed")!: "true"])
            }
        }
        var metadata = CommandMetadata(actor: principal.name, expectedVersion: expectedVersion)
        // Keys are scoped per API key: another caller's identical key is another command.
        if let key { metadata.commandId = principal.name + ":" + key }
        let started = ContinuousClock.now
        let result: CommandResult
        do {
            result = try await run(
                CommandCall(body: body, parameters: context.parameters, metadata: metadata, service: service, clock: clock))
        } catch let error as CommandError {
            metrics.command(operationId, outcome: error.kind == .storage ? "error" : error.code)
            if error.kind == .storage { logger.error("command failed", metadata: ["operation": "\(operationId)", "error": "\(error)"]) }
            throw Problem(error)
        } catch let problem as Problem {
            metrics.command(operationId, outcome: problem.code)
            throw problem
        }
        metrics.command(operationId, outcome: result.outcome.isReplay ? "replayed" : "accepted", duration: ContinuousClock.now - started)
        let status: HTTPResponse.Status = created ? .created : .ok
        let bytes = Self.encode(result).serializedBytes
        if let key {
            do {
                try await idempotency.complete(scope: principal.name, key: key, fingerprint: fingerprint, status: Int(status.code), body: bytes)
            } catch {
                logger.error("storing an idempotent answer failed", metadata: ["error": "\(error)"])
            }
        }
        var headers: HTTPFields = [:]
        if let primary = result.outcome.events.first?.stream, let version = result.outcome.streamVersions[primary] {
            headers[.eTag] = "\"\(version)\""
        }
        return Response.json(bytes: bytes, status: status, headers: headers)
    }

    static func isValidCommandId(_ key: String) -> Bool {
        let utf8 = key.utf8
        return (1...100).contains(utf8.count)
            && utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x3A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
            }
    }

    /// `{commandId, position, streams, ids, events, replayed}`.
    static func encode(_ result: CommandResult) -> JSONValue {
        let outcome = result.outcome
        var ids: [String: JSONValue] = [:]
        for event in outcome.events {
            if let stream = StreamName(parsing: event.stream) { ids["\(stream.category.rawValue)Id"] = .string(stream.id) }
        }
        var object = result.extra
        object["commandId"] = .string(outcome.commandId)
        object["position"] = .number(Double(outcome.position))
        object["streams"] = .object(outcome.streamVersions.mapValues { .number(Double($0)) })
        object["ids"] = .object(ids)
        object["replayed"] = .bool(outcome.isReplay)
        object["events"] = .array(
            outcome.events.map {
                .object([
                    "stream": .string($0.stream), "type": .string($0.type), "position": .number(Double($0.position)),
                    "version": .number(Double($0.version)),
                ])
            })
        return .object(object)
    }

    func internalError(_ what: String, _ error: any Error) -> Problem {
        logger.error("\(what) failed", metadata: ["error": "\(error)"])
        return Problem(.internalServerError, code: "internal", detail: "The server could not complete the request.")
    }
}
