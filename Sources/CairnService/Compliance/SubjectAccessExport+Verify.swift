import CairnDomain
import CairnStore
import Foundation

/// The outcome of checking an export offline.
public struct ExportCheck: Sendable {
    /// Records whose bytes, hash and proof were checked.
    public var recordsChecked: Int
    /// The tree head the records are proven against.
    public var treeSize: UInt64
    /// What is wrong, most specific first; empty when the export is intact.
    public var problems: [String]
    /// True when the public key came from the export itself rather than from the reviewer.
    public var usedEmbeddedKey: Bool

    public var isIntact: Bool { problems.isEmpty }
}

extension SubjectAccessExport {
    /// Checks an export with nothing but its bytes and the log's public key (raw Ed25519, 32
    /// bytes; nil trusts the key the export names, which proves integrity only against that
    /// key). For every record: its canonical bytes parse, hash to the stored hash from the
    /// previous one, agree with every field shown beside them, name one of the exported
    /// customers, and are proven by their RFC 9162 path to be in the signed tree head; every
    /// sealed member of the signed payload opens, with the event keys the record discloses, to
    /// exactly the text shown (or shows its placeholder when no key is disclosed); every
    /// timeline entry points at a proven record.
    public static func verify(_ bytes: [UInt8], publicKey: [UInt8]?) -> ExportCheck {
        var check = ExportCheck(recordsChecked: 0, treeSize: 0, problems: [], usedEmbeddedKey: publicKey == nil)
        func fail(_ problem: String) -> ExportCheck {
            check.problems.append(problem)
            return check
        }
        guard let document = try? JSONValue.parse(bytes), case .object(let root) = document else {
            return fail("the file is not a JSON object")
        }
        guard root["format"] == .string(format) else { return fail("the file is not a \(format) document") }
        guard case .object(let head)? = root["treeHead"], let size = head.uint("treeSize"), let rootHash = head.digest("rootHash"),
            let time = head.string("timestamp").flatMap(CairnStore.Timestamp.init(rfc3339:)), let keyId = head.string("keyId"),
            let signature = head.base64("signature")
        else { return fail("treeHead: missing or malformed") }
        check.treeSize = size
        let key = publicKey ?? head.base64("publicKey") ?? []
        let signed = SignedTreeHead(treeSize: size, rootHash: rootHash, timestamp: time, keyId: keyId, signature: signature)
        if !signed.verify(publicKey: key) {
            check.problems.append(
                "treeHead: the signature does not verify with \(publicKey == nil ? "the key in the export" : "the given public key")")
        }
        guard case .array(let members)? = root["memberIds"] else { return fail("memberIds: missing") }
        let memberIds = Set(members.compactMap { if case .string(let id) = $0 { id } else { nil } })
        // Exports made before converted leads were included have no `leadIds`, and no record without a subject.
        var leadStreams: Set<String> = []
        if case .array(let leads)? = root["leadIds"] {
            for case .string(let id) in leads { leadStreams.insert(StreamName(.lead, id).description) }
        }
        guard case .array(let records)? = root["records"] else { return fail("records: missing") }

        var proven: Set<UInt64> = []
        var provenRecords: [UInt64: RecordedEvent] = [:]
        var openedPayloads: [UInt64: [UInt8]] = [:]
        for (index, item) in records.enumerated() {
            guard case .object(let fields) = item, let position = fields.uint("position") else {
                check.problems.append("records[\(index)]: not a record")
                continue
            }
            let place = "records[\(index)] (position \(position))"
            guard let canonical = fields.base64("canonical"), let hash = fields.digest("hash"),
                let previous = fields.digest("previousHash"), case .array(let pathValues)? = fields["proof"]
            else {
                check.problems.append("\(place): canonical bytes, hash, previous hash or proof missing")
                continue
            }
            guard RecordedEvent.chainHash(previous: previous, canonical: canonical) == hash else {
                check.problems.append("\(place): the canonical bytes do not hash to the record's hash — the record was altered")
                continue
            }
            let record: RecordedEvent
            do { record = try RecordedEvent(canonical: canonical, hash: hash) } catch {
                check.problems.append("\(place): the canonical bytes are not a record: \(error)")
                continue
            }
            let path = pathValues.compactMap { value -> SHA256Digest? in
                if case .string(let hex) = value { SHA256Digest(hex: hex) } else { nil }
            }
            let proof = InclusionProof(position: position, treeSize: size, recordHash: hash, path: path)
            guard path.count == pathValues.count, record.position == position, proof.verify(root: rootHash) else {
                check.problems.append("\(place): the inclusion proof does not tie the record to the signed tree head")
                continue
            }
            let opened: [UInt8]
            do { opened = try Self.open(record, eventKeys: fields) } catch {
                check.problems.append("\(place): \(error)")
                continue
            }
            openedPayloads[position] = opened
            for mismatch in Self.mismatches(record, opened, fields) {
                check.problems.append("\(place): \(mismatch) shown differs from the signed record")
            }
            if let subject = record.subject, !memberIds.contains(subject) {
                check.problems.append("\(place): concerns \(subject), who is not among the exported customers")
            } else if record.subject == nil, !leadStreams.contains(record.stream) {
                check.problems.append("\(place): names no subject and is not a record of an exported lead")
            }
            proven.insert(position)
            provenRecords[position] = record
            check.recordsChecked += 1
        }
        // The profile is the fold of the customer's own stream: refold it from the proven records.
        if case .string(let customerId)? = root["customerId"] {
            var state = CustomerDecider.initialState
            let stream = StreamName(.customer, customerId).description
            var refolded = true
            for record in provenRecords.values.filter({ $0.stream == stream }).sorted(by: { $0.streamVersion < $1.streamVersion }) {
                guard
                    let event = try? CustomerEvent.decode(
                        type: record.type, schemaVersion: Int(record.schemaVersion), payload: openedPayloads[record.position] ?? [])
                else {
                    refolded = false
                    break
                }
                state = CustomerDecider.evolve(state, event)
            }
            if !refolded || root["profile"] != state.profileJSON {
                check.problems.append("profile: differs from the customer's proven records")
            }
        }
        var consentHistory: [JSONValue] = []
        if case .array(let items)? = root["consentHistory"] { consentHistory = items }
        for (index, item) in consentHistory.enumerated() {
            guard case .object(let entry) = item, let position = entry.uint("position"), let record = provenRecords[position],
                entry["payload"] == (try? JSONValue.parse(openedPayloads[position] ?? [])), entry["type"] == JSONValue.string(record.type)
            else {
                check.problems.append("consentHistory[\(index)]: does not match a proven record")
                continue
            }
        }
        if case .array(let timeline)? = root["timeline"] {
            for (index, item) in timeline.enumerated() {
                guard case .object(let entry) = item, let position = entry.uint("position"), proven.contains(position) else {
                    check.problems.append("timeline[\(index)]: does not point at a proven record")
                    continue
                }
            }
        }
        return check
    }

