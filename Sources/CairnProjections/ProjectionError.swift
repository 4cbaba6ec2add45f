/// Why a projection operation failed.
///
/// Match on `code`, which is stable; `message` is for people:
/// ```swift
/// catch let error as ProjectionError where error.code == .timedOut { … error.behind … }
/// ```
public struct ProjectionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No projector of that name is registered.
        public static let unknownProjection = Code("unknown_projection")
        /// A bounded wait for a position ended first; see ``ProjectionError/behind``.
        public static let timedOut = Code("timed_out")
        /// The projection stopped at a poison event (``ProjectionError/position``).
        public static let failed = Code("failed")
        /// The engine was closed.
        public static let closed = Code("closed")
        /// The engine's directory or manifest could not be used.
        public static let storage = Code("storage")
        /// Another process runs the projections in that directory.
        public static let inUse = Code("in_use")
    }

    public let code: Code
    public let message: String
    public let projection: String?
    /// For `failed`: the position of the event the fold threw on. For `timedOut`: the
    /// position waited for.
    public let position: UInt64?
    /// The projection's checkpoint when the operation gave up.
    public let checkpoint: UInt64?

    init(_ code: Code, _ message: String, projection: String? = nil, position: UInt64? = nil, checkpoint: UInt64? = nil) {
        self.code = code
        self.message = message
        self.projection = projection
        self.position = position
        self.checkpoint = checkpoint
    }

    /// For `timedOut`: how many positions the projection still had to fold.
    public var behind: UInt64? {
        guard let position, let checkpoint else { return nil }
        return position > checkpoint ? position - checkpoint : 0
    }

    public var description: String { message }
}
