/// Decides customer commands. Pure: time and actor come in through `CommandContext`.
public enum CustomerDecider: Decider {
    public typealias Command = CustomerCommand
    public typealias Event = CustomerEvent
    public typealias State = CustomerState

    public static var initialState: CustomerState { CustomerState() }

    public static func decide(
        _ command: CustomerCommand, _ state: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [CustomerEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.customerId

        if case .register(let r) = command {
            guard !state.exists else { throw existingRejection(state) }
            let emails = r.emails.map(ContactValidation.normalizedEmail)
            var events: [CustomerEvent] = [
                .registered(
                    .init(
                        customerId: id, kind: r.kind, personName: r.personName, organizationName: r.organizationName,
                        emails: emails, phones: r.phones, addresses: r.addresses, ownerId: r.ownerId, source: r.source,
                        attributes: r.attributes))
            ]
            for consent in r.consents {
                events.append(
                    .consentGranted(
                        .init(
                            customerId: id, channel: consent.channel, purpose: consent.purpose, legalBasis: consent.legalBasis,
                            source: consent.source, grantedAt: context.now)))
            }
            return events
        }

        // Erasure is a legal obligation: it applies to merged and closed customers alike.
        // So is a legal hold, which is why one suspends erasure.
        switch command {
        case .recordErasure(_, let requestId, let legalBasis):
            guard state.exists else { throw .notFound("customer", id) }
            guard !state.erased else { throw .rule("customer.erased", "Customer \(id)'s personal data is already erased.") }
            if let hold = state.legalHolds.keys.sorted().first {
                throw .rule(
                    "customer.legalHold",
                    "Customer \(id) is under legal hold \(hold) (\(state.legalHolds[hold]!)); release it before erasing.")
            }
            return [.personalDataErased(.init(customerId: id, requestId: requestId, legalBasis: legalBasis))]
        case .placeLegalHold(_, let holdId, let matter):
            guard state.exists else { throw .notFound("customer", id) }
            guard state.legalHolds[holdId] == nil else {
                throw .rule("customer.alreadyHeld", "Customer \(id) is already under legal hold \(holdId).", path: "/holdId")
            }
            return [.legalHoldPlaced(.init(customerId: id, holdId: holdId, matter: matter))]
        case .releaseLegalHold(_, let holdId):
            guard state.exists else { throw .notFound("customer", id) }
            guard state.legalHolds[holdId] != nil else {
                throw .rule("customer.notHeld", "Customer \(id) is not under legal hold \(holdId).", path: "/holdId")
            }
            return [.legalHoldReleased(.init(customerId: id, holdId: holdId))]
        default: break
        }

        try requireReachable(state, id)

        // Withdrawals and erasure must work whatever the account's state: they are the customer's rights.
        switch command {
        case .withdrawConsent(_, let channel, let purpose, let source, let at):
            guard state.hasConsent(channel, for: purpose) else {
                throw .rule(
                    "customer.consentNotGranted", "No \(purpose.rawValue) consent on \(channel.rawValue) to withdraw.", path: "/channel")
            }
            return [
                .consentWithdrawn(.init(customerId: id, channel: channel, purpose: purpose, source: source, withdrawnAt: at ?? context.now))
            ]
        case .recordUnsubscribe(_, let channel, let campaignId):
            guard !state.unsubscribedChannels.contains(channel) else {
                throw .rule(
                    "customer.alreadyUnsubscribed", "Customer \(id) already unsubscribed from \(channel.rawValue).", path: "/channel")
            }
            var events: [CustomerEvent] = [.unsubscribed(.init(customerId: id, channel: channel, campaignId: campaignId))]
            if state.hasConsent(channel, for: .marketing) {
                events.append(
                    .consentWithdrawn(
                        .init(
                            customerId: id, channel: channel, purpose: .marketing,
                            source: campaignId.map { "unsubscribe:campaign-\($0)" } ?? "unsubscribe", withdrawnAt: context.now)))
            }
            return events
        case .reopen:
            guard state.status == .closed else { throw .rule("customer.notClosed", "Customer \(id) is not closed.") }
            return [.reopened(.init(customerId: id))]
        default:
            break
        }

        guard state.status == .active else { throw .rule("customer.closed", "Customer \(id) is closed; reopen it first.") }
        guard !state.erased else { throw .rule("customer.erased", "Customer \(id)'s personal data was erased.") }

        switch command {
        case .register, .withdrawConsent, .recordUnsubscribe, .recordErasure, .placeLegalHold, .releaseLegalHold, .reopen:
            return []  // handled above
        case .updateProfile(let p):
            if p.personName != nil, state.kind != .person {
                throw .rule("customer.notAPerson", "Only persons have a person name.", path: "/personName")
            }
            if p.organizationName != nil, state.kind != .organization {
                throw .rule("customer.notAnOrganization", "Only organizations have an organization name.", path: "/organizationName")
            }
            let changed = ProfileChangeSet(p, against: state)
            guard changed.hasChanges else { return [] }
            return [
                .profileUpdated(
                    .init(
                        customerId: id, personName: changed.personName, organizationName: changed.organizationName,
                        ownerId: changed.ownerId, source: changed.source))
            ]
        case .addEmail(_, let raw):
            let email = ContactValidation.normalizedEmail(raw)
            guard !state.emails.contains(email) else {
                throw .rule("customer.emailExists", "The customer already has \(email).", path: "/email")
            }
            return [.emailAdded(.init(customerId: id, email: email))]
        case .removeEmail(_, let raw):
            let email = ContactValidation.normalizedEmail(raw)
            guard state.emails.contains(email) else {
                throw .rule("customer.emailNotFound", "The customer has no such email.", path: "/email")
            }
            return [.emailRemoved(.init(customerId: id, email: email))]
        case .addPhone(_, let phone):
            guard !state.phones.contains(phone) else {
                throw .rule("customer.phoneExists", "The customer already has \(phone).", path: "/phone")
            }
            return [.phoneAdded(.init(customerId: id, phone: phone))]
        case .removePhone(_, let phone):
            guard state.phones.contains(phone) else {
                throw .rule("customer.phoneNotFound", "The customer has no such phone.", path: "/phone")
            }
            return [.phoneRemoved(.init(customerId: id, phone: phone))]
        case .addAddress(_, let address):
            guard !state.addresses.contains(where: { $0.addressId == address.addressId }) else {
                throw .rule("customer.addressExists", "Address \(address.addressId) already exists.", path: "/address/addressId")
            }
            return [.addressAdded(.init(customerId: id, address: address))]
        case .removeAddress(_, let addressId):
            guard state.addresses.contains(where: { $0.addressId == addressId }) else {
                throw .rule("customer.addressNotFound", "No address \(addressId).", path: "/addressId")
            }
            return [.addressRemoved(.init(customerId: id, addressId: addressId))]
        case .setAttribute(_, let key, let value):
            guard state.attributes[key] != value else { return [] }
            return [.attributeSet(.init(customerId: id, key: key, value: value))]
        case .unsetAttribute(_, let key):
            guard state.attributes[key] != nil else { throw .rule("customer.attributeNotFound", "No attribute \(key).", path: "/key") }
            return [.attributeUnset(.init(customerId: id, key: key))]
        case .linkOrganization(_, let org, let role):
            guard state.kind == .person else { throw .rule("customer.notAPerson", "Only persons can be linked to an organization.") }
            guard org != id else { throw .rule("customer.linkToSelf", "A customer cannot be linked to itself.", path: "/organizationId") }
            guard state.organizations[org] != role else {
                throw .rule("customer.alreadyLinked", "Already linked to \(org) as \(role).", path: "/organizationId")
            }
            return [.organizationLinked(.init(customerId: id, organizationId: org, role: role))]
        case .unlinkOrganization(_, let org):
            guard state.organizations[org] != nil else {
                throw .rule("customer.notLinked", "Not linked to \(org).", path: "/organizationId")
            }
            return [.organizationUnlinked(.init(customerId: id, organizationId: org))]
        case .grantConsent(_, let c, let at):
            return [
                .consentGranted(
                    .init(
                        customerId: id, channel: c.channel, purpose: c.purpose, legalBasis: c.legalBasis,
                        source: c.source, grantedAt: at ?? context.now))
            ]
        case .tag(_, let tag):
            guard !state.tags.contains(tag) else { throw .rule("customer.alreadyTagged", "Already tagged \(tag).", path: "/tag") }
            return [.tagged(.init(customerId: id, tag: tag))]
        case .untag(_, let tag):
            guard state.tags.contains(tag) else { throw .rule("customer.notTagged", "Not tagged \(tag).", path: "/tag") }
            return [.untagged(.init(customerId: id, tag: tag))]
        case .close(_, let reason):
            return [.closed(.init(customerId: id, reason: reason))]
        case .invalidateContactPoint(_, let channel, let raw, let reason):
            let value = channel == .email ? ContactValidation.normalizedEmail(raw) : raw
            let known =
                channel == .email
                ? state.emails.contains(value)
                : channel == .post ? state.addresses.contains { $0.addressId == value } : state.phones.contains(value)
            guard known else { throw .rule("customer.contactPointNotFound", "The customer has no such contact point.", path: "/value") }
            guard !state.invalidContactPoints.contains(value) else {
                throw .rule("customer.contactPointAlreadyInvalid", "That contact point is already invalid.", path: "/value")
            }
            return [.contactPointInvalidated(.init(customerId: id, channel: channel, value: value, reason: reason))]
        }
    }

    /// A customer that exists and has not been merged away.
    static func requireReachable(_ state: CustomerState, _ id: CustomerID) throws(Rejection) {
        switch state.status {
        case .notRegistered: throw .notFound("customer", id)
        case .merged(let survivor): throw mergedRejection(id, survivor)
        case .active, .closed: return
        }
    }

    static func mergedRejection(_ id: CustomerID, _ survivor: CustomerID) -> Rejection {
        Rejection(
            kind: .conflict, code: "customer.merged",
            message: "Customer \(id) was merged into \(survivor); send commands there.", survivorId: survivor)
    }

    private static func existingRejection(_ state: CustomerState) -> Rejection {
        if case .merged(let survivor) = state.status { return mergedRejection(state.id, survivor) }
        return .rule("customer.alreadyExists", "Customer \(state.id) already exists.", path: "/customerId")
    }
}

/// The subset of a profile update that actually differs from the current state.
private struct ProfileChangeSet {
    var personName: PersonName?
    var organizationName: String?
    var ownerId: UserID?
    var source: String?

    init(_ p: CustomerCommand.ProfileChanges, against s: CustomerState) {
        personName = p.personName == s.personName ? nil : p.personName
        organizationName = p.organizationName == s.organizationName ? nil : p.organizationName
        ownerId = p.ownerId == s.ownerId ? nil : p.ownerId
        source = p.source == s.source ? nil : p.source
    }

    var hasChanges: Bool { personName != nil || organizationName != nil || ownerId != nil || source != nil }
}
