public import CairnDomain
public import CairnProjections
public import CairnStore
import Foundation

/// The one API that HTTP, the CLI, imports and tests call: it turns commands into events
/// (load the streams → decide → append with the versions it loaded, retrying on a concurrent
/// change) and answers from the log.
///
/// ```swift
/// let service = CairnService(log: log, vault: try PersonalDataVault.open(dataDirectory: data) { print($0) })
/// let outcome = try await service.execute(.register(registration), CommandMetadata(actor: "user-7"))
/// outcome.position   // the consistency token
/// ```
public final class CairnService: Sendable {
    public let log: EventLog
    /// Seals personal data on the way in and opens it on the way out.
    public let vault: PersonalDataVault
    /// The read models queries answer from, when the service runs them.
    public let projections: ProjectionEngine?
    let clock: any WallClock
    let slaPolicy: SlaPolicy
    /// Attempts at a command whose streams keep changing under it before it gives up.
    let maxAttempts: Int
    /// Background rebuilds after erasures and retention runs.
    let purges = PurgeRequests()

    public init(
        log: EventLog, vault: PersonalDataVault, projections: ProjectionEngine? = nil, clock: any WallClock = SystemClock(),
        slaPolicy: SlaPolicy = .standard, maxAttempts: Int = 10
    ) {
        self.log = log
        self.vault = vault
        self.projections = projections
        self.clock = clock
        self.slaPolicy = slaPolicy
        self.maxAttempts = maxAttempts
    }

    // MARK: Loading

    /// An aggregate's state folded from its stream (up to version `through`, when given), and
    /// the version it was folded at.
    public func load<D: Decider>(
        _ decider: D.Type, _ stream: StreamName, through: UInt64 = .max
    ) throws(CommandError) -> (state: D.State, version: UInt64) {
        var state = D.initialState
        var version: UInt64 = 0
        let name = stream.description
        while true {
            let page: [RecordedEvent]
            do {
                page = try log.readStream(name, from: version + 1, limit: 1000)
            } catch {
                throw CommandError(kind: .storage, code: "storage.read", message: "reading \(name): \(error)")
            }
            for record in page {
                if record.streamVersion > through { return (state, version) }
                do {
                    let event = try D.Event.decode(
                        type: record.type, schemaVersion: Int(record.schemaVersion), source: try vault.source(of: record))
                    state = D.evolve(state, event)
                } catch {
                    throw CommandError(
                        kind: .storage, code: "storage.undecodable",
                        message: "event at position \(record.position) of \(name) cannot be decoded: \(error)")
                }
                version = record.streamVersion
            }
            if page.count < 1000 { return (state, version) }
        }
    }

    // MARK: Executing

    /// The streams one attempt at a command has read, with the versions it read them at.
    struct Decision {
        let service: CairnService
        let context: CommandContext
        var versions: [String: UInt64] = [:]

        /// The stream's state, remembering the version read. A malformed id reads as an empty
        /// stream, so the decider reports it among the command's invalid fields.
        mutating func state<D: Decider>(_ decider: D.Type, _ stream: StreamName) throws(CommandError) -> D.State {
            guard Identifier.isValid(stream.id) else { return D.initialState }
            let (state, version) = try service.load(decider, stream)
            versions[stream.description] = version
            return state
        }
    }

