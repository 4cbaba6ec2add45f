public import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Synchronization

/// A retention rule: the personal data of one kind (a stream category) is kept this many
/// months, counted in whole calendar months from the month it was recorded in.
public struct RetentionPolicy: Sendable, Hashable, CustomStringConvertible {
    public let kind: StreamCategory
    public let months: Int

    /// Kinds of data that carry personal data, and so can have a policy.
    public static let kinds: [StreamCategory] = StreamCategory.allCases.filter { category in
        EventCatalogue.entries.contains { $0.category == category && !$0.personalDataPaths.isEmpty }
    }

    public init(kind: StreamCategory, months: Int) throws(CommandError) {
        guard Self.kinds.contains(kind) else {
            throw CommandError(
                kind: .invalid, code: "validation.failed", message: "\(kind.rawValue) data holds no personal data",
                issues: [("/kind", "must be one of \(Self.kinds.map(\.rawValue).joined(separator: ", "))")])
        }
        guard (1...1200).contains(months) else {
            throw CommandError(
                kind: .invalid, code: "validation.failed", message: "months must be 1–1200", issues: [("/months", "must be 1–1200")])
        }
        self.kind = kind
        self.months = months
    }

    /// `kind=months`, as the CLI and configuration write it (`activity=24`).
    public init(parsing text: String) throws(CommandError) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let kind = StreamCategory(rawValue: parts[0]), let months = Int(parts[1]) else {
            throw CommandError(
                kind: .invalid, code: "validation.failed",
                message: "a retention policy is KIND=MONTHS (for example activity=24), not \(text)",
                issues: [("/policies", "must be KIND=MONTHS")])
        }
        try self.init(kind: kind, months: months)
    }

    public var description: String { "\(kind.rawValue)=\(months)" }
}

extension CairnService {
    // MARK: Erasure

    /// Erases a customer's personal data, as the law requires: destroys the data keys of the
    /// customer, of every duplicate merged into it and of every lead converted into them (so
    /// the sealed data in the log can never be read again), puts their email addresses and
    /// phone numbers on the suppression list (as keyed hashes only), and records
    /// `PersonalDataErased` — who (the actor), when, the request and its legal basis; nothing
    /// personal. Read models show the data as erased once they fold that event;
    /// ``purgeReadModels()`` then rebuilds them so no page of theirs still holds it.
    ///
    /// Refused, changing nothing, when the customer does not exist, is already erased or is
    /// under legal hold. The keys go before the event is appended: a crash between the two
    /// leaves the data gone and the request to be repeated, never the reverse.
    @discardableResult
    public func forget(
        _ customerId: CustomerID, requestId: String, legalBasis: String, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        let command = CustomerCommand.recordErasure(customerId: customerId, requestId: requestId, legalBasis: legalBasis)
        try destroyKeys(CustomerDecider.self, command, command.stream, metadata) { _ throws(CommandError) in
            try dataSubjects(of: customerId)
        }
        return try await execute(command, metadata)
    }

    /// Erases the personal data of a lead that never became a customer, as ``forget(_:requestId:legalBasis:_:)``
    /// does a customer's: destroys the lead's data keys, suppresses every email address and
    /// phone number it held (as keyed hashes only), drops its contact links, and records
    /// `sales.LeadErased` — who, when, the request and its legal basis; nothing personal.
    ///
    /// Refused, changing nothing, when the lead does not exist or is already erased, and when
    /// it was converted: its data then belongs to the customer it became, whose erasure takes
    /// the lead with it. The keys go before the event, as for a customer.
    @discardableResult
    public func forgetLead(
        _ leadId: LeadID, requestId: String, legalBasis: String, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        let command = LeadCommand.recordErasure(leadId: leadId, requestId: requestId, legalBasis: legalBasis)
        try destroyKeys(LeadDecider.self, command, command.stream, metadata) { lead in
            ([command.stream.description], Self.addresses(of: lead))
        }
        return try await execute(command, metadata)
    }

