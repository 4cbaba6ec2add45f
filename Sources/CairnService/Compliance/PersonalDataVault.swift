public import CairnDomain
public import CairnProjections
public import CairnStore
public import Foundation
import Synchronization

/// Seals the personal data of events before they are appended and opens it when they are read.
///
/// Every payload member the domain marks as personal (``EventCatalogue/personalDataPaths``) is
/// stored as a ``PersonalDataEnvelope`` sealed member: AES-256-GCM under a key of the event's
/// own, derived from the data key of its subject (the customer; the stream for data that has
/// no customer yet, such as an unconverted lead) and kind of data (the stream category) for
/// the month it was recorded in. Everything else stays in clear, so the hash chain and the
/// Merkle tree cover the ciphertext and erasure never disturbs them.
///
/// When a key is gone — the subject erased, or retention past that month — reading shows the
/// member's placeholder instead; an event sealed for a subject already erased is stored with
/// the placeholders only.
public final class PersonalDataVault: EventPayloadReader {
    public let keys: DataKeyStore
    /// Month keys by sealed key id (nil: erased), as of the key store's generation: reads meet
    /// the same few ids again and again.
    private let monthKeys = Mutex<(generation: UInt64, keys: [String: [UInt8]?])>((0, [:]))

    public init(keys: DataKeyStore) { self.keys = keys }

