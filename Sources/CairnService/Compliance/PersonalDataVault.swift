import CairnDomain
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
    /// made first, together, in one durable write.
    public func seal(_ appends: [StreamAppend], at time: CairnStore.Timestamp) async throws -> [StreamAppend] {
        let month = KeyMonth(time)
        // Each event's sealing plan and key id, worked out once.
        let ids = appends.map { append in
            append.events.map { event in
                PersonalDataEnvelope.plan(type: event.type, schemaVersion: Int(event.schemaVersion)).map {
                    (plan: $0, id: DataKeyID(owner: event.subject ?? append.stream, scope: $0.kind))
                }
            }
        }
        let needed = Set(ids.joined().compactMap { $0?.id })
        guard !needed.isEmpty else { return appends }
        let found = try await keys.sealingKeys(for: needed, month: month, linking: Self.contactLinks(appends))
        // What each key seals under: its name, and the prefix of every member's context.
        var names: [DataKeyID: (name: PersonalDataEnvelope.KeyName, context: [UInt8])] = [:]
        for case let (id, (key: _, month: sealedMonth)?) in found {
            let text = "\(id)/\(sealedMonth)"
            names[id] = (PersonalDataEnvelope.KeyName(text), Array(text.utf8) + [0])
        }
        let cipher = FieldCipher()
        return try zip(appends, ids).map { append, ids in
            var sealed = append
            sealed.events = try zip(append.events, ids).map { event, sealing in
                guard let (plan, id) = sealing else { return event }
                var event = event
                guard let key = found[id] ?? nil, let name = names[id] else {
                    // Personal data arriving for an erased subject is never stored.
                    event.payload = try EventCatalogue.redact(
                        type: event.type, schemaVersion: Int(event.schemaVersion), payload: event.payload)
                    return event
                }
                let eventId = Self.bytes(event.id)
                let eventKey = cipher.eventKey(dataKey: key.key, eventId: eventId)
                let contextPrefix = name.context + eventId + [0]
                event.payload = try PersonalDataEnvelope.seal(plan, payload: event.payload, keyId: name.name) { member in
                    cipher.seal(member.json, eventKey: eventKey, context: contextPrefix + Array(member.name.utf8))
                }
                return event
            }
            return sealed
        }
    }

    /// Email addresses the appends give their customers, so the customer can be found by
    /// address (``CairnService/customers(withEmail:)``) without the address being kept.
    static func contactLinks(_ appends: [StreamAppend]) -> [(address: String, owner: String)] {
        appends.flatMap { append in
            append.events.flatMap { event in
                event.subject.map { subject in
                    ContactValidation.emailAddresses(type: event.type, payload: event.payload).map { ($0, subject) }
                } ?? []
            }
        }
    }

    // MARK: Opening

    /// The payload with its personal data opened (or shown erased).
    public func payload(of record: RecordedEvent) throws -> [UInt8] {
        guard PersonalDataEnvelope.hasSealedMembers(record.payload) else { return record.payload }
        let cipher = FieldCipher()
        return try Self.open(record, cipher) { keyId in
            try eventKey(keyText: keyId, eventId: record.id, cipher)
        } altered: { member in
            DataKeyError(.storage, "the sealed member \(member) of event \(record.id) does not open: altered, or sealed under another key")
        }
    }

    /// `record`'s payload with each sealed member opened under the event key `eventKey` gives
    /// for its key id (asked once per id; nil shows the member erased); `altered` is the error
    /// for a member that does not open. The vault's reads and the offline export check share it.
    static func open(
        _ record: RecordedEvent, _ cipher: borrowing FieldCipher, eventKey: (String) throws -> [UInt8]?,
        altered: (String) -> any Error
    ) throws -> [UInt8] {
        var keys: [String: [UInt8]?] = [:]
        return try PersonalDataEnvelope.reveal(payload: record.payload) { sealed in
            let key: [UInt8]?
            if let known = keys[sealed.keyId] {
                key = known
            } else {
                key = try eventKey(sealed.keyId)
                keys[sealed.keyId] = key
            }
            guard let key else { return nil }
            do {
                return try cipher.open(sealed.ciphertext, eventKey: key, context: context(sealed.keyId, record.id, sealed.name))
            } catch {
                throw altered(sealed.name)
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
        return cipher.eventKey(dataKey: monthKey, eventId: Self.bytes(eventId))
    }

    /// What each sealed member's ciphertext is bound to: its key, its event and its name.
    static func context(_ keyText: String, _ eventId: UUID, _ member: String) -> [UInt8] {
        Array(keyText.utf8) + [0] + bytes(eventId) + [0] + Array(member.utf8)
    }

    static func bytes(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }
}
