public import CairnDomain
import CairnService
import HTTPTypes
public import Hummingbird
import NIOCore

/// An RFC 9457 problem: what every error on the wire looks like. `code` is stable and
/// machine-readable; `detail` is for people and may change.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var detail: String
    /// For validation failures: every invalid field, as a JSON pointer into the body.
    public var errors: [FieldIssue]
    /// Extra members (`survivorId`, `behind`, …).
    public var extra: [String: JSONValue]
    /// Extra headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, title: String? = nil, detail: String, errors: [FieldIssue] = [],
        extra: [String: JSONValue] = [:], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.extra = extra
        self.headers = headers
    }

    var json: JSONValue {
        var object = extra
        object["type"] = .string("https://cairn.dev/problems/\(code)")
        object["title"] = .string(title)
        object["status"] = .number(Double(status.code))
        object["detail"] = .string(detail)
        object["code"] = .string(code)
        if !errors.isEmpty {
            object["errors"] = .array(errors.map { .object(["path": .string($0.path), "message": .string($0.message)]) })
        }
        return .object(object)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.serializedBytes)))
    }
}

extension Problem {
    static func badRequest(_ code: String, _ detail: String, errors: [FieldIssue] = []) -> Problem {
        Problem(.badRequest, code: code, detail: detail, errors: errors)
    }

    static func invalid(_ issues: [FieldIssue]) -> Problem {
        Problem(
            .badRequest, code: "validation.failed", title: "Invalid request",
            detail: "\(issues.count) invalid field(s): " + issues.map(\.description).joined(separator: "; "), errors: issues)
    }

    static func invalidParameter(_ name: String, _ message: String) -> Problem {
        Problem(
            .badRequest, code: "parameter.invalid", title: "Invalid parameter", detail: "\(name) \(message)",
            errors: [FieldIssue(path: name, message: message)])
    }

    static let unauthenticated = Problem(
        .unauthorized, code: "auth.required", detail: "Send an API key as `Authorization: Bearer <key>`.",
        headers: [.wwwAuthenticate: "Bearer realm=\"cairn\""])

    static let badKey = Problem(
        .unauthorized, code: "auth.invalidKey", detail: "The API key is unknown or revoked.",
        headers: [.wwwAuthenticate: "Bearer realm=\"cairn\", error=\"invalid_token\""])

    static func forbidden(_ role: AccessRole, _ operation: String) -> Problem {
        Problem(.forbidden, code: "auth.forbidden", detail: "A \(role) key may not \(operation).")
    }

    static func notFound(_ what: String) -> Problem {
        Problem(.notFound, code: "resource.notFound", detail: "\(what) does not exist.")
    }

    /// A command's refusal, with the service's code.
    init(_ error: CommandError) {
        switch error.kind {
        case .invalid:
            let issues = error.issues.map { FieldIssue(path: $0.path, message: $0.message) }
            self =
                issues.isEmpty
                ? Problem(.badRequest, code: error.code, title: "Invalid request", detail: error.message)
                : Problem(.badRequest, code: error.code, title: "Invalid request", detail: error.message, errors: issues)
        case .notFound:
            self = Problem(.notFound, code: error.code, detail: error.message)
        case .rejected:
            var extra: [String: JSONValue] = [:]
            if let survivor = error.survivorId { extra["survivorId"] = .string(survivor) }
            if let path = error.path { extra["path"] = .string(path) }
            self = Problem(.conflict, code: error.code, title: "Refused by a business rule", detail: error.message, extra: extra)
        case .versionConflict:
            self = Problem(.conflict, code: error.code, title: "Version conflict", detail: error.message)
        case .idempotencyMismatch:
            self = Problem(.unprocessableContent, code: "idempotency.mismatch", title: "Idempotency key reused", detail: error.message)
        case .storage:
            self = Problem(.internalServerError, code: "internal", detail: "The server could not complete the request.")
        case .unavailable:
            self = Problem(.serviceUnavailable, code: error.code, detail: error.message, headers: [.retryAfter: "5"])
        }
    }

    init(_ error: QueryError, retryAfterSeconds: Int) {
        switch error.kind {
        case .behind:
            var extra: [String: JSONValue] = [:]
            if let behind = error.behind { extra["behind"] = .number(Double(behind)) }
            self = Problem(
                .serviceUnavailable, code: "query.behind", title: "Read model behind", detail: error.message, extra: extra,
                headers: [.retryAfter: String(retryAfterSeconds)])
        case .unavailable:
            self = Problem(.serviceUnavailable, code: "query.unavailable", detail: error.message, headers: [.retryAfter: "5"])
        case .failed:
            self = Problem(.serviceUnavailable, code: "query.failed", detail: error.message, headers: [.retryAfter: "30"])
        }
    }
}
