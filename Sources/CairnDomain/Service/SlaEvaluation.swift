/// Pure SLA checks over a case, driven by a `now` the caller supplies.
public enum SlaEvaluation {
    /// A missed deadline.
    public struct MissedDeadline: Sendable, Hashable {
        public var kind: SlaDeadlineKind
        public var dueAt: Timestamp
    }

    /// Deadlines of `state` that are missed as of `now` and not yet recorded as breached.
    ///
    /// A first-response deadline is missed when no agent answered by it; a resolution deadline
    /// when the case was not resolved (or closed) by it. Answering late still counts as missed.
    public static func unrecordedMissedDeadlines(_ state: CaseState, now: Timestamp) -> [MissedDeadline] {
        guard state.status != .notOpened else { return [] }
        var missed: [MissedDeadline] = []
        let checks: [(SlaDeadlineKind, Timestamp?)] = [
            (.firstResponse, state.firstRespondedAt),
            (.resolution, state.resolutionStoppedAt),
        ]
        for (kind, metAt) in checks {
            let due = state.deadlines.due(kind)
            let end = metAt ?? now
            guard end > due, !state.recordedBreaches.contains(.init(kind: kind, dueAt: due)) else { continue }
            missed.append(MissedDeadline(kind: kind, dueAt: due))
        }
        return missed
    }

    /// The earliest future instant at which a deadline of `state` could be missed, for a watcher
    /// that wants to sleep until then; nil when nothing is pending.
    public static func nextDeadline(_ state: CaseState, after now: Timestamp) -> Timestamp? {
        guard state.status == .open || state.status == .resolved else { return nil }
        var candidates: [Timestamp] = []
        if state.firstRespondedAt == nil, state.deadlines.firstResponseDue >= now { candidates.append(state.deadlines.firstResponseDue) }
        if state.resolutionStoppedAt == nil, state.deadlines.resolutionDue >= now { candidates.append(state.deadlines.resolutionDue) }
        return candidates.min()
    }
}
