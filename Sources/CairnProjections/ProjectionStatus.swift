/// What a projection runner is doing.
public enum ProjectionState: Sendable, Equatable, CustomStringConvertible {
    /// Folded everything committed; follows appends as they commit.
    case live
    /// Serving queries while folding stored events towards the head.
    case catchingUp
    /// A new build beside the serving one, not yet answering queries.
    case rebuilding
    /// Serving queries at its checkpoint without folding: the projector code for this version
    /// is no longer registered, and the new version is being built to replace it.
    case frozen
    /// Stopped just before `position`, whose fold threw `message`. Nothing after it is folded
    /// until the projector is fixed (and the engine restarted) — events are never skipped.
    case failed(position: UInt64, message: String)

    public var description: String {
        switch self {
        case .live: "live"
        case .catchingUp: "catching up"
        case .rebuilding: "rebuilding"
        case .frozen: "frozen"
        case .failed(let position, let message): "failed at position \(position): \(message)"
        }
    }
}

/// Progress and lag of one read-model version.
public struct ProjectionStatus: Sendable {
    public var name: String
    public var version: Int
    /// The environment's directory, relative to the engine's root.
    public var directory: String
    /// True for the version queries read; false for a build beside it.
    public var isServing: Bool
    public var state: ProjectionState
    /// The last position folded (0 before the first).
    public var checkpoint: UInt64
    /// The log's last committed position.
    public var head: UInt64
    public var lagEvents: UInt64 { head > checkpoint ? head - checkpoint : 0 }
    /// `recordedAt` of the head minus that of the checkpoint's event.
    public var lagSeconds: Double
    /// Positions folded per second over the last few seconds (0 when idle).
    public var eventsPerSecond: Double

    /// Time to reach the head at the current rate; nil when idle or unknown.
    public var estimatedTimeRemaining: Duration? {
        guard lagEvents > 0, eventsPerSecond > 0 else { return lagEvents == 0 ? .zero : nil }
        return .milliseconds(Int64((Double(lagEvents) / eventsPerSecond * 1000).rounded(.up)))
    }
}
