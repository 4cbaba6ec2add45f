import CairnDomain
import CairnStore
import Foundation

/// How one event reads on the timeline.
struct CustomerTimelineDescription {
    var kind: CustomerTimelineKind
    var channel: String?
    var summary: String
    var detail: String?
    var changes: [CustomerFieldChange] = []
    /// The time the event names for the fact itself (when the envelope has no `occurredAt`).
    var businessTime: CairnStore.Timestamp?
}

extension CustomerTimelineFold {
    /// The entry for `event`, updating `meta` (the subject's) with what later entries need; nil
    /// for events that are not part of a customer's history.
    mutating func describe(
        _ decoded: DomainEvent, _ event: RecordedEvent, _ meta: inout CustomerTimelineMeta, _ txn: borrowing LMDBWriteTransaction
    ) throws -> CustomerTimelineDescription? {
        switch decoded {
        case .customer(let e): return describeCustomer(e, event, &meta)
        case .activity(.logged(let a)):
            let channel = a.channel?.rawValue ?? (a.kind == .call ? "phone" : a.kind == .email ? "email" : nil)
            var summary = (a.direction.map { $0.rawValue.capitalized + " " } ?? "") + a.kind.rawValue
            if let seconds = a.durationSeconds { summary += " (\(seconds / 60) min \(seconds % 60) s)" }
            let detail = [a.summary, a.outcome.map { "Outcome: \($0)" }].compactMap { $0 }.joined(separator: "\n")
            return .init(
                kind: .activity, channel: channel, summary: "\(summary), activity \(a.activityId)",
                detail: detail.isEmpty ? nil : detail, businessTime: micros(a.occurredAt))
        case .task(let e): return describeTask(e)
        case .order(.recorded(let o)):
            return .init(
                kind: .order,
                summary: "Order \(o.orderId) recorded: \(o.total.plainDescription) \(o.currency), \(o.lines.count) line(s), dated \(o.orderDate)")
        case .opportunity(let e): return describeOpportunity(e)
        case .lead(.converted(let c)):
            return .init(
                kind: .leadConversion,
                summary: "Converted from lead \(c.leadId) into opportunity \(c.opportunityId)"
                    + (c.customerCreated ? " (new customer)" : ""))
        case .lead: return nil
        case .campaign(let e): return try describeCampaign(e, txn)
        case .serviceCase(let e): return try describeCase(e, txn)
        case .compliance: return nil
        }
    }

    private func micros(_ t: CairnDomain.Timestamp) -> CairnStore.Timestamp {
        CairnStore.Timestamp(microsecondsSinceEpoch: t.millisecondsSinceEpoch &* 1000)
    }

    private func change(_ meta: inout CustomerTimelineMeta, _ field: String, _ new: String?) -> CustomerFieldChange {
        let old = meta.values[field]
        meta.values[field] = new
        return CustomerFieldChange(field: field, oldValue: old, newValue: new, isPersonal: CustomerTimelineMeta.isPersonal(field))
    }

