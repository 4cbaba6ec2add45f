package import CairnProjections

/// Why a query could not be answered.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The read model has not folded the position the caller must see within the wait
        /// (HTTP 503 with `Retry-After`); `behind` says by how many events.
        case behind
        /// No such read model, or the service runs none.
        case unavailable
        /// The read model stopped at a poison event.
        case failed
    }

    public var kind: Kind
    public var message: String
    public var behind: UInt64?

    public var description: String { message }
}

extension CairnService {
    /// Answers a query from read model `projection` once it reflects `atLeast` — the position a
    /// command returned — waiting at most `timeout` for it (read your writes).
    ///
    /// ```swift
    /// let outcome = try await service.execute(.tag(customerId: "c1", tag: "vip"), meta)
    /// let page = try await service.query("customer-timeline", atLeast: outcome.position) { engine in
    ///     try CustomerTimelineQuery.page(engine, customerId: "c1")
    /// }
    /// ```
    package func query<T>(
        _ projection: String, atLeast position: UInt64? = nil, timeout: Duration = .seconds(2),
        _ body: (ProjectionEngine) throws -> T
    ) async throws -> T {
        guard let projections, projections.projectionNames.contains(projection) else {
            throw QueryError(kind: .unavailable, message: "no read model named \(projection) is running")
        }
        if let position {
            do {
                try await projections.waitUntil(position: position, in: projection, timeout: timeout)
            } catch let error as ProjectionError where error.code == .timedOut {
                throw QueryError(
                    kind: .behind, message: "\(projection) has not reached position \(position) yet", behind: error.behind)
            } catch let error as ProjectionError where error.code == .failed {
                throw QueryError(kind: .failed, message: error.message)
            }
        }
        return try body(projections)
    }
}
