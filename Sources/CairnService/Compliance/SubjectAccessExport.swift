public import CairnDomain
package import CairnProjections
public import CairnStore
import Foundation

/// Everything the log holds about one customer, in a form a reviewer outside the company can
/// check: each record with its canonical bytes, the hash of the record before it, and an
/// RFC 9162 inclusion proof against a tree head signed (Ed25519) when the export was made.
///
/// Personal data is stored sealed, so each record also shows its payload opened and carries
/// the keys of that one event (derived from the subject's data key; they open nothing else):
/// with them a reader can check that the text shown is what the signed ciphertext says.
/// Members whose key is gone (erased) show their placeholder, which the record holds in clear.
///
/// The JSON document is the export; ``html`` is the same content for people to read.
public struct SubjectAccessExport: Sendable {
    public static let format = "cairn.subject-access-export/1"

    public var document: JSONValue
    /// Records in the export (the customer's, its merged duplicates' and its converted leads').
    public var recordCount: Int

    /// The document as canonical JSON (sorted keys, no whitespace).
    public var json: [UInt8] { document.serializedBytes }
}

/// Why an export could not be made.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case notFound, storage }
    public var kind: Kind
    public var description: String
}

extension CairnService {
    /// Exports everything concerning `customerId` (following a merge to its survivor, and
    /// including every duplicate merged into it and every lead converted into them): profile,
    /// consents and their history, the timeline when the service runs it, and every record with
    /// its proof against a tree head `signer` signs now (and the log keeps).
    public func exportSubject(_ customerId: String, signer: TreeHeadSigner) async throws -> SubjectAccessExport {
        try await exportSubject(customerId, asOf: nil, signer: signer)
    }

    /// The export as of `point` (nil: now): the records up to it, the profile folded from them
    /// and the timeline entries they made, each record still proven against a tree head signed
    /// now — what the service had recorded about the customer at that time, shown unaltered.
    /// The customer and its merged duplicates are those of today.
    package func exportSubject(
        _ customerId: String, asOf point: AsOfPoint?, signer: TreeHeadSigner
    ) async throws
        -> SubjectAccessExport
    {
        var (customer, state) = try resolveSurvivor(customerId)
        guard state.exists else { throw ExportError(kind: .notFound, description: "no customer \(customerId)") }
        if let point { state = try customerState(customer, asOf: point, in: log, payloads: vault).state }
        var members: [String] = []
        var pending = [customer]
        while let member = pending.popLast() {
            guard !members.contains(member) else { continue }
            members.append(member)
            pending += try load(CustomerDecider.self, StreamName(.customer, member)).state.absorbedDuplicates
        }
        var found: [UInt64: RecordedEvent] = [:]
        var leads: [StreamName] = []
        for member in members {
            var from: UInt64 = 1
            while true {
                let page = try log.positions(subject: member, from: from, limit: 10_000)
                for position in page {
                    guard let record = try log.event(at: position) else {
                        throw ExportError(kind: .storage, description: "the subject index names position \(position), which is missing")
                    }
                    found[position] = record
                    if let lead = Self.convertedLead(record), !leads.contains(lead) { leads.append(lead) }
                }
                guard let last = page.last, page.count == 10_000 else { break }
                from = last + 1
            }
        }
        // A lead's records before its conversion name no customer, yet they are the person's
        // first records: the lead's whole stream is part of the export.
        for lead in leads {
            var version: UInt64 = 1
            while case let page = try log.readStream(lead.description, from: version, limit: 1000), let last = page.last {
                for record in page { found[record.position] = record }
                version = last.streamVersion + 1
            }
        }

        let treeHead = try await log.signTreeHead(with: signer)
        var records: [JSONValue] = []
        var consentHistory: [JSONValue] = []
        records.reserveCapacity(found.count)
        var included: Set<UInt64> = []
        for (position, record) in found.sorted(by: { $0.key < $1.key }) {
            // Positions ascend and recordedAt never decreases along them: the first record
            // past the point ends the export.
            if let point, !point.includes(record) { break }
            included.insert(position)
            let previous = position == 1 ? SHA256Digest.zero : try found[position - 1]?.hash ?? log.event(at: position - 1)?.hash ?? .zero
            let proof = try log.inclusionProof(position: position, treeSize: treeHead.treeSize)
            let opened = try vault.payload(of: record)
            let payload = (try? JSONValue.parse(opened)) ?? .string(Data(opened).base64EncodedString())
            let eventKeys = try vault.eventKeys(of: record)
            var item: [String: JSONValue] = [:]
            item["position"] = .number(Double(position))
            item["eventId"] = .string(record.id.uuidString.lowercased())
            item["stream"] = .string(record.stream)
            item["streamVersion"] = .number(Double(record.streamVersion))
            item["type"] = .string(record.type)
            item["schemaVersion"] = .number(Double(record.schemaVersion))
            item["recordedAt"] = .string(record.recordedAt.rfc3339)
            item["occurredAt"] = record.occurredAt.map { .string($0.rfc3339) }
            item["actor"] = .string(record.actor)
            item["subject"] = record.subject.map(JSONValue.string)
            item["payload"] = payload
            if !eventKeys.isEmpty { item["eventKeys"] = .object(eventKeys.mapValues { .string(Data($0).base64EncodedString()) }) }
            item["canonical"] = .string(Data(record.canonicalBytes).base64EncodedString())
            item["previousHash"] = .string(previous.hex)
            item["hash"] = .string(record.hash.hex)
            item["proof"] = .array(proof.path.map { .string($0.hex) })
            records.append(.object(item))
            if record.type.hasPrefix("customers.Consent") || record.type == "customers.CustomerUnsubscribed" {
                consentHistory.append(
                    .object([
                        "position": .number(Double(position)), "recordedAt": .string(record.recordedAt.rfc3339),
                        "type": .string(record.type), "actor": .string(record.actor), "payload": payload,
                    ]))
            }
        }
        let timeline = try await exportTimeline(customer, through: treeHead.treeSize, only: point == nil ? nil : included)
        let profile = state.profileJSON
        var document: [String: JSONValue] = [
            "format": .string(SubjectAccessExport.format),
            "requestedId": .string(customerId),
            "customerId": .string(customer),
            "memberIds": .array(members.map(JSONValue.string)),
            "leadIds": .array(leads.map { .string($0.id) }),
            "generatedAt": .string(treeHead.timestamp.rfc3339),
            "treeHead": .object([
                "treeSize": .number(Double(treeHead.treeSize)), "rootHash": .string(treeHead.rootHash.hex),
                "timestamp": .string(treeHead.timestamp.rfc3339), "keyId": .string(treeHead.keyId),
                "publicKey": .string(Data(signer.publicKey).base64EncodedString()),
                "signature": .string(Data(treeHead.signature).base64EncodedString()),
            ]),
            "profile": profile,
            "consentHistory": .array(consentHistory),
            "records": .array(records),
        ]
        if let timeline { document["timeline"] = .array(timeline) }
        switch point {
        case .position(let position)?: document["asOf"] = .object(["position": .number(Double(position))])
        case .time(let time)?: document["asOf"] = .object(["time": .string(time.rfc3339)])
        case nil: break
        }
        return SubjectAccessExport(document: .object(document), recordCount: records.count)
    }

