import CairnDomain
import CairnService
import HTTPTypes

/// The OpenAPI 3.1 document, generated from ``RouteTable`` and the body schemas the server
/// checks requests against — so the contract and the code cannot drift. `Schemas/openapi.yaml`
/// is a committed copy; a test fails when it differs from this.
enum OpenAPIDocument {
    static let yaml: String = generate()

    static func generate() -> String {
        var out = YAMLWriter()
        out.line(0, "openapi: 3.1.0")
        out.line(0, "info:")
        out.line(1, "title: Cairn")
        out.line(1, "version: \(q("1.0.0"))")
        out.line(
            1,
            "description: \(q("Cairn, an event-sourced CRM service: task-based commands, read models, and resumable tailing of the event log. Errors are RFC 9457 problem+json with a stable code."))"
        )
        out.line(0, "servers:")
        out.line(1, "- url: \(q("http://127.0.0.1:8080"))")
        out.line(0, "security:")
        out.line(1, "- bearer: []")
        out.line(0, "paths:")
        var bodies: [String: BodySchema] = [:]
        var responseSchemas: Set<String> = []
        let byPath = Dictionary(grouping: RouteTable.all, by: \.path)
        var seen: Set<String> = []
        for route in RouteTable.all where !seen.contains(route.path) {
            seen.insert(route.path)
            out.line(1, "\(q(route.path)):")
            for r in byPath[route.path]! {
                operation(r, &out, &bodies, &responseSchemas)
            }
        }
        out.line(0, "components:")
        out.line(1, "securitySchemes:")
        out.line(2, "bearer:")
        out.line(3, "type: http")
        out.line(3, "scheme: bearer")
        out.line(3, "description: \(q("An API key made with `cairn keys create`."))")
        out.line(1, "responses:")
        for (name, status, text) in problemResponses {
            out.line(2, "\(name):")
            out.line(3, "description: \(q("\(status): \(text)"))")
            out.line(3, "content:")
            out.line(4, "application/problem+json:")
            out.line(5, "schema:")
            out.line(6, "$ref: \(q("#/components/schemas/Problem"))")
        }
        out.line(1, "schemas:")
        problemSchema(&out)
        commandResultSchema(&out)
        var answers = responseSchemas.union(["EventPage"])
        for name in answers { ResponseSchemas.byName[name].map { answers.formUnion(ResponseSchemas.references(of: $0)) } }
        for name in answers.sorted() {
            if let schema = ResponseSchemas.byName[name] {
                responseSchema(schema, &out)
            } else {
                // The subject access export: its own document format, checked by `cairn compliance verify-export`.
                out.line(2, "\(name):")
                out.line(3, "type: object")
                out.line(3, "description: \(q("A document of its own format; see the endpoint's summary."))")
            }
        }
        var all: [String: BodySchema] = [:]
        for body in bodies.values { collect(body, into: &all) }
        for name in all.keys.sorted() { schema(all[name]!, &out) }
        return out.text
    }

    static let problemResponses: [(String, Int, String)] = [
        ("BadRequest", 400, "invalid input; `errors` lists every invalid field"),
        ("Unauthorized", 401, "no API key, or an unknown or revoked one"),
        ("Forbidden", 403, "the key's role may not do this"),
        ("NotFound", 404, "no such resource"),
        ("Conflict", 409, "a version conflict or a business rule refused the command (see `code`)"),
        ("TooLarge", 413, "the body is over the limit"),
        ("UnsupportedMediaType", 415, "the body is not application/json"),
        ("Unprocessable", 422, "the Idempotency-Key was used for a different request"),
        ("TooManyRequests", 429, "too many open event streams for this key"),
        ("Unavailable", 503, "the read model has not reached `atLeast` in time (see Retry-After)"),
    ]

    private static func operation(
        _ route: Route, _ out: inout YAMLWriter, _ bodies: inout [String: BodySchema], _ responses: inout Set<String>
    ) {
        out.line(2, "\(route.method.rawValue.lowercased()):")
        out.line(3, "operationId: \(route.operationId)")
        out.line(3, "summary: \(q(route.summary))")
        out.line(3, "tags: [\(route.tag)]")
        switch route.access {
        case .open: out.line(3, "security: []")
        case .roles(let roles):
            let names = (["admin"] + roles.map(\.rawValue).sorted()).joined(separator: ", ")
            out.line(3, "description: \(q("Roles: \(names)."))")
        }
        let parameters = route.pathParameters.map { QueryParameter(name: $0, location: .query, type: .id, description: "", required: true) }
        if !parameters.isEmpty || !route.parameters.isEmpty {
            out.line(3, "parameters:")
            for name in route.pathParameters {
                out.line(4, "- name: \(name)")
                out.line(5, "in: path")
                out.line(5, "required: true")
                out.line(5, "schema:")
                if name == "stream" {
                    out.line(6, "type: string")
                    out.line(6, "pattern: \(q("^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"))")
                    out.line(6, "maxLength: 200")
                } else {
                    typeSchema(.id, &out, 6)
                }
            }
            for p in route.parameters {
                out.line(4, "- name: \(p.name)")
                out.line(5, "in: \(p.location.rawValue)")
                if p.required { out.line(5, "required: true") }
                out.line(5, "description: \(q(p.description))")
                out.line(5, "schema:")
                if p.location == .query {
                    typeSchema(p.type, &out, 6)
                } else {
                    out.line(6, "type: string")
                }
            }
        }
        if let body = route.body {
            bodies[body.name] = body
            out.line(3, "requestBody:")
            out.line(4, "required: true")
            out.line(4, "content:")
            out.line(5, "application/json:")
            out.line(6, "schema:")
            out.line(7, "$ref: \(q("#/components/schemas/\(body.name)"))")
        }
        out.line(3, "responses:")
        switch route.success {
        case .command(let created):
            out.line(4, "\(q(created ? "201" : "200")):")
            out.line(5, "description: \(q("Accepted: the events recorded, the new stream versions and the log position."))")
            out.line(5, "content:")
            out.line(6, "application/json:")
            out.line(7, "schema:")
            out.line(8, "$ref: \(q("#/components/schemas/CommandResult"))")
        case .json(let name):
            responses.insert(name)
            out.line(4, "\(q("200")):")
            out.line(5, "description: OK")
            out.line(5, "content:")
            out.line(6, "application/json:")
            out.line(7, "schema:")
            out.line(8, "$ref: \(q("#/components/schemas/\(name)"))")
        case .accepted(let name):
            responses.insert(name)
            out.line(4, "\(q("202")):")
            out.line(5, "description: Accepted")
            out.line(5, "content:")
            out.line(6, "application/json:")
            out.line(7, "schema:")
            out.line(8, "$ref: \(q("#/components/schemas/\(name)"))")
        case .eventPage:
            out.line(4, "\(q("200")):")
            out.line(5, "description: \(q("A page of events and the next position (JSON, or NDJSON for Accept: application/x-ndjson)."))")
            out.line(5, "content:")
            out.line(6, "application/json:")
            out.line(7, "schema:")
            out.line(8, "$ref: \(q("#/components/schemas/EventPage"))")
            out.line(6, "application/x-ndjson:")
            out.line(7, "schema:")
            out.line(8, "type: string")
        case .eventStream:
            out.line(4, "\(q("200")):")
            out.line(
                5,
                "description: \(q("Server-Sent Events: `id` is the position, `data` a CloudEvents 1.0 JSON object; comment lines are heartbeats."))"
            )
            out.line(5, "content:")
            // No schema: the body is a sequence of SSE frames, which OpenAPI 3.1 has no schema for.
            out.line(6, "text/event-stream: {}")
        case .text(let type):
            out.line(4, "\(q("200")):")
            out.line(5, "description: OK")
            out.line(5, "content:")
            // No schema: text in its own format (YAML, Prometheus exposition), not JSON.
            out.line(6, "\(q(type)): {}")
        }
        var problems: [String] = []
        if case .roles = route.access { problems += ["401", "403"] }
        if !route.pathParameters.isEmpty || !route.parameters.isEmpty || route.body != nil { problems.append("400") }
        if route.body != nil { problems += ["413", "415"] }
        switch route.success {
        case .command: problems += ["404", "409", "422"]
        case .json: if route.method == .get { problems += ["404", "503"] }
        case .eventStream: problems += ["404", "429"]
        case .accepted: problems.append("404")
        case .eventPage, .text: break
        }
        if route.operationId == "ready" { problems.append("503") }
        if route.operationId == "acknowledgeConsumerPosition" { problems.append("409") }
        let names = Dictionary(uniqueKeysWithValues: problemResponses.map { (String($0.1), $0.0) })
        for status in Set(problems).sorted() {
            out.line(4, "\(q(status)):")
            out.line(5, "$ref: \(q("#/components/responses/\(names[status]!)"))")
        }
    }

    private static func collect(_ schema: BodySchema, into all: inout [String: BodySchema]) {
        all[schema.name] = schema
        func walk(_ type: FieldType) {
            switch type {
            case .object(let nested): collect(nested, into: &all)
            case .array(let element, _): walk(element)
            default: break
            }
        }
        for field in schema.fields { walk(field.type) }
    }

    private static func schema(_ schema: BodySchema, _ out: inout YAMLWriter) {
        out.line(2, "\(schema.name):")
        out.line(3, "type: object")
        if !schema.summary.isEmpty { out.line(3, "description: \(q(schema.summary))") }
        out.line(3, "additionalProperties: false")
        let required = schema.fields.filter(\.required).map(\.name)
        if !required.isEmpty { out.line(3, "required: [\(required.joined(separator: ", "))]") }
        if schema.fields.isEmpty {
            out.line(3, "properties: {}")
            return
        }
        out.line(3, "properties:")
        for field in schema.fields {
            out.line(4, "\(field.name):")
            typeSchema(field.type, &out, 5)
            if !field.description.isEmpty { out.line(5, "description: \(q(field.description))") }
        }
    }

    static func typeSchema(_ type: FieldType, _ out: inout YAMLWriter, _ indent: Int) {
        switch type {
        case .string(let maxLength):
            out.line(indent, "type: string")
            out.line(indent, "maxLength: \(maxLength)")
        case .id:
            out.line(indent, "type: string")
            out.line(indent, "pattern: \(q("^[A-Za-z0-9_-]{1,100}$"))")
        case .integer(let minimum, let maximum):
            out.line(indent, "type: integer")
            out.line(indent, "minimum: \(minimum)")
            if maximum != Int.max { out.line(indent, "maximum: \(maximum)") }
        case .number: out.line(indent, "type: number")
        case .boolean: out.line(indent, "type: boolean")
        case .enumeration(let values):
            out.line(indent, "type: string")
            out.line(indent, "enum: [\(values.map(q).joined(separator: ", "))]")
        case .date:
            out.line(indent, "type: string")
            out.line(indent, "format: date")
        case .dateTime:
            out.line(indent, "type: string")
            out.line(indent, "format: date-time")
        case .decimal:
            out.line(indent, "type: string")
            out.line(indent, "pattern: \(q("^-?[0-9]{1,20}(\\.[0-9]{1,10})?$"))")
        case .array(let element, let maxItems):
            out.line(indent, "type: array")
            out.line(indent, "maxItems: \(maxItems)")
            out.line(indent, "items:")
            typeSchema(element, &out, indent + 1)
        case .object(let schema):
            out.line(indent, "$ref: \(q("#/components/schemas/\(schema.name)"))")
        case .any:
            break
        }
    }

    private static func problemSchema(_ out: inout YAMLWriter) {
        out.text += """
                Problem:
                  type: object
                  description: "RFC 9457 problem details with a stable, machine-readable code."
                  required: [type, title, status, code]
                  properties:
                    type:
                      type: string
                    title:
                      type: string
                    status:
                      type: integer
                    detail:
                      type: string
                    code:
                      type: string
                      description: "Stable: validation.failed, version.conflict, a business rule's code (opportunity.closed), auth.forbidden, ..."
                    errors:
                      type: array
                      items:
                        type: object
                        required: [path, message]
                        properties:
                          path:
                            type: string
                          message:
                            type: string
                    survivorId:
                      type: string
                    behind:
                      type: integer

            """
    }

    private static func commandResultSchema(_ out: inout YAMLWriter) {
        out.text += """
                CommandResult:
                  type: object
                  required: [commandId, position, streams, ids, events, replayed]
                  properties:
                    commandId:
                      type: string
                    position:
                      type: integer
                      description: "The consistency token: pass it as atLeast to read your own write."
                    streams:
                      type: object
                      additionalProperties:
                        type: integer
                    ids:
                      type: object
                      additionalProperties:
                        type: string
                    replayed:
                      type: boolean
                    ineligible:
                      type: array
                      items:
                        type: object
                    events:
                      type: array
                      items:
                        type: object
                        required: [stream, type, position, version]
                        properties:
                          stream:
                            type: string
                          type:
                            type: string
                          position:
                            type: integer
                          version:
                            type: integer

            """
    }

    private static func responseSchema(_ schema: ResponseSchema, _ out: inout YAMLWriter) {
        out.line(2, "\(schema.name):")
        out.line(3, "type: object")
        out.line(3, "description: \(q(schema.summary))")
        out.line(3, "additionalProperties: false")
        let required = schema.members.filter(\.required).map(\.name)
        if !required.isEmpty { out.line(3, "required: [\(required.joined(separator: ", "))]") }
        out.line(3, "properties:")
        for member in schema.members {
            out.line(4, "\(member.name):")
            shape(member.type, &out, 5)
            if !member.description.isEmpty { out.line(5, "description: \(q(member.description))") }
        }
    }

    private static func shape(_ shape: ResponseShape, _ out: inout YAMLWriter, _ indent: Int) {
        switch shape {
        case .string: out.line(indent, "type: string")
        case .integer: out.line(indent, "type: integer")
        case .number: out.line(indent, "type: number")
        case .boolean: out.line(indent, "type: boolean")
        case .dateTime, .date, .uuid:
            out.line(indent, "type: string")
            out.line(indent, "format: \(shape.format)")
        case .decimal:
            out.line(indent, "type: string")
            out.line(indent, "pattern: \(q(ResponseShape.decimalPattern))")
        case .enumeration(let values):
            out.line(indent, "type: string")
            out.line(indent, "enum: [\(values.map(q).joined(separator: ", "))]")
        case .array(let element):
            out.line(indent, "type: array")
            out.line(indent, "items:")
            self.shape(element, &out, indent + 1)
        case .map(let element):
            out.line(indent, "type: object")
            out.line(indent, "additionalProperties:")
            self.shape(element, &out, indent + 1)
        case .ref(let name): out.line(indent, "$ref: \(q("#/components/schemas/\(name)"))")
        case .any: out.line(indent, "type: [object, array, string, number, boolean, \"null\"]")
        }
    }

    /// A YAML double-quoted scalar (JSON string syntax is valid YAML).
    static func q(_ text: String) -> String { JSONValue.string(text).serializedString }
}

struct YAMLWriter {
    var text = ""
    mutating func line(_ indent: Int, _ content: String) {
        text += String(repeating: "  ", count: indent) + content + "\n"
    }
}

/// The HTTP API's published contract, for `cairn openapi`.
public enum CairnContract {
    /// The OpenAPI 3.1 document (YAML) the server serves at `/openapi.yaml`.
    public static var openAPIYAML: String { OpenAPIDocument.yaml }
}
