import CairnDomain
import CairnProjections
import CairnService
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension HTTPEnvironment {
    /// The key behind the request's bearer token, checked against the route's roles.
    func authorize(_ request: Request, _ route: Route) throws -> AccessKey? {
        guard case .roles = route.access else { return nil }
        guard let header = request.headers[.authorization] else { throw Problem.unauthenticated }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw Problem.unauthenticated }
        let key: AccessKey?
        do { key = try keys.authenticate(String(parts[1].trimmingHeaderSpace)) } catch {
            logger.error("reading API keys failed", metadata: ["error": "\(error)"])
            throw Problem(.internalServerError, code: "internal", detail: "The server could not check the API key.")
        }
        guard let key else { throw Problem.badKey }
        guard route.admits(key.role) else { throw Problem.forbidden(key.role, route.summary.lowercased()) }
        return key
    }

    /// The request's JSON body, checked against `schema`: 415 for another content type, 413
    /// over the limit, 400 listing every invalid field.
    func body(_ request: inout Request, _ schema: BodySchema) async throws -> (raw: [UInt8], checked: CheckedBody) {
        let contentType = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingHeaderSpace.lowercased()
        }
        guard contentType == "application/json" else {
            throw Problem(
                .unsupportedMediaType, code: "request.unsupportedMediaType",
                detail: "Send the body as application/json (got \(contentType ?? "none")).")
        }
        let raw = try await collect(&request)
        let json: JSONValue
        do { json = try JSONValue.parse(raw) } catch {
            throw Problem.badRequest("request.malformedJSON", "The body is not one well-formed JSON value: \(error.description).")
        }
        var checker = BodyChecker()
        let checked = checker.check(json, against: schema)
        guard checker.issues.isEmpty, let checked else { throw Problem.invalid(checker.issues) }
        return (raw, checked)
    }

    func collect(_ request: inout Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBodyBytes {
            throw tooLarge
        }
        do {
            let buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }

    private var tooLarge: Problem {
        Problem(.contentTooLarge, code: "request.tooLarge", detail: "The body is larger than \(limits.maxBodyBytes) bytes.")
    }
}

/// Query-string values, read and checked one by one; every bad one is reported at once.
struct QueryValues {
    let request: Request
    var issues: [FieldIssue] = []

    init(_ request: Request) { self.request = request }

    private var parameters: [String: [String]] {
        var out: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters { out[String(key), default: []].append(String(value)) }
        return out
    }

    func string(_ name: String) -> String? { request.uri.queryParameters[Substring(name)].map(String.init) }

    /// Comma-separated or repeated values.
    func list(_ name: String) -> [String] {
        (parameters[name] ?? []).flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter {
            !$0.isEmpty
        }
    }

    mutating func position(_ name: String) -> UInt64? {
        guard let text = string(name) else { return nil }
        guard let value = UInt64(text) else {
            issues.append(FieldIssue(path: name, message: "must be a log position (an unsigned integer)"))
            return nil
        }
        return value
    }

    mutating func int(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = string(name) else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            issues.append(FieldIssue(path: name, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)"))
            return value
        }
        return parsed
    }

    mutating func enumeration<E: RawRepresentable<String> & CaseIterable>(_ name: String, _ type: E.Type) -> E? {
        guard let text = string(name) else { return nil }
        guard let value = E(rawValue: text) else {
            issues.append(FieldIssue(path: name, message: "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))"))
            return nil
        }
        return value
    }

    mutating func timestamp(_ name: String) -> CairnStore.Timestamp? {
        guard let text = string(name) else { return nil }
        guard let value = CairnStore.Timestamp(rfc3339: text) else {
            issues.append(FieldIssue(path: name, message: "must be an RFC 3339 date-time"))
            return nil
        }
        return value
    }

    mutating func id(_ name: String) -> String? {
        guard let text = string(name) else { return nil }
        guard Identifier.isValid(text) else {
            issues.append(FieldIssue(path: name, message: "must be 1–100 characters of A–Z, a–z, 0–9, '_' and '-'"))
            return nil
        }
        return text
    }

    /// A page cursor as the queries issue them: 1–800 characters of hex or base64.
    mutating func cursor() -> String? {
        guard let text = string("cursor") else { return nil }
        let valid =
            (1...800).contains(text.utf8.count)
            && text.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2B || b == 0x2F || b == 0x3D
            }
        guard valid else {
            issues.append(FieldIssue(path: "cursor", message: "is not a cursor this query issued"))
            return nil
        }
        return text
    }

    mutating func text(_ name: String, max: Int = 200) -> String? {
        guard let text = string(name) else { return nil }
        guard !text.isEmpty, text.count <= max else {
            issues.append(FieldIssue(path: name, message: "must be 1–\(max) characters"))
            return nil
        }
        return text
    }

    /// A point in history: `asOf` (a time) or `asOfPosition` (a log position), not both.
    mutating func asOfPoint() -> AsOfPoint? {
        let time = timestamp("asOf")
        let position = position("asOfPosition")
        if time != nil && position != nil {
            issues.append(FieldIssue(path: "asOfPosition", message: "give asOf or asOfPosition, not both"))
            return nil
        }
        return time.map(AsOfPoint.time) ?? position.map(AsOfPoint.position)
    }

    /// The parameters ``asOfPoint()`` reads, as the contract states them.
    static func asOfParameters(_ what: String) -> [QueryParameter] {
        [
            .query("asOf", .dateTime, "\(what) as it stood at this time."),
            .query("asOfPosition", .integer(minimum: 0, maximum: Int.max), "\(what) as it stood once the log reached this position."),
        ]
    }

    func finish() throws {
        guard issues.isEmpty else {
            throw Problem(
                .badRequest, code: "parameter.invalid", title: "Invalid parameter",
                detail: issues.map(\.description).joined(separator: "; "), errors: issues)
        }
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        json(bytes: value.serializedBytes, status: status, headers: headers)
    }

    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Parameters {
    /// A path id, checked.
    func id(_ name: String) throws -> String {
        guard let value = self.get(name), Identifier.isValid(value) else {
            throw Problem.invalidParameter(name, "must be 1–100 characters of A–Z, a–z, 0–9, '_' and '-'")
        }
        return value
    }
}

extension StringProtocol where SubSequence == Substring {
    /// Without the spaces and tabs HTTP allows around a header value's parts (RFC 9110 §5.6.3),
    /// with no Foundation bridging: every authenticated request trims its key this way.
    var trimmingHeaderSpace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