    private func describeCustomer(
        _ e: CustomerEvent, _ event: RecordedEvent, _ meta: inout CustomerTimelineMeta
    ) -> CustomerTimelineDescription {
        switch e {
        case .registered(let r):
            var changes: [CustomerFieldChange] = [change(&meta, "kind", r.kind.rawValue), change(&meta, "status", "active")]
            if let name = r.personName { changes.append(change(&meta, "personName", "\(name.given) \(name.family)")) }
            if let name = r.organizationName { changes.append(change(&meta, "organizationName", name)) }
            if let owner = r.ownerId { changes.append(change(&meta, "ownerId", owner)) }
            if let source = r.source { changes.append(change(&meta, "source", source)) }
            for email in r.emails { changes.append(.init(field: "emails", oldValue: nil, newValue: email, isPersonal: true)) }
            for phone in r.phones { changes.append(.init(field: "phones", oldValue: nil, newValue: phone, isPersonal: true)) }
            for address in r.addresses { changes.append(change(&meta, "addresses." + address.addressId, render(address))) }
            for key in r.attributes.keys.sorted() { changes.append(change(&meta, "attributes." + key, render(r.attributes[key]!))) }
            return .init(
                kind: .registration, summary: "Registered as \(r.kind.rawValue)" + (r.source.map { " from \($0)" } ?? ""), changes: changes)
        case .profileUpdated(let p):
            var changes: [CustomerFieldChange] = []
            if let name = p.personName { changes.append(change(&meta, "personName", "\(name.given) \(name.family)")) }
            if let name = p.organizationName { changes.append(change(&meta, "organizationName", name)) }
            if let owner = p.ownerId { changes.append(change(&meta, "ownerId", owner)) }
            if let source = p.source { changes.append(change(&meta, "source", source)) }
            return .init(
                kind: .profileChange, summary: "Profile updated: " + changes.map(\.field).joined(separator: ", "), changes: changes)
        case .emailAdded(let x):
            return .init(
                kind: .profileChange, channel: "email", summary: "Email address added",
                changes: [.init(field: "emails", oldValue: nil, newValue: x.email, isPersonal: true)])
        case .emailRemoved(let x):
            return .init(
                kind: .profileChange, channel: "email", summary: "Email address removed",
                changes: [.init(field: "emails", oldValue: x.email, newValue: nil, isPersonal: true)])
        case .phoneAdded(let x):
            return .init(
                kind: .profileChange, channel: "phone", summary: "Phone number added",
                changes: [.init(field: "phones", oldValue: nil, newValue: x.phone, isPersonal: true)])
        case .phoneRemoved(let x):
            return .init(
                kind: .profileChange, channel: "phone", summary: "Phone number removed",
                changes: [.init(field: "phones", oldValue: x.phone, newValue: nil, isPersonal: true)])
        case .addressAdded(let x):
            return .init(
                kind: .profileChange, channel: "post", summary: "Address \(x.address.addressId) added",
                changes: [change(&meta, "addresses." + x.address.addressId, render(x.address))])
        case .addressRemoved(let x):
            return .init(
                kind: .profileChange, channel: "post", summary: "Address \(x.addressId) removed",
                changes: [change(&meta, "addresses." + x.addressId, nil)])
        case .attributeSet(let x):
            return .init(
                kind: .profileChange, summary: "Attribute \(x.key) set", changes: [change(&meta, "attributes." + x.key, render(x.value))])
        case .attributeUnset(let x):
            return .init(kind: .profileChange, summary: "Attribute \(x.key) removed", changes: [change(&meta, "attributes." + x.key, nil)])
        case .organizationLinked(let x):
            return .init(
                kind: .profileChange, summary: "Linked to organization \(x.organizationId) as \(x.role)",
                changes: [change(&meta, "organizations." + x.organizationId, x.role)])
        case .organizationUnlinked(let x):
            return .init(
                kind: .profileChange, summary: "Unlinked from organization \(x.organizationId)",
                changes: [change(&meta, "organizations." + x.organizationId, nil)])
        case .consentGranted(let c):
            return .init(
                kind: .consent, channel: c.channel.rawValue,
                summary: "Consent granted: \(c.channel.rawValue) \(c.purpose.rawValue) (\(c.legalBasis.rawValue), source \(c.source))",
                changes: [change(&meta, "consent.\(c.channel.rawValue).\(c.purpose.rawValue)", "granted")],
                businessTime: micros(c.grantedAt))
        case .consentWithdrawn(let c):
            return .init(
                kind: .consent, channel: c.channel.rawValue,
                summary: "Consent withdrawn: \(c.channel.rawValue) \(c.purpose.rawValue) (source \(c.source))",
                changes: [change(&meta, "consent.\(c.channel.rawValue).\(c.purpose.rawValue)", "withdrawn")],
                businessTime: micros(c.withdrawnAt))
        case .tagged(let x):
            return .init(
                kind: .profileChange, summary: "Tagged \(x.tag)",
                changes: [.init(field: "tags", oldValue: nil, newValue: x.tag, isPersonal: false)])
        case .untagged(let x):
            return .init(
                kind: .profileChange, summary: "Untagged \(x.tag)",
                changes: [.init(field: "tags", oldValue: x.tag, newValue: nil, isPersonal: false)])
        case .closed(let x):
            return .init(kind: .profileChange, summary: "Customer closed", detail: x.reason, changes: [change(&meta, "status", "closed")])
        case .reopened:
            return .init(kind: .profileChange, summary: "Customer reopened", changes: [change(&meta, "status", "active")])
        case .merged(let m):
            meta.survivorId = m.survivorId
            meta.mergedAt = event.recordedAt.microsecondsSinceEpoch
            meta.mergedPosition = event.position
            return .init(kind: .merge, summary: "Merged into customer \(m.survivorId)", changes: [change(&meta, "status", "merged")])
        case .duplicateAbsorbed(let d):
            meta.absorbed.append(.init(customerId: d.duplicateId, at: event.recordedAt.microsecondsSinceEpoch, position: event.position))
            var changes: [CustomerFieldChange] = []
            for email in d.emails { changes.append(.init(field: "emails", oldValue: nil, newValue: email, isPersonal: true)) }
            for phone in d.phones { changes.append(.init(field: "phones", oldValue: nil, newValue: phone, isPersonal: true)) }
            for tag in d.tags { changes.append(.init(field: "tags", oldValue: nil, newValue: tag, isPersonal: false)) }
            return .init(
                kind: .merge,
                summary:
                    "Absorbed duplicate customer \(d.duplicateId): \(d.emails.count) email(s), \(d.phones.count) phone(s), \(d.tags.count) tag(s)",
                changes: changes)
        case .contactPointInvalidated(let x):
            return .init(
                kind: .profileChange, channel: x.channel.rawValue, summary: "\(x.channel.rawValue.capitalized) contact point invalidated",
                detail: "\(x.value): \(x.reason)")
        case .unsubscribed(let x):
            return .init(
                kind: .consent, channel: x.channel.rawValue,
                summary: "Unsubscribed from \(x.channel.rawValue)" + (x.campaignId.map { " via campaign \($0)" } ?? ""),
                changes: [change(&meta, "unsubscribed.\(x.channel.rawValue)", "true")])
        case .personalDataErased(let x):
            return .init(
                kind: .erasure, summary: "Personal data erased (request \(x.requestId))" + (x.legalBasis.map { ", under \($0)" } ?? ""))
        case .legalHoldPlaced(let x):
            return .init(kind: .legalHold, summary: "Legal hold \(x.holdId) placed: \(x.matter)")
        case .legalHoldReleased(let x):
            return .init(kind: .legalHold, summary: "Legal hold \(x.holdId) released")
        }
    }

