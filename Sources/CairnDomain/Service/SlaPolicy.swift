/// How urgent a case is.
public enum CasePriority: String, Sendable, Hashable, Comparable, JSONStringEnum {
    case low, normal, high, urgent

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// Where a case came in.
public enum CaseChannel: String, Sendable, Hashable, JSONStringEnum {
    case email, phone, chat, web, social
}

/// The two service-level deadlines a case carries.
public enum SlaDeadlineKind: String, Sendable, Hashable, Comparable, JSONStringEnum {
    case firstResponse, resolution

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Service-level targets per priority, in seconds from when the case opened.
public struct SlaPolicy: Sendable, Hashable {
    public struct Targets: Sendable, Hashable {
        public var firstResponseSeconds: Int
        public var resolutionSeconds: Int

        public init(firstResponseSeconds: Int, resolutionSeconds: Int) {
            self.firstResponseSeconds = firstResponseSeconds
            self.resolutionSeconds = resolutionSeconds
        }
    }

    public var targets: [CasePriority: Targets]

    public init(targets: [CasePriority: Targets]) { self.targets = targets }

    /// Urgent 1 h / 8 h, high 4 h / 24 h, normal 8 h / 3 days, low 24 h / 7 days.
    public static let standard = SlaPolicy(targets: [
        .urgent: Targets(firstResponseSeconds: 3_600, resolutionSeconds: 8 * 3_600),
        .high: Targets(firstResponseSeconds: 4 * 3_600, resolutionSeconds: 24 * 3_600),
        .normal: Targets(firstResponseSeconds: 8 * 3_600, resolutionSeconds: 72 * 3_600),
        .low: Targets(firstResponseSeconds: 24 * 3_600, resolutionSeconds: 7 * 24 * 3_600),
    ])

    public func targets(for priority: CasePriority) -> Targets {
        targets[priority] ?? SlaPolicy.standard.targets[priority]!
    }

    /// Deadlines for a case of `priority` that opened at `openedAt`.
    public func deadlines(priority: CasePriority, openedAt: Timestamp) -> CaseDeadlines {
        let t = targets(for: priority)
        return CaseDeadlines(
            firstResponseDue: openedAt.adding(seconds: t.firstResponseSeconds),
            resolutionDue: openedAt.adding(seconds: t.resolutionSeconds))
    }
}

/// When a case must first be answered and when it must be resolved.
public struct CaseDeadlines: Sendable, Hashable {
    public var firstResponseDue: Timestamp
    public var resolutionDue: Timestamp

    public init(firstResponseDue: Timestamp, resolutionDue: Timestamp) {
        self.firstResponseDue = firstResponseDue
        self.resolutionDue = resolutionDue
    }

    public func due(_ kind: SlaDeadlineKind) -> Timestamp {
        kind == .firstResponse ? firstResponseDue : resolutionDue
    }
}
