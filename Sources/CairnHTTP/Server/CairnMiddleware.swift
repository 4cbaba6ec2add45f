import HTTPTypes
import Hummingbird
import Logging

/// Around every request: turns any error into problem+json (never a stack trace, never a 500
/// for bad input), and records latency by route.
struct CairnMiddleware: RouterMiddleware {
    typealias Context = CairnRequestContext
    let env: HTTPEnvironment

    func handle(
        _ request: Request, context: CairnRequestContext, next: (Request, CairnRequestContext) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        func record(_ status: HTTPResponse.Status) {
            env.metrics.request(
                route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: Int(status.code),
                duration: ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            record(response.status)
            return response
        } catch let problem as Problem {
            record(problem.status)
            throw problem
        } catch let error as HTTPError {
            let problem = Self.problem(error)
            record(problem.status)
            throw problem
        } catch {
            env.logger.error(
                "request failed", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            record(.internalServerError)
            throw Problem(.internalServerError, code: "internal", detail: "The server could not complete the request.")
        }
    }

    static func problem(_ error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: Problem(.notFound, code: "route.notFound", detail: "No such endpoint.")
        case .methodNotAllowed:
            Problem(.methodNotAllowed, code: "route.methodNotAllowed", detail: "The endpoint does not take this method.")
        case .contentTooLarge:
            Problem(.contentTooLarge, code: "request.tooLarge", detail: error.body ?? "The body is too large.")
        case let status where status.kind == .clientError:
            Problem(status, code: "request.invalid", detail: error.body ?? status.reasonPhrase)
        default: Problem(.internalServerError, code: "internal", detail: "The server could not complete the request.")
        }
    }
}