    /// The displayed fields that do not match what the canonical bytes say.
    private static func mismatches(_ record: RecordedEvent, _ opened: [UInt8], _ fields: [String: JSONValue]) -> [String] {
        var wrong: [String] = []
        let expected: [(String, JSONValue?)] = [
            ("eventId", .string(record.id.uuidString.lowercased())), ("stream", .string(record.stream)),
            ("streamVersion", .number(Double(record.streamVersion))), ("type", .string(record.type)),
            ("schemaVersion", .number(Double(record.schemaVersion))), ("recordedAt", .string(record.recordedAt.rfc3339)),
            ("occurredAt", record.occurredAt.map { .string($0.rfc3339) }), ("actor", .string(record.actor)),
            ("subject", record.subject.map(JSONValue.string)),
            ("payload", (try? JSONValue.parse(opened)) ?? .string(Data(opened).base64EncodedString())),
        ]
        for (key, value) in expected where fields[key] != value { wrong.append(key) }
        return wrong
    }
}

extension SubjectAccessExport {
    struct SealedMemberError: Error, CustomStringConvertible {
        let description: String
    }

    /// The signed payload with its sealed members opened by the event keys the record
    /// discloses; a member without a disclosed key shows its placeholder.
    static func open(_ record: RecordedEvent, eventKeys fields: [String: JSONValue]) throws -> [UInt8] {
        var keys: [String: [UInt8]] = [:]
        if case .object(let disclosed)? = fields["eventKeys"] {
            for (keyId, value) in disclosed {
                guard case .string(let text) = value, let key = Data(base64Encoded: text), key.count == 32 else {
                    throw SealedMemberError(description: "eventKeys: \(keyId) is not a 32-byte base64 key")
                }
                keys[keyId] = [UInt8](key)
            }
        }
        return try PersonalDataVault.open(record, FieldCipher()) {
            keys[$0]
        } altered: { member in
            SealedMemberError(description: "the sealed member \(member) does not open with the disclosed key — altered")
        }
    }
}

extension [String: JSONValue] {
    fileprivate func string(_ key: String) -> String? {
        if case .string(let value)? = self[key] { value } else { nil }
    }

    fileprivate func uint(_ key: String) -> UInt64? {
        if case .number(let value)? = self[key], value >= 0, value == value.rounded(), value < 9e15 { UInt64(value) } else { nil }
    }

    fileprivate func digest(_ key: String) -> SHA256Digest? { string(key).flatMap(SHA256Digest.init(hex:)) }

    fileprivate func base64(_ key: String) -> [UInt8]? { string(key).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } }
}
