package import CairnStore
package import Foundation

/// What a timeline entry is about; the filter compliance reviewers pick from.
package enum CustomerTimelineKind: String, Sendable, Hashable, CaseIterable {
    case registration
    /// Names, contact points, addresses, attributes, tags, owner, organization links, status.
    case profileChange
    /// Consent granted or withdrawn, unsubscribes.
    case consent
    case activity
    case task
    case campaignSend
    /// Delivered, opened, clicked, replied, bounced, converted, unsubscribed via a campaign.
    case campaignResponse
    case caseMessage
    /// Opened, assigned, escalated, priority, resolved, reopened, closed, CSAT, SLA breach.
    case caseStatus
    case opportunity
    case order
    case leadConversion
    /// Merged into another customer, or absorbed a duplicate.
    case merge
    case erasure
    /// A legal hold placed or released.
    case legalHold

    var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }

    init(code: UInt8) throws {
        guard Int(code) < Self.allCases.count else { throw CustomerModelReader.Malformed() }
        self = Self.allCases[Int(code)]
    }
}

/// One changed field of a profile change: its old and new value (nil for "absent").
package struct CustomerFieldChange: Sendable, Hashable {
    /// `personName`, `emails`, `attributes.<key>`, `consent.<channel>.<purpose>`, …
    package var field: String
    package var oldValue: String?
    package var newValue: String?
    /// Personal data: both values are dropped when the customer's data is erased.
    package var isPersonal: Bool

    package init(field: String, oldValue: String?, newValue: String?, isPersonal: Bool) {
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
        self.isPersonal = isPersonal
    }
}

/// One contact point or change in a customer's history.
package struct CustomerTimelineEntry: Sendable, Hashable {
    /// The customer whose history holds the entry: in a merged customer's unified timeline,
    /// the duplicate's entries keep the duplicate's id.
    package var customerId: String
    /// Position of the source event in the log; entries are in this order.
    package var position: UInt64
    package var eventId: UUID
    package var eventType: String
    package var recordedAt: Timestamp
    /// Business time: the envelope's `occurredAt`, else the time the event itself names.
    package var occurredAt: Timestamp?
    package var kind: CustomerTimelineKind
    /// `email`, `sms`, `phone`, `post`, or a case channel (`chat`, `web`, `social`).
    package var channel: String?
    package var actor: String
    /// Built from non-personal facts only, so it survives erasure.
    package var summary: String
    /// Personal free text (a message body, a case subject, an address); nil once erased.
    package var detail: String?
    package var changes: [CustomerFieldChange]
    /// True once the customer's personal data was erased: `detail` and personal changes are gone.
    package var isErased: Bool
}

extension CustomerTimelineEntry {
    /// The stored value; customer id and position live in the key.
    func encoded() -> [UInt8] {
        var w = CustomerModelWriter(capacity: 96 + summary.utf8.count + (detail?.utf8.count ?? 0))
        w.i64(recordedAt.microsecondsSinceEpoch)
        w.optionalI64(occurredAt?.microsecondsSinceEpoch)
        w.u8(kind.code)
        w.optionalString(channel)
        w.string(actor)
        withUnsafeBytes(of: eventId.uuid) { w.bytes.append(contentsOf: $0) }
        w.string(eventType)
        w.string(summary)
        w.optionalString(detail)
        w.bool(isErased)
        w.u32(UInt32(changes.count))
        for change in changes {
            w.string(change.field)
            w.optionalString(change.oldValue)
            w.optionalString(change.newValue)
            w.bool(change.isPersonal)
        }
        return w.bytes
    }

    init(customerId: String, position: UInt64, stored: UnsafeRawBufferPointer) throws {
        var r = CustomerModelReader(stored)
        let recordedAt = Timestamp(microsecondsSinceEpoch: try r.i64())
        let occurredAt = try r.optionalI64().map { Timestamp(microsecondsSinceEpoch: $0) }
        let kind = try CustomerTimelineKind(code: try r.u8())
        let channel = try r.optionalString()
        let actor = try r.string()
        let uuid = try r.raw(16).loadUnaligned(as: uuid_t.self)
        let eventType = try r.string()
        let summary = try r.string()
        let detail = try r.optionalString()
        let isErased = try r.bool()
        let count = Int(try r.u32())
        var changes: [CustomerFieldChange] = []
        for _ in 0..<count {
            changes.append(
                CustomerFieldChange(
                    field: try r.string(), oldValue: try r.optionalString(), newValue: try r.optionalString(),
                    isPersonal: try r.bool()))
        }
        self.init(
            customerId: customerId, position: position, eventId: UUID(uuid: uuid), eventType: eventType,
            recordedAt: recordedAt, occurredAt: occurredAt, kind: kind, channel: channel, actor: actor, summary: summary,
            detail: detail, changes: changes, isErased: isErased)
    }

    /// The entry without personal data.
    func erased() -> CustomerTimelineEntry {
        var copy = self
        copy.detail = nil
        copy.isErased = true
        copy.changes = changes.map { change in
            guard change.isPersonal else { return change }
            return CustomerFieldChange(field: change.field, oldValue: nil, newValue: nil, isPersonal: true)
        }
        return copy
    }
}