    /// What an erasure does before its event is recorded, unless the command already ran:
    /// checks that the decider accepts it (a refusal destroys nothing), then puts the subjects'
    /// addresses on the suppression list and destroys the data keys of their owners. Keys go
    /// first, so a crash leaves the data gone and the request to be repeated, never the reverse.
    private func destroyKeys<D: Decider>(
        _ decider: D.Type, _ command: D.Command, _ stream: StreamName, _ metadata: CommandMetadata,
        subjects: (D.State) throws(CommandError) -> (owners: [String], addresses: Set<String>)
    ) throws(CommandError) {
        guard try storedOutcome(of: Self.idempotencyKey(metadata.commandId, stream, command), commandId: metadata.commandId) == nil else {
            return
        }
        let (state, _) = try load(D.self, stream)
        do { _ = try D.decide(command, state, CommandContext(now: domainNow(), actor: metadata.actor)) } catch {
            throw CommandError(error)
        }
        var (owners, addresses) = try subjects(state)
        // Data erased before shows as its placeholder, which is nobody's address.
        addresses.remove(EventCatalogue.erasedPlaceholder)
        do {
            let now = clock.now()
            for address in addresses { try vault.keys.addFingerprint(of: address, at: now) }
            try vault.keys.erase(owners: owners, contacts: Array(addresses), at: now)
        } catch {
            throw Self.keyFailure(error, "erasing the data keys of \(stream)")
        }
    }

    /// The customers holding email address `email` now: candidates from the key store's contact
    /// links, each confirmed against its stream (a removed or merged-away address does not count;
    /// a duplicate answers with its survivor).
    public func customers(withEmail email: String) throws(CommandError) -> [CustomerID] {
        let address = ContactValidation.normalizedEmail(email)
        var found: [CustomerID] = []
        for candidate in try contactOwners(of: address) {
            var id = candidate
            var state = try load(CustomerDecider.self, StreamName(.customer, id)).state
            for _ in 0..<64 {
                guard case .merged(let survivor) = state.status else { break }
                id = survivor
                state = try load(CustomerDecider.self, StreamName(.customer, id)).state
            }
            if state.exists, !state.erased, state.emails.contains(address), !found.contains(id) { found.append(id) }
        }
        return found.sorted()
    }

    /// The leads holding email address `email` now — captured with it or given it by an update —
    /// confirmed against their streams like ``customers(withEmail:)``. Whatever became of a lead
    /// (qualified, disqualified, converted), it still holds its address.
    public func leads(withEmail email: String) throws(CommandError) -> [LeadID] {
        let address = ContactValidation.normalizedEmail(email)
        var found: [LeadID] = []
        for candidate in try contactOwners(of: address) {
            guard let stream = StreamName(parsing: candidate), stream.category == .lead else { continue }
            // The key store holds one link per owner, so no lead comes twice.
            if try load(LeadDecider.self, stream).state.email == address { found.append(stream.id) }
        }
        return found.sorted()
    }

    /// The owners the key store links to `address`: candidates, to be confirmed against their streams.
    private func contactOwners(of address: String) throws(CommandError) -> [String] {
        do { return try vault.keys.contactOwners(of: address) } catch {
            throw CommandError(kind: .storage, code: "storage.keys", message: "reading the contact links: \(error)")
        }
    }

    /// Whether an email address or phone number belongs to someone whose data was erased.
    public func isSuppressed(_ address: String) throws(CommandError) -> Bool {
        do { return try vault.keys.hasFingerprint(of: Self.suppressionForm(address)) } catch {
            throw CommandError(kind: .storage, code: "storage.keys", message: "reading the suppression list: \(error)")
        }
    }

    /// Every email address and phone number a lead held, those an update replaced included, in
    /// the form the suppression list keeps.
    static func addresses(of lead: LeadState) -> Set<String> {
        Set(([lead.email, lead.phone].compactMap { $0 } + lead.formerContacts).map(suppressionForm))
    }

    static func suppressionForm(_ address: String) -> String {
        address.utf8.contains(UInt8(ascii: "@")) ? ContactValidation.normalizedEmail(address) : address
    }

    /// Every owner of data keys that is this customer — itself, the duplicates merged into it
    /// (transitively) and the leads converted into any of them — with their addresses (as
    /// stored: data erased before reads as its placeholder).
    func dataSubjects(of customerId: CustomerID) throws(CommandError) -> (owners: [String], addresses: Set<String>) {
        var owners: [String] = []
        var addresses: Set<String> = []
        var pending = [customerId]
        var seen: Set<CustomerID> = []
        while let id = pending.popLast() {
            guard seen.insert(id).inserted else { continue }
            owners.append(id)
            let (state, _) = try load(CustomerDecider.self, StreamName(.customer, id))
            pending += state.absorbedDuplicates
            for email in state.emails { addresses.insert(Self.suppressionForm(email)) }
            for phone in state.phones { addresses.insert(phone) }
            for stream in try convertedLeads(of: id) {
                owners.append(stream.description)
                addresses.formUnion(Self.addresses(of: try load(LeadDecider.self, stream).state))
            }
        }
        return (owners, addresses)
    }