    /// Runs `decide` against fresh state and appends what it returns, expecting every stream it
    /// read to be where it was read. On a concurrent change it starts again, up to
    /// `maxAttempts` times. A command id seen before returns its first result.
    ///
    /// `command` identifies what is being done (its operation, stream and kind) so that a
    /// command id reused for a different command is never mistaken for a retry: the events'
    /// ids derive from both.
    func execute(
        _ metadata: CommandMetadata, primary: StreamName, command: some Sendable,
        _ decide: (inout Decision) throws -> [StreamedEvent]
    ) async throws(CommandError) -> CommandOutcome {
        let key = Self.idempotencyKey(metadata.commandId, primary, command)
        if let replay = try storedOutcome(of: key, commandId: metadata.commandId) { return replay }
        for attempt in 1...maxAttempts {
            let now = clock.now()
            var decision = Decision(
                service: self,
                context: CommandContext(
                    now: CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000), actor: metadata.actor))
            let streamed: [StreamedEvent]
            do {
                streamed = try decide(&decision)
            } catch let rejection as Rejection {
                throw CommandError(rejection)
            } catch let error as CommandError {
                throw error
            } catch {
                throw CommandError(kind: .storage, code: "storage.read", message: "\(error)")
            }
            if let expected = metadata.expectedVersion {
                let actual = decision.versions[primary.description] ?? 0
                guard actual == expected else {
                    throw CommandError(
                        kind: .versionConflict, code: "version.conflict",
                        message: "\(primary) is at version \(actual), not \(expected)")
                }
            }
            guard !streamed.isEmpty else {
                return CommandOutcome(
                    commandId: metadata.commandId, events: [], streamVersions: [:], position: log.committedThrough, isReplay: false)
            }
            let appends: [StreamAppend]
            do { appends = try await vault.seal(appendsFor(streamed, decision.versions, metadata, key), at: now) } catch {
                throw CommandError(kind: .storage, code: "storage.keys", message: "sealing personal data: \(error)")
            }
            do {
                let result = try await log.append(appends)
                return outcome(metadata.commandId, appends, result)
            } catch let error as EventLogError where error.code == .wrongExpectedVersion {
                if metadata.expectedVersion != nil && error.stream == primary.description {
                    throw CommandError(kind: .versionConflict, code: "version.conflict", message: error.message)
                }
                if attempt == maxAttempts {
                    throw CommandError(
                        kind: .versionConflict, code: "version.conflict",
                        message: "\(error.message); still changing after \(maxAttempts) attempts")
                }
            } catch let error as EventLogError where error.code == .idempotencyConflict {
                // The same command ran concurrently and landed first, deciding on other state.
                if let replay = try storedOutcome(of: key, commandId: metadata.commandId) { return replay }
                throw CommandError(kind: .idempotencyMismatch, code: "idempotency.mismatch", message: error.message)
            } catch let error as EventLogError {
                throw CommandError(kind: .storage, code: "storage.append", message: error.message)
            } catch {
                throw CommandError(kind: .storage, code: "storage.append", message: "\(error)")
            }
        }
        throw CommandError(kind: .versionConflict, code: "version.conflict", message: "gave up after \(maxAttempts) attempts")
    }

    /// The command id together with what the command does: its operation (the enum case),
    /// and the stream it addresses. Deterministic across processes and restarts.
    static func idempotencyKey(_ commandId: String, _ primary: StreamName, _ command: some Sendable) -> String {
        let operation = Mirror(reflecting: command).children.first?.label ?? String(describing: command)
        return "\(commandId)\u{0}\(String(describing: type(of: command))).\(operation)\u{0}\(primary)"
    }

    /// The id of the `index`-th event a command records: derived from its idempotency key, so a
    /// retried command finds (or re-creates) the same events.
    static func eventId(_ key: String, _ index: Int) -> UUID {
        UUID.derived(from: "cairn.command\u{0}\(key)\u{0}\(index)")
    }

    /// One `StreamAppend` per stream written, in order of first appearance, each expecting the
    /// version the decision read it at; then an empty append — a guard — for every stream the
    /// decision read but does not write, so a change to what it relied on (a consent withdrawn,
    /// a customer merged) makes the append conflict and the decision run again.
    func appendsFor(
        _ streamed: [StreamedEvent], _ versions: [String: UInt64], _ metadata: CommandMetadata, _ key: String
    ) -> [StreamAppend] {
        var appends: [StreamAppend] = []
        var slot: [String: Int] = [:]
        for (index, item) in streamed.enumerated() {
            let stream = item.stream.description
            let encoded = item.event.encoded()
            let event = NewEvent(
                id: Self.eventId(key, index), type: encoded.type, schemaVersion: UInt32(encoded.schemaVersion),
                payload: encoded.payload, subject: encoded.subject, occurredAt: metadata.occurredAt, actor: metadata.actor,
                correlationId: metadata.correlationId ?? metadata.commandId, causationId: metadata.causationId ?? metadata.commandId)
            if let at = slot[stream] {
                appends[at].events.append(event)
            } else {
                slot[stream] = appends.count
                let expected: ExpectedVersion = versions[stream].map { .exact($0) } ?? .any
                appends.append(StreamAppend(stream: stream, expectedVersion: expected, events: [event]))
            }
        }
        for (stream, version) in versions.sorted(by: { $0.key < $1.key }) where slot[stream] == nil {
            appends.append(StreamAppend(stream: stream, expectedVersion: .exact(version), events: []))
        }
        return appends
    }

    private func outcome(_ commandId: String, _ appends: [StreamAppend], _ result: AppendResult) -> CommandOutcome {
        var recorded: [CommandOutcome.Recorded] = []
        var positions = result.positions.makeIterator()
        for append in appends where !append.events.isEmpty {
            let last = result.streamVersions[append.stream] ?? 0
            for (offset, event) in append.events.enumerated() {
                recorded.append(
                    CommandOutcome.Recorded(
                        stream: append.stream, type: event.type, position: positions.next() ?? 0,
                        version: last - UInt64(append.events.count - 1 - offset)))
            }
        }
        return CommandOutcome(
            commandId: commandId, events: recorded, streamVersions: result.streamVersions, position: result.lastPosition,
            isReplay: result.wasAlreadyStored)
    }

    /// The events a command recorded earlier, if it ran before.
    func storedOutcome(of key: String, commandId: String) throws(CommandError) -> CommandOutcome? {
        var events: [CommandOutcome.Recorded] = []
        do {
            while let event = try log.event(id: Self.eventId(key, events.count)) {
                events.append(
                    CommandOutcome.Recorded(stream: event.stream, type: event.type, position: event.position, version: event.streamVersion))
            }
        } catch {
            throw CommandError(kind: .storage, code: "storage.read", message: "\(error)")
        }
        guard !events.isEmpty else { return nil }
        events.sort { $0.position < $1.position }
        var versions: [String: UInt64] = [:]
        for event in events { versions[event.stream] = max(versions[event.stream] ?? 0, event.version) }
        return CommandOutcome(
            commandId: commandId, events: events, streamVersions: versions, position: events.last!.position, isReplay: true)
    }
}

extension CommandError {
    init(_ rejection: Rejection) {
        let kind: Kind =
            switch rejection.kind {
            case .invalid: .invalid
            case .notFound: .notFound
            case .conflict: .rejected
            }
        self.init(
            kind: kind, code: rejection.code, message: rejection.message, path: rejection.path,
            issues: rejection.issues.map { ($0.path, $0.message) }, survivorId: rejection.survivorId)
    }
}