    private func describeTask(_ e: TaskEvent) -> CustomerTimelineDescription {
        switch e {
        case .scheduled(let t):
            return .init(kind: .task, summary: "Task \(t.taskId) scheduled for \(t.dueAt), assigned to \(t.assigneeId)", detail: t.title)
        case .reassigned(let t): return .init(kind: .task, summary: "Task \(t.taskId) reassigned to \(t.assigneeId)")
        case .completed(let t):
            return .init(kind: .task, summary: "Task \(t.taskId) completed", detail: t.outcome, businessTime: micros(t.completedAt))
        case .cancelled(let t): return .init(kind: .task, summary: "Task \(t.taskId) cancelled", detail: t.reason)
        }
    }

    private func describeOpportunity(_ e: OpportunityEvent) -> CustomerTimelineDescription {
        switch e {
        case .opened(let o):
            return .init(
                kind: .opportunity,
                summary: "Opportunity \(o.opportunityId) opened: \(o.name), \(o.amount), \(o.stage.rawValue), owner \(o.ownerId)")
        case .stageChanged(let o):
            return .init(
                kind: .opportunity, summary: "Opportunity \(o.opportunityId) moved from \(o.from.rawValue) to \(o.to.rawValue)",
                changes: [.init(field: "stage", oldValue: o.from.rawValue, newValue: o.to.rawValue, isPersonal: false)])
        case .amountChanged(let o): return .init(kind: .opportunity, summary: "Opportunity \(o.opportunityId) amount now \(o.amount)")
        case .closeDateChanged(let o):
            return .init(kind: .opportunity, summary: "Opportunity \(o.opportunityId) expected to close \(o.expectedCloseDate)")
        case .ownerChanged(let o): return .init(kind: .opportunity, summary: "Opportunity \(o.opportunityId) now owned by \(o.ownerId)")
        case .won(let o):
            return .init(kind: .opportunity, summary: "Opportunity \(o.opportunityId) won: \(o.amount)", businessTime: micros(o.closedAt))
        case .lost(let o):
            return .init(
                kind: .opportunity, summary: "Opportunity \(o.opportunityId) lost", detail: o.reason, businessTime: micros(o.closedAt))
        case .reopened(let o): return .init(kind: .opportunity, summary: "Opportunity \(o.opportunityId) reopened at \(o.stage.rawValue)")
        }
    }