    /// The streams of the leads converted into customer `id` (not its merged duplicates): a
    /// lead's events before its conversion name no customer, so only `sales.LeadConverted`
    /// ties the person's first records to them.
    func convertedLeads(of id: CustomerID) throws(CommandError) -> [StreamName] {
        do {
            var leads: [StreamName] = []
            for position in try log.positions(subject: id) {
                guard let event = try log.event(at: position), let lead = Self.convertedLead(event), !leads.contains(lead) else { continue }
                leads.append(lead)
            }
            return leads
        } catch {
            throw CommandError(kind: .storage, code: "storage.read", message: "reading the events of \(id): \(error)")
        }
    }

    /// The lead `record` converted, when it is a `sales.LeadConverted`.
    static func convertedLead(_ record: RecordedEvent) -> StreamName? {
        record.type == "sales.LeadConverted" ? StreamName(parsing: record.stream) : nil
    }

    /// Rebuilds every read model from the log beside the one serving, then swaps it in: the
    /// old environments, whose free pages may still hold erased personal data, are deleted.
    /// Start it after the keys are gone, so the new builds never see the data.
    public func purgeReadModels() async throws {
        try await projections?.rebuildAll()
    }

    /// Starts ``purgeReadModels()`` in the background and returns. A request made while one
    /// runs starts another once it ends (the running one may have read the data before the
    /// keys went); requests made meanwhile share that next one.
    public func schedulePurge() {
        guard purges.request() else { return }
        Task { [self] in
            repeat {
                do { try await purgeReadModels() } catch { purges.failed("\(error)") }
            } while purges.finishedRun()
        }
    }

    /// The last background purge's failure, if it failed.
    public var lastPurgeFailure: String? { purges.lastFailure }

    // MARK: Legal holds

    /// Places a legal hold: the customer's data is exempt from erasure and retention until it
    /// is released. The hold reaches the key store before the event, so a crash never leaves
    /// a recorded hold unenforced.
    @discardableResult
    public func placeLegalHold(
        _ customerId: CustomerID, holdId: String, matter: String, _ metadata: CommandMetadata
    ) async throws(CommandError) -> CommandOutcome {
        do { try vault.keys.setHold(holdId, on: customerId, placed: true) } catch {
            throw CommandError(kind: .storage, code: "storage.keys", message: "recording the hold: \(error)")
        }
        do {
            return try await execute(.placeLegalHold(customerId: customerId, holdId: holdId, matter: matter), metadata)
        } catch {
            // Not placed after all (unknown customer, invalid id): take back what was recorded,
            // unless an earlier placement of the same hold stands.
            if error.kind != .storage, (try? load(CustomerDecider.self, StreamName(.customer, customerId)).state.legalHolds[holdId]) == nil
            {
                try? vault.keys.setHold(holdId, on: customerId, placed: false)
            }
            throw error
        }
    }

    /// Releases a legal hold: recorded first, then lifted from the key store.
    @discardableResult
    public func releaseLegalHold(
        _ customerId: CustomerID, holdId: String, _ metadata: CommandMetadata
    ) async throws(CommandError)
        -> CommandOutcome
    {
        let outcome = try await execute(.releaseLegalHold(customerId: customerId, holdId: holdId), metadata)
        do { try vault.keys.setHold(holdId, on: customerId, placed: false) } catch {
            throw CommandError(kind: .storage, code: "storage.keys", message: "lifting the hold: \(error)")
        }
        return outcome
    }

    // MARK: Retention

