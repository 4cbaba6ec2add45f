import CairnDomain
public import CairnStore

/// Records `service.SlaBreached` for every case deadline that passes unmet — exactly once.
///
/// It folds the `case-` streams from the log as they grow and, at each check, asks the domain
/// which deadlines are missed and not yet recorded. The breach goes through the ordinary command
/// path with a command id derived from the case and the deadline, so two watchers (or a restart
/// halfway) can never record one twice. Time comes from the service's injected clock.
public actor SlaWatcher {
    private let service: CairnService
    /// The next log position to fold.
    private var next: UInt64 = 1
    /// Cases that may still miss a deadline.
    private var cases: [CaseID: CaseState] = [:]
    /// What went wrong in the last ``run(interval:sleep:)`` check, if it failed.
    public private(set) var lastFailure: String?

    public init(service: CairnService) { self.service = service }

    /// Folds new case events, then records every missed deadline. Returns what it recorded.
    @discardableResult
    public func check() async throws -> [CommandOutcome] {
        try catchUp()
        let now = service.clock.now()
        let domainNow = CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000)
        var recorded: [CommandOutcome] = []
        for (caseId, state) in cases.sorted(by: { $0.key < $1.key }) {
            let missed = SlaEvaluation.unrecordedMissedDeadlines(state, now: domainNow)
            guard !missed.isEmpty else { continue }
            let key = missed.map { "\($0.kind)@\($0.dueAt.millisecondsSinceEpoch)" }.joined(separator: ",")
            let outcome = try await service.execute(
                .recordSlaBreaches(caseId: caseId),
                CommandMetadata(commandId: "sla-breach:\(caseId):\(key)", actor: "sla-watcher"))
            if !outcome.events.isEmpty { recorded.append(outcome) }
        }
        try catchUp()
        return recorded
    }

    /// When the next deadline of any watched case falls, if one is pending.
    public func nextDeadline() throws -> CairnStore.Timestamp? {
        try catchUp()
        let now = service.clock.now()
        let domainNow = CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000)
        return cases.values.compactMap { SlaEvaluation.nextDeadline($0, after: domainNow) }.min()
            .map { CairnStore.Timestamp(microsecondsSinceEpoch: $0.millisecondsSinceEpoch * 1000) }
    }

    /// Checks until the task is cancelled: when the next deadline falls, and at least every
    /// `interval` (to see cases opened meanwhile). A failed check is kept in ``lastFailure``
    /// and tried again at the next wake-up. `sleep` is injectable; tests call ``check()``.
    public func run(
        interval: Duration, sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async {
        while !Task.isCancelled {
            do {
                try await check()
                lastFailure = nil
            } catch {
                lastFailure = "\(error)"
            }
            var wait = interval
            if let next = try? nextDeadline() {
                let micros = max(0, next.microsecondsSinceEpoch - service.clock.now().microsecondsSinceEpoch)
                wait = min(interval, .microseconds(micros))
            }
            do { try await sleep(wait) } catch { return }
        }
    }

    private func catchUp() throws {
        while true {
            let page = try service.log.read(from: next, limit: 4096, filter: EventFilter(categories: [StreamCategory.case.rawValue]))
            for record in page.events {
                let event = try CaseEvent.decode(
                    type: record.type, schemaVersion: Int(record.schemaVersion), source: try service.vault.source(of: record))
                guard let stream = StreamName(parsing: record.stream) else { continue }
                let state: CaseState
                if let known = cases[stream.id] {
                    state = CaseDecider.evolve(known, event)
                } else if case .opened = event {
                    state = CaseDecider.evolve(CaseDecider.initialState, event)
                } else {
                    // A case this watcher let go of (closed, nothing left to miss) changed
                    // again: read it whole rather than fold onto an empty state.
                    state = try service.load(CaseDecider.self, stream, through: record.streamVersion).state
                }
                // A closed case can miss nothing more once its breaches are recorded.
                if state.status == .closed
                    && SlaEvaluation.unrecordedMissedDeadlines(state, now: .init(millisecondsSinceEpoch: .max)).isEmpty
                {
                    cases.removeValue(forKey: stream.id)
                } else {
                    cases[stream.id] = state
                }
            }
            let advanced = page.next != next
            next = page.next
            if !advanced { return }
        }
    }
}
