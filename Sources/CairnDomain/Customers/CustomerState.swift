/// A customer folded from its stream.
public struct CustomerState: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        case notRegistered
        case active
        case closed
        /// Merged into another customer; commands are refused with a pointer to `into`.
        case merged(into: CustomerID)
    }

    public var status: Status = .notRegistered
    public var id: CustomerID = ""
    public var kind: CustomerKind = .person
    public var personName: PersonName?
    public var organizationName: String?
    /// Lowercased, in the order added.
    public var emails: [String] = []
    public var phones: [String] = []
    public var addresses: [PostalAddress] = []
    public var attributes: [String: AttributeValue] = [:]
    /// Organization id → role, for persons.
    public var organizations: [CustomerID: String] = [:]
    public var consents: [ConsentKey: ConsentRecord] = [:]
    public var tags: Set<String> = []
    public var ownerId: UserID?
    public var source: String?
    /// Channels the customer opted out of via an unsubscribe (cleared by a new marketing consent).
    public var unsubscribedChannels: Set<ContactChannel> = []
    /// Contact points proved undeliverable (lowercased emails, phones).
    public var invalidContactPoints: Set<String> = []
    public var erased = false
    /// Legal holds in force: hold id → matter.
    public var legalHolds: [String: String] = [:]
    /// Duplicates merged into this customer.
    public var absorbedDuplicates: [CustomerID] = []

    public init() {}

    public var exists: Bool { status != .notRegistered }

    public func hasConsent(_ channel: ContactChannel, for purpose: ConsentPurpose) -> Bool {
        consents[ConsentKey(channel, purpose)]?.granted == true
    }

    /// Where marketing on `channel` would go: the first valid contact point for it.
    public func marketingAddress(for channel: ContactChannel) -> String? {
        switch channel {
        case .email: emails.first { !invalidContactPoints.contains($0) }
        case .sms, .phone: phones.first { !invalidContactPoints.contains($0) }
        case .post: addresses.first { !invalidContactPoints.contains($0.addressId) }?.addressId
        }
    }

    /// Why marketing on `channel` must not reach this customer, or nil if it may.
    public func marketingIneligibility(on channel: ContactChannel) -> Rejection? {
        switch status {
        case .notRegistered: return .notFound("customer", id)
        case .merged(let survivor): return CustomerDecider.mergedRejection(id, survivor)
        case .closed: return .rule("customer.closed", "Customer \(id) is closed.")
        case .active: break
        }
        if erased { return .rule("customer.erased", "Customer \(id)'s personal data was erased.") }
        if unsubscribedChannels.contains(channel) {
            return .rule("customer.unsubscribed", "Customer \(id) unsubscribed from \(channel.rawValue).")
        }
        if !hasConsent(channel, for: .marketing) {
            return .rule("consent.missing", "Customer \(id) has no marketing consent on \(channel.rawValue).")
        }
        if marketingAddress(for: channel) == nil {
            return .rule("customer.noContactPoint", "Customer \(id) has no valid \(channel.rawValue) contact point.")
        }
        return nil
    }
}

extension CustomerDecider {
    public static func evolve(_ state: CustomerState, _ event: CustomerEvent) -> CustomerState {
        var s = state
        switch event {
        case .registered(let e):
            s.status = .active
            s.id = e.customerId
            s.kind = e.kind
            s.personName = e.personName
            s.organizationName = e.organizationName
            s.emails = e.emails
            s.phones = e.phones
            s.addresses = e.addresses
            s.ownerId = e.ownerId
            s.source = e.source
            s.attributes = e.attributes
        case .profileUpdated(let e):
            if let v = e.personName { s.personName = v }
            if let v = e.organizationName { s.organizationName = v }
            if let v = e.ownerId { s.ownerId = v }
            if let v = e.source { s.source = v }
        case .emailAdded(let e): if !s.emails.contains(e.email) { s.emails.append(e.email) }
        case .emailRemoved(let e): s.emails.removeAll { $0 == e.email }
        case .phoneAdded(let e): if !s.phones.contains(e.phone) { s.phones.append(e.phone) }
        case .phoneRemoved(let e): s.phones.removeAll { $0 == e.phone }
        case .addressAdded(let e):
            s.addresses.removeAll { $0.addressId == e.address.addressId }
            s.addresses.append(e.address)
        case .addressRemoved(let e): s.addresses.removeAll { $0.addressId == e.addressId }
        case .attributeSet(let e): s.attributes[e.key] = e.value
        case .attributeUnset(let e): s.attributes[e.key] = nil
        case .organizationLinked(let e): s.organizations[e.organizationId] = e.role
        case .organizationUnlinked(let e): s.organizations[e.organizationId] = nil
        case .consentGranted(let e):
            s.consents[ConsentKey(e.channel, e.purpose)] = ConsentRecord(
                granted: true, legalBasis: e.legalBasis, source: e.source, at: e.grantedAt)
            if e.purpose == .marketing { s.unsubscribedChannels.remove(e.channel) }
        case .consentWithdrawn(let e):
            s.consents[ConsentKey(e.channel, e.purpose)] = ConsentRecord(
                granted: false, legalBasis: nil, source: e.source, at: e.withdrawnAt)
        case .tagged(let e): s.tags.insert(e.tag)
        case .untagged(let e): s.tags.remove(e.tag)
        case .closed: s.status = .closed
        case .reopened: s.status = .active
        case .merged(let e): s.status = .merged(into: e.survivorId)
        case .duplicateAbsorbed(let e):
            s.absorbedDuplicates.append(e.duplicateId)
            for email in e.emails where !s.emails.contains(email) { s.emails.append(email) }
            for phone in e.phones where !s.phones.contains(phone) { s.phones.append(phone) }
            s.tags.formUnion(e.tags)
        case .contactPointInvalidated(let e): s.invalidContactPoints.insert(e.value)
        case .unsubscribed(let e): s.unsubscribedChannels.insert(e.channel)
        case .legalHoldPlaced(let e): s.legalHolds[e.holdId] = e.matter
        case .legalHoldReleased(let e): s.legalHolds[e.holdId] = nil
        case .personalDataErased:
            s.erased = true
            s.personName = nil
            s.emails = []
            s.phones = []
            s.addresses = []
            s.attributes = [:]
            s.invalidContactPoints = []
        }
        return s
    }
}