    /// Applies retention policies: for each, every data key of that kind is advanced to the
    /// first month kept, so the data recorded before it can no longer be read — the log is not
    /// rewritten. Customers under legal hold (with their merged duplicates and converted leads)
    /// are spared. Appends `compliance.RetentionApplied` saying what the run did, also when it
    /// did nothing.
    public func applyRetention(
        _ policies: [RetentionPolicy], _ metadata: CommandMetadata
    ) async throws(CommandError) -> (outcome: CommandOutcome, applied: ComplianceEvent.RetentionApplied) {
        let stream = StreamName(.compliance, "retention")
        let key = Self.idempotencyKey(metadata.commandId, stream, "retention")
        if let replay = try storedOutcome(of: key, commandId: metadata.commandId), let position = replay.events.first?.position {
            do {
                if let record = try log.event(at: position),
                    case .compliance(.retentionApplied(let applied)) = try EventCatalogue.decode(
                        type: record.type, schemaVersion: Int(record.schemaVersion), payload: record.payload)
                {
                    return (replay, applied)
                }
            } catch {}
        }
        let now = clock.now()
        let month = KeyMonth(now)
        var outcomes: [ComplianceEvent.PolicyOutcome] = []
        let heldCustomers: [CustomerID]
        do {
            heldCustomers = try vault.keys.heldOwners().sorted()
            var spared: Set<String> = []
            for customer in heldCustomers { spared.formUnion(try dataSubjects(of: customer).owners) }
            for policy in policies {
                let keepFrom = month.adding(months: -policy.months)
                let expired = try vault.keys.expire(scope: policy.kind.rawValue, before: keepFrom, sparing: spared)
                outcomes.append(
                    .init(kind: policy.kind.rawValue, months: policy.months, keepFrom: keepFrom.description, keysExpired: expired.count))
            }
        } catch let error as CommandError {
            throw error
        } catch {
            throw Self.keyFailure(error, "applying retention")
        }
        let applied = ComplianceEvent.RetentionApplied(runId: metadata.commandId, policies: outcomes, heldCustomers: heldCustomers)
        let outcome = try await execute(metadata, primary: stream, command: "retention") { _ in
            [StreamedEvent(stream, .compliance(.retentionApplied(applied)))]
        }
        return (outcome, applied)
    }

    /// A key store failure as a command error: busy (another process has the keys open) is
    /// worth retrying; anything else is a storage fault.
    static func keyFailure(_ error: any Error, _ what: String) -> CommandError {
        if let error = error as? DataKeyError, error.code == .busy {
            return CommandError(kind: .unavailable, code: "keys.busy", message: "\(what): \(error.message)")
        }
        return CommandError(kind: .storage, code: "storage.keys", message: "\(what): \(error)")
    }

    func domainNow() -> CairnDomain.Timestamp {
        CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000)
    }
}

/// Whether a background purge runs and whether another was asked for meanwhile.
final class PurgeRequests: Sendable {
    private struct State {
        var running = false
        var pending = false
        var lastFailure: String?
    }
    private let state = Mutex(State())

    /// True when the caller should start running (none runs); false when the running one will run again.
    func request() -> Bool {
        state.withLock { state in
            if state.running {
                state.pending = true
                return false
            }
            state.running = true
            return true
        }
    }

    /// True when another run was asked for while this one ran.
    func finishedRun() -> Bool {
        state.withLock { state in
            if state.pending {
                state.pending = false
                return true
            }
            state.running = false
            return false
        }
    }

    func failed(_ reason: String) { state.withLock { $0.lastFailure = reason } }
    var lastFailure: String? { state.withLock { $0.lastFailure } }
}

extension CairnService {
    /// Runs the retention policies once a day (by this service's clock; the run's id is the
    /// date, so a restart the same day does not run them twice), checking every `interval`,
    /// until cancelled. `report` hears each run or failure.
    public func runRetention(
        _ policies: [RetentionPolicy], checkEvery interval: Duration = .seconds(3600),
        report: @Sendable (Result<ComplianceEvent.RetentionApplied, CommandError>) -> Void
    ) async {
        guard !policies.isEmpty else { return }
        var lastDay = ""
        while !Task.isCancelled {
            let day = String(clock.now().rfc3339.prefix(10))
            if day != lastDay {
                do {
                    let (outcome, applied) = try await applyRetention(
                        policies, CommandMetadata(commandId: "retention-\(day)", actor: "retention"))
                    lastDay = day
                    if !outcome.isReplay {
                        report(.success(applied))
                        if applied.policies.contains(where: { $0.keysExpired > 0 }) { schedulePurge() }
                    }
                } catch {
                    report(.failure(error))
                }
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
