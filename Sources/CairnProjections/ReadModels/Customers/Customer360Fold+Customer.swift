import CairnDomain
import CairnStore

extension Customer360Fold {
    mutating func applyCustomer(_ e: CustomerEvent, _ id: String, _ event: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction) throws {
        switch e {
        case .merged(let m): return try merge(id, into: m.survivorId, event, txn)
        case .personalDataErased: return try erase(id, event.position, txn)
        default: break
        }
        try modify(id, event.position, txn) { view in
            // Personal data that arrives after an erasure (redacted or not) is not taken in.
            let personal = !view.isErased
            switch e {
            case .registered(let r):
                view.kind = r.kind.rawValue
                if personal {
                    view.givenName = r.personName?.given
                    view.familyName = r.personName?.family
                    view.emails = r.emails
                    view.phones = r.phones
                    view.addresses = r.addresses.map(Self.address)
                    view.attributes = r.attributes.keys.sorted().map { Self.attribute($0, r.attributes[$0]!) }
                }
                view.organizationName = r.organizationName
                view.ownerId = r.ownerId
                view.source = r.source
                if view.registeredAt == nil { view.registeredAt = event.recordedAt }
            case .profileUpdated(let p):
                if personal, let name = p.personName {
                    view.givenName = name.given
                    view.familyName = name.family
                }
                if let name = p.organizationName { view.organizationName = name }
                if let owner = p.ownerId { view.ownerId = owner }
                if let source = p.source { view.source = source }
            case .emailAdded(let x): if personal, !view.emails.contains(x.email) { view.emails.append(x.email) }
            case .emailRemoved(let x): view.emails.removeAll { $0 == x.email }
            case .phoneAdded(let x): if personal, !view.phones.contains(x.phone) { view.phones.append(x.phone) }
            case .phoneRemoved(let x): view.phones.removeAll { $0 == x.phone }
            case .addressAdded(let x):
                if personal {
                    view.addresses.removeAll { $0.addressId == x.address.addressId }
                    view.addresses.append(Self.address(x.address))
                }
            case .addressRemoved(let x): view.addresses.removeAll { $0.addressId == x.addressId }
            case .attributeSet(let x):
                if personal {
                    view.attributes.removeAll { $0.key == x.key }
                    view.attributes.append(Self.attribute(x.key, x.value))
                    view.attributes.sort { $0.key < $1.key }
                }
            case .attributeUnset(let x): view.attributes.removeAll { $0.key == x.key }
            case .organizationLinked(let x):
                view.organizations.removeAll { $0.organizationId == x.organizationId }
                view.organizations.append(.init(organizationId: x.organizationId, role: x.role))
                view.organizations.sort { $0.organizationId < $1.organizationId }
            case .organizationUnlinked(let x): view.organizations.removeAll { $0.organizationId == x.organizationId }
            case .consentGranted(let c):
                Self.decide(
                    &view,
                    .init(
                        channel: c.channel.rawValue, purpose: c.purpose.rawValue, granted: true, legalBasis: c.legalBasis.rawValue,
                        source: c.source, at: Self.micros(c.grantedAt), position: event.position))
                if c.purpose == .marketing { view.unsubscribedChannels.removeAll { $0 == c.channel.rawValue } }
            case .consentWithdrawn(let c):
                Self.decide(
                    &view,
                    .init(
                        channel: c.channel.rawValue, purpose: c.purpose.rawValue, granted: false, legalBasis: nil, source: c.source,
                        at: Self.micros(c.withdrawnAt), position: event.position))
            case .tagged(let x): Self.insertSorted(&view.tags, x.tag)
            case .untagged(let x): view.tags.removeAll { $0 == x.tag }
            case .closed: if view.status == .open { view.status = .closed }
            case .reopened: if view.status == .closed { view.status = .open }
            case .duplicateAbsorbed(let d):
                if personal {
                    for email in d.emails where !view.emails.contains(email) { view.emails.append(email) }
                    for phone in d.phones where !view.phones.contains(phone) { view.phones.append(phone) }
                }
                for tag in d.tags { Self.insertSorted(&view.tags, tag) }
                Self.insertSorted(&view.mergedIds, d.duplicateId)
            case .contactPointInvalidated(let x): if personal { Self.insertSorted(&view.invalidContactPoints, x.value) }
            case .unsubscribed(let x): Self.insertSorted(&view.unsubscribedChannels, x.channel.rawValue)
            case .merged, .personalDataErased, .legalHoldPlaced, .legalHoldReleased: break
            }
        }
    }

    /// The duplicate points at its survivor; its commercial facts and its own merged ids move there.
    private mutating func merge(_ id: String, into survivorId: String, _ event: ProjectedEvent, _ txn: borrowing LMDBWriteTransaction) throws
    {
        var moved = Customer360(customerId: id)
        try modify(id, event.position, txn) { view in
            view.mergedInto = survivorId
            if !view.isErased { view.status = .merged }
            moved = view
            view.openOpportunities = []
            view.openCases = []
            view.orderTotals = []
            view.orderCount = 0
        }
        try modify(survivorId, event.position, txn) { view in
            for item in moved.openOpportunities where !view.openOpportunities.contains(where: { $0.opportunityId == item.opportunityId }) {
                view.openOpportunities.append(item)
            }
            view.openOpportunities.sort { $0.opportunityId < $1.opportunityId }
            for item in moved.openCases where !view.openCases.contains(where: { $0.caseId == item.caseId }) { view.openCases.append(item) }
            view.openCases.sort { $0.caseId < $1.caseId }
            for total in moved.orderTotals { Self.addOrderTotal(&view, total.currency, total.total) }
            view.orderCount += moved.orderCount
            if let at = moved.lastContactAt, view.lastContactAt.map({ $0 < at }) ?? true { view.lastContactAt = at }
            for merged in moved.mergedIds + [id] { Self.insertSorted(&view.mergedIds, merged) }
        }
    }

    /// Erases `id` and every duplicate merged into it: they are the same person.
    private mutating func erase(_ id: String, _ position: UInt64, _ txn: borrowing LMDBWriteTransaction) throws {
        var pending = [id]
        var seen: Set<String> = []
        while let member = pending.popLast() {
            guard seen.insert(member).inserted else { continue }
            try modify(member, position, txn) { view in
                view.erasePersonalData()
                pending += view.mergedIds
            }
        }
    }

    static func decide(_ view: inout Customer360, _ consent: Customer360.Consent) {
        view.consentHistory.append(consent)
        view.consents.removeAll { $0.channel == consent.channel && $0.purpose == consent.purpose }
        view.consents.append(consent)
        view.consents.sort { ($0.channel, $0.purpose) < ($1.channel, $1.purpose) }
    }

    static func insertSorted(_ list: inout [String], _ value: String) {
        guard !list.contains(value) else { return }
        list.append(value)
        list.sort()
    }

    static func address(_ a: PostalAddress) -> Customer360.Address {
        .init(addressId: a.addressId, lines: a.lines, city: a.city, region: a.region, postalCode: a.postalCode, country: a.country)
    }

    static func attribute(_ key: String, _ value: AttributeValue) -> Customer360.Attribute {
        switch value {
        case .string(let s): .init(key: key, type: "string", value: s)
        case .number(let n): .init(key: key, type: "number", value: "\(n)")
        case .boolean(let b): .init(key: key, type: "boolean", value: b ? "true" : "false")
        case .date(let d): .init(key: key, type: "date", value: d.description)
        }
    }
}