    /// The vault of a data directory: data keys in `<data>/keys`, wrapped by the master key
    /// from `$CAIRN_MASTER_KEY`, else the file `$CAIRN_MASTER_KEY_FILE`, else
    /// `<data>/master.key` — made there (owner-only) when none exists, which `warn` is told.
    public static func open(
        dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment, warn: (String) -> Void
    ) throws -> PersonalDataVault {
        let file = environment["CAIRN_MASTER_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? dataDirectory + "/master.key"
        let (master, created) = try MasterKey.resolve(environment: environment, file: file)
        if created {
            warn(
                "generated a new master key at \(file): it sits beside the data it protects; move it elsewhere "
                    + "(CAIRN_MASTER_KEY_FILE) or into CAIRN_MASTER_KEY, and back it up — without it no personal data can be read")
        }
        return PersonalDataVault(keys: try DataKeyStore(directory: dataDirectory + "/keys", master: master))
    }

    public func close() { keys.close() }

    // MARK: Sealing

    /// The appends with every event's personal data sealed; the keys any of them needs are
    /// made first, together, in one durable write. Taken as `consuming`: a caller that hands
    /// over its only copy has the payloads replaced in place.
    public func seal(_ appends: consuming [StreamAppend], at time: CairnStore.Timestamp) async throws -> [StreamAppend] {
        let month = KeyMonth(time)
        // Each event with personal data parsed once, with the index of its key in `ids` (a
        // batch meets few keys, many times): the parse gives the contact links the keys are
        // written with — the addresses that find a customer or a lead by email
        // (``CairnService/customers(withEmail:)``, ``CairnService/leads(withEmail:)``) without
        // keeping them — then the members.
        var prepared: [Prepared] = []
        var ids: [DataKeyID] = []
        var index: [DataKeyID: Int] = [:]
        var links: [(address: String, owner: String)] = []
        var plans = PlanCache()
        for a in appends.indices {
            for e in appends[a].events.indices {
                let type = appends[a].events[e].type
                guard let plan = plans.plan(type: type, schemaVersion: appends[a].events[e].schemaVersion) else { continue }
                let payload = try PersonalDataEnvelope.prepare(plan, payload: appends[a].events[e].payload)
                let owner = appends[a].events[e].subject ?? appends[a].stream
                let key = Self.slot(of: DataKeyID(owner: owner, scope: plan.kind), in: &ids, &index)
                for address in payload.emailAddresses(type: type) { links.append((address, owner)) }
                prepared.append(Prepared(append: a, event: e, payload: payload, key: key))
            }
        }
        guard !ids.isEmpty else { return appends }
        let found = try await keys.sealingKeys(for: Set(ids), month: month, linking: links)
        // What each key seals under (nil: its owner is erased): the key, its name, and the
        // prefix of every member's context.
        let monthText = Array(month.description.utf8)
        let sealing = ids.map { id in
            (found[id] ?? nil).map { key in
                (key: key.key, name: Self.keyName(id, key.month == month ? monthText : Array(key.month.description.utf8)))
            }
        }
        let cipher = FieldCipher()
        var scratch = PersonalDataEnvelope.Scratch()
        var context: [UInt8] = []
        for item in prepared {
            guard let (dataKey, name) = sealing[item.key] else {
                // Personal data arriving for an erased subject is never stored.
                let event = appends[item.append].events[item.event]
                appends[item.append].events[item.event].payload = try EventCatalogue.redact(
                    type: event.type, schemaVersion: Int(event.schemaVersion), payload: event.payload)
                continue
            }
            context.removeAll(keepingCapacity: true)
            context += name.context
            let eventKey = withUnsafeBytes(of: appends[item.append].events[item.event].id.uuid) { eventId in
                context += eventId
                return cipher.eventKey(dataKey: dataKey, eventId: eventId)
            }
            context.append(0)
            appends[item.append].events[item.event].payload = try PersonalDataEnvelope.seal(
                item.payload, keyId: name.name, scratch: &scratch
            ) { member, json, ciphertext in
                cipher.seal(json, eventKey: eventKey, context: context, member: member, appendingTo: &ciphertext)
            }
        }
        return appends
    }

    /// An event of a batch with personal data, parsed, and the index of its key.
    private struct Prepared {
        let append: Int
        let event: Int
        let payload: PersonalDataEnvelope.Prepared
        let key: Int
    }

    /// The sealing plans a batch has met: a batch holds few event types, and comparing a type
    /// with the few already met costs less than hashing it.
    private struct PlanCache {
        private var met: [(type: String, schemaVersion: UInt32, plan: PersonalDataEnvelope.Plan?)] = []

        mutating func plan(type: String, schemaVersion: UInt32) -> PersonalDataEnvelope.Plan? {
            if let known = met.first(where: { $0.schemaVersion == schemaVersion && $0.type == type }) { return known.plan }
            let plan = PersonalDataEnvelope.plan(type: type, schemaVersion: Int(schemaVersion))
            met.append((type, schemaVersion, plan))
            return plan
        }
    }

    /// The index of `id` in `ids`, appended when new. A batch's events come a subject at a
    /// time, so the few ids met last are compared before any hashing; `index` takes over once
    /// a batch holds many ids.
    private static func slot(of id: DataKeyID, in ids: inout [DataKeyID], _ index: inout [DataKeyID: Int]) -> Int {
        for i in ids.indices.reversed().prefix(8) where ids[i] == id { return i }
        if ids.count > 8, let known = index[id] { return known }
        if ids.count >= 8 {
            if index.isEmpty { for (i, known) in ids.enumerated() { index[known] = i } }
            index[id] = ids.count
        }
        ids.append(id)
        return ids.count - 1
    }

    /// The name `id`'s data sealed for the month `month` (`yyyy-mm`) goes under —
    /// `owner/scope/yyyy-mm` — and the start of its members' contexts (the name and a zero
    /// byte), made from bytes: building them as text cost more than sealing a member.
    private static func keyName(_ id: DataKeyID, _ month: [UInt8]) -> (name: PersonalDataEnvelope.KeyName, context: [UInt8]) {
        var text: [UInt8] = []
        text.reserveCapacity(id.owner.utf8.count + id.scope.utf8.count + month.count + 3)
        text += id.owner.utf8
        text.append(UInt8(ascii: "/"))
        text += id.scope.utf8
        text.append(UInt8(ascii: "/"))
        text += month
        let name = PersonalDataEnvelope.KeyName(bytes: text)
        text.append(0)
        return (name, text)
    }

    // MARK: Opening

    /// The payload with its personal data opened (or shown erased).
    public func payload(of record: RecordedEvent) throws -> [UInt8] {
        guard PersonalDataEnvelope.hasSealedMembers(record.payload) else { return record.payload }
        var context: [UInt8] = []
        return try opened(record, FieldCipher(), &context)
    }

    /// Runs `body` with a ``payload(of:)`` that keeps one cipher and one context buffer
    /// across the records it is given (a page of events for a client), as ``withSources(_:)``
    /// does for the projections.
    public func withPayloads<R>(_ body: (_ payload: (RecordedEvent) throws -> [UInt8]) throws -> R) rethrows -> R {
        let cipher = FieldCipher()
        var context: [UInt8] = []
        return try body { record in
            PersonalDataEnvelope.hasSealedMembers(record.payload) ? try opened(record, cipher, &context) : record.payload
        }
    }

    /// A payload with sealed members, opened.
    private func opened(_ record: RecordedEvent, _ cipher: borrowing FieldCipher, _ context: inout [UInt8]) throws -> [UInt8] {
        try Self.open(record, cipher, context: &context) { keyId in
            try eventKey(keyText: keyId, eventId: record.id, cipher)
        } altered: { member in
            Self.altered(member, record)
        }
    }

    /// The payload ready for decoding, its personal data opened (or shown erased) without
    /// splicing: the payload and the opened members are each parsed once.
    public func source(of record: RecordedEvent) throws -> PayloadSource {
        var context: [UInt8] = []
        return try source(of: record, FieldCipher(), &context)
    }

    /// Runs `body` with a ``source(of:)`` that keeps one cipher and one context buffer
    /// across the records it is given: making and freeing OpenSSL contexts per event cost more
    /// than opening its members.
    public func withSources<R>(_ body: (_ source: (RecordedEvent) throws -> PayloadSource) throws -> R) rethrows -> R {
        let cipher = FieldCipher()
        var context: [UInt8] = []
        return try body { record in try source(of: record, cipher, &context) }
    }

    private func source(of record: RecordedEvent, _ cipher: borrowing FieldCipher, _ context: inout [UInt8]) throws -> PayloadSource {
        let payload = record.payload
        guard PersonalDataEnvelope.hasSealedMembers(payload) else { return PayloadSource(bytes: payload) }
        let source = try Self.opening(record, cipher, context: &context) { keyId in
            try eventKey(keyText: keyId, eventId: record.id, cipher)
        } altered: { member in
            Self.altered(member, record)
        } with: { open in
            try PersonalDataEnvelope.open(payload: payload, open)
        }
        return try source ?? PayloadSource(bytes: self.payload(of: record))
    }

    /// `record`'s payload with each sealed member opened under the event key `eventKey` gives
    /// for its key id (asked once per id; nil shows the member erased); `altered` is the error
    /// for a member that does not open. The vault's reads and the offline export check share it.
    static func open(
        _ record: RecordedEvent, _ cipher: borrowing FieldCipher, eventKey: (String) throws -> [UInt8]?,
        altered: (String) -> any Error
    ) throws -> [UInt8] {
        var context: [UInt8] = []
        return try open(record, cipher, context: &context, eventKey: eventKey, altered: altered)
    }

    /// The same, each member's context built in `context` (reused across the records of a page).
    private static func open(
        _ record: RecordedEvent, _ cipher: borrowing FieldCipher, context: inout [UInt8], eventKey: (String) throws -> [UInt8]?,
        altered: (String) -> any Error
    ) throws -> [UInt8] {
        try opening(record, cipher, context: &context, eventKey: eventKey, altered: altered) { open in
            try PersonalDataEnvelope.reveal(payload: record.payload, open)
        }
    }

    /// Runs `body` with the function that opens `record`'s sealed members (see
    /// ``open(_:_:eventKey:altered:)``); each member's context is built in `context`.
    private static func opening<R>(
        _ record: RecordedEvent, _ cipher: borrowing FieldCipher, context: inout [UInt8], eventKey: (String) throws -> [UInt8]?,
        altered: (String) -> any Error, with body: ((PersonalDataEnvelope.Sealed) throws -> [UInt8]?) throws -> R
    ) throws -> R {
        // The key ids met in this event (one, as a rule): a short list searched beats hashing.
        var keys: [(id: String, key: [UInt8]?)] = []
        let eventId = record.id
        // `body` is handed a function over the other two: neither outlives this call.
        return try withoutActuallyEscaping(eventKey) { eventKey in
            try withoutActuallyEscaping(altered) { altered in
                try body { sealed in
                    let key: [UInt8]?
                    if let known = keys.first(where: { $0.id == sealed.keyId }) {
                        key = known.key
                    } else {
                        key = try eventKey(sealed.keyId)
                        keys.append((sealed.keyId, key))
                    }
                    guard let key else { return nil }
                    Self.context(sealed.keyId, eventId, sealed.name, into: &context)
                    do {
                        return try cipher.open(sealed.ciphertext, eventKey: key, context: context)
                    } catch {
                        throw altered(sealed.name)
                    }
                }
            }
        }
    }

    /// The keys that open each sealed key id of `record` (nil for one whose data is erased):
    /// what a subject access export discloses so its reader can check ciphertext against text
    /// without any data key.
    func eventKeys(of record: RecordedEvent) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        let cipher = FieldCipher()
        _ = try PersonalDataEnvelope.reveal(payload: record.payload) { sealed in
            if found[sealed.keyId] == nil, let key = try eventKey(keyText: sealed.keyId, eventId: record.id, cipher) {
                found[sealed.keyId] = key
            }
            return nil
        }
        return found
    }