    /// The customer `id` resolves to (its survivor when merged away), and that customer's state.
    private func resolveSurvivor(_ id: String) throws -> (String, CustomerState) {
        var current = id
        for _ in 0..<64 {
            let state = try load(CustomerDecider.self, StreamName(.customer, current)).state
            guard case .merged(let survivor) = state.status else { return (current, state) }
            current = survivor
        }
        throw ExportError(kind: .storage, description: "customer \(id) is merged in a chain longer than 64")
    }

    /// Every timeline entry, oldest first, once the timeline has folded `position` (only those
    /// made by the records at `only`, when given); nil when the service runs no timeline.
    private func exportTimeline(_ customerId: String, through position: UInt64, only: Set<UInt64>?) async throws -> [JSONValue]? {
        guard let projections, projections.projectionNames.contains(CustomerTimelineQuery.projection) else { return nil }
        var entries: [JSONValue] = []
        var cursor: String?
        repeat {
            let page = try await query(CustomerTimelineQuery.projection, atLeast: position, timeout: .seconds(30)) { engine in
                try CustomerTimelineQuery.page(engine, customerId: customerId, limit: 1000, cursor: cursor)
            }
            guard let page else { return [] }
            for entry in page.entries where only?.contains(entry.position) ?? true {
                var item: [String: JSONValue] = [:]
                item["position"] = .number(Double(entry.position))
                item["eventId"] = .string(entry.eventId.uuidString.lowercased())
                item["customerId"] = .string(entry.customerId)
                item["recordedAt"] = .string(entry.recordedAt.rfc3339)
                item["occurredAt"] = entry.occurredAt.map { .string($0.rfc3339) }
                item["kind"] = .string(entry.kind.rawValue)
                item["channel"] = entry.channel.map(JSONValue.string)
                item["actor"] = .string(entry.actor)
                item["summary"] = .string(entry.summary)
                item["detail"] = entry.detail.map(JSONValue.string)
                item["changes"] = .array(
                    entry.changes.map { change in
                        var fields: [String: JSONValue] = ["field": .string(change.field)]
                        fields["old"] = change.oldValue.map(JSONValue.string)
                        fields["new"] = change.newValue.map(JSONValue.string)
                        return .object(fields)
                    })
                item["erased"] = .bool(entry.isErased)
                entries.append(.object(item))
            }
            cursor = page.next
        } while cursor != nil
        return entries
    }
}