    private func describeCampaign(_ e: CampaignEvent, _ txn: borrowing LMDBWriteTransaction) throws -> CustomerTimelineDescription? {
        func response(
            _ campaignId: String, _ what: String, _ at: CairnDomain.Timestamp, detail: String? = nil
        ) throws
            -> CustomerTimelineDescription
        {
            .init(
                kind: .campaignResponse, channel: try reference("campaign:" + campaignId, txn), summary: "Campaign \(campaignId): \(what)",
                detail: detail, businessTime: micros(at))
        }
        switch e {
        case .created, .segmentDefined, .launched, .paused, .completed: return nil
        case .messageSent(let m):
            return .init(
                kind: .campaignSend, channel: m.channel.rawValue, summary: "Campaign \(m.campaignId) sent by \(m.channel.rawValue)",
                detail: m.address, businessTime: micros(m.sentAt))
        case .delivered(let r): return try response(r.campaignId, "delivered", r.at)
        case .opened(let r): return try response(r.campaignId, "opened", r.at)
        case .clicked(let c): return try response(c.campaignId, "clicked \(c.url)", c.at)
        case .replied(let r): return try response(r.campaignId, "replied", r.at)
        case .bounced(let b): return try response(b.campaignId, "\(b.bounceType.rawValue) bounce", b.at, detail: b.reason)
        case .converted(let c):
            let target = [c.opportunityId.map { "opportunity \($0)" }, c.orderId.map { "order \($0)" }].compactMap { $0 }
            return try response(c.campaignId, "converted" + (target.isEmpty ? "" : " (\(target.joined(separator: ", ")))"), c.at)
        case .recipientUnsubscribed(let u):
            return .init(
                kind: .campaignResponse, channel: u.channel.rawValue, summary: "Campaign \(u.campaignId): unsubscribed",
                businessTime: micros(u.at))
        }
    }

    private func describeCase(_ e: CaseEvent, _ txn: borrowing LMDBWriteTransaction) throws -> CustomerTimelineDescription {
        func status(
            _ caseId: String, _ summary: String, detail: String? = nil, changes: [CustomerFieldChange] = []
        ) throws
            -> CustomerTimelineDescription
        {
            .init(kind: .caseStatus, channel: try reference("case:" + caseId, txn), summary: summary, detail: detail, changes: changes)
        }
        switch e {
        case .opened(let c):
            try setReference("case:" + c.caseId, c.channel.rawValue, txn)
            return .init(
                kind: .caseStatus, channel: c.channel.rawValue,
                summary: "Case \(c.caseId) opened via \(c.channel.rawValue), priority \(c.priority.rawValue)",
                detail: "\(c.subject)\n\(c.description)", businessTime: micros(c.openedAt))
        case .assigned(let c): return try status(c.caseId, "Case \(c.caseId) assigned to \(c.agentId)")
        case .messageRecorded(let m):
            var description = try status(
                m.caseId, "Case \(m.caseId): message from \(m.author.rawValue)" + (m.authorId.map { " \($0)" } ?? ""), detail: m.body)
            description.kind = .caseMessage
            description.businessTime = micros(m.recordedAt)
            return description
        case .escalated(let c): return try status(c.caseId, "Case \(c.caseId) escalated to level \(c.level)", detail: c.reason)
        case .priorityChanged(let c): return try status(c.caseId, "Case \(c.caseId) priority now \(c.priority.rawValue)")
        case .resolved(let c): return try status(c.caseId, "Case \(c.caseId) resolved", detail: c.resolution)
        case .reopened(let c): return try status(c.caseId, "Case \(c.caseId) reopened", detail: c.reason)
        case .closed(let c): return try status(c.caseId, "Case \(c.caseId) closed")
        case .satisfactionRecorded(let c): return try status(c.caseId, "Case \(c.caseId): satisfaction \(c.score)/5", detail: c.comment)
        case .slaBreached(let c):
            return try status(c.caseId, "Case \(c.caseId): \(c.deadline.rawValue) SLA breached (due \(c.dueAt))")
        }
    }

    private func render(_ address: PostalAddress) -> String {
        (address.lines + [address.postalCode, address.city, address.region, address.country].compactMap { $0 }).joined(separator: ", ")
    }

    private func render(_ value: AttributeValue) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): "\(n)"
        case .boolean(let b): b ? "true" : "false"
        case .date(let d): d.description
        }
    }
}
