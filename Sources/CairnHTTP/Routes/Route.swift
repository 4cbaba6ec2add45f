import CairnService
import HTTPTypes
import Hummingbird

/// One endpoint: everything the server needs to serve it and the OpenAPI document needs to
/// describe it. The server registers exactly these routes, and the document is generated from
/// them, so the two cannot disagree.
struct Route: Sendable {
    typealias Handler = @Sendable (Request, CairnRequestContext, HTTPEnvironment) async throws -> Response

    enum Access: Sendable {
        /// No key needed (health checks, the contract).
        case open
        /// A key of one of these roles (admin always).
        case roles(Set<AccessRole>)
    }

    enum Success: Sendable {
        /// A command's outcome (`CommandResult`), with this status.
        case command(created: Bool)
        /// JSON (component schema name).
        case json(String)
        /// 202 with JSON (component schema name): work started that goes on after the response.
        case accepted(String)
        /// JSON or NDJSON, by `Accept`.
        case eventPage
        /// `text/event-stream`.
        case eventStream
        /// Plain text with this content type.
        case text(String)
    }

    var method: HTTPRequest.Method
    /// OpenAPI template: `/v1/customers/{customerId}/tags`.
    var path: String
    var operationId: String
    var summary: String
    var tag: String
    var access: Access
    var parameters: [QueryParameter] = []
    var body: BodySchema?
    var success: Success
    var handler: Handler

    /// `{name}` segments of the path.
    var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// Hummingbird's spelling of the path: `/v1/customers/:customerId/tags`.
    var routerPath: String {
        "/"
            + path.split(separator: "/").map { segment in
                segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
            }.joined(separator: "/")
    }

    /// Whether a role may call this route.
    func admits(_ role: AccessRole) -> Bool {
        switch access {
        case .open: true
        case .roles(let roles): role == .admin || roles.contains(role)
        }
    }
}

/// A query-string (or header) parameter.
struct QueryParameter: Sendable {
    enum Location: String, Sendable { case query, header }
    var name: String
    var location: Location = .query
    var type: FieldType
    var description: String
    var required = false

    static func query(_ name: String, _ type: FieldType, _ description: String, required: Bool = false) -> QueryParameter {
        QueryParameter(name: name, location: .query, type: type, description: description, required: required)
    }

    static func header(_ name: String, _ type: FieldType, _ description: String) -> QueryParameter {
        QueryParameter(name: name, location: .header, type: type, description: description)
    }
}

/// Who may do what, by context.
enum Roles {
    static let sales: Set<AccessRole> = [.sales]
    static let customers: Set<AccessRole> = [.sales, .marketing, .service]
    static let marketing: Set<AccessRole> = [.marketing]
    static let service: Set<AccessRole> = [.service]
    static let compliance: Set<AccessRole> = [.compliance]
    static let readers: Set<AccessRole> = [.sales, .marketing, .service, .compliance]
    static let tail: Set<AccessRole> = [.consumer, .compliance]
    static let ops: Set<AccessRole> = [.ops]
}