    private func eventKey(keyText: String, eventId: UUID, _ cipher: borrowing FieldCipher) throws -> [UInt8]? {
        let generation = keys.generation
        let monthKey: [UInt8]?
        if let cached = monthKeys.withLock({ $0.generation == generation ? $0.keys[keyText] : nil }) {
            monthKey = cached
        } else {
            guard let slash = keyText.lastIndex(of: "/"), let id = DataKeyID(keyText[..<slash]),
                let month = KeyMonth(keyText[keyText.index(after: slash)...])
            else { throw DataKeyError(.storage, "malformed key id \(keyText) in event \(eventId)") }
            monthKey = try keys.openingKey(for: id, month: month)
            monthKeys.withLock { cache in
                if cache.generation != generation || cache.keys.count >= 200_000 { cache = (generation, [:]) }
                cache.keys[keyText] = .some(monthKey)
            }
        }
        guard let monthKey else { return nil }
        return withUnsafeBytes(of: eventId.uuid) { cipher.eventKey(dataKey: monthKey, eventId: $0) }
    }

    private static func altered(_ member: String, _ record: RecordedEvent) -> any Error {
        DataKeyError(.storage, "the sealed member \(member) of event \(record.id) does not open: altered, or sealed under another key")
    }

    /// What each sealed member's ciphertext is bound to: its key, its event and its name.
    /// Written over `context`, whose storage is reused from member to member.
    static func context(_ keyText: String, _ eventId: UUID, _ member: String, into context: inout [UInt8]) {
        context.removeAll(keepingCapacity: true)
        context += keyText.utf8
        context.append(0)
        withUnsafeBytes(of: eventId.uuid) { context += $0 }
        context.append(0)
        context += member.utf8
    }
}
