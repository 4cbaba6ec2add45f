/// What can be asked of a customer. Every command names its target customer.
public enum CustomerCommand: Sendable, Hashable {
    case register(Registration)
    case updateProfile(ProfileChanges)
    case addEmail(customerId: CustomerID, email: String)
    case removeEmail(customerId: CustomerID, email: String)
    case addPhone(customerId: CustomerID, phone: String)
    case removePhone(customerId: CustomerID, phone: String)
    case addAddress(customerId: CustomerID, address: PostalAddress)
    case removeAddress(customerId: CustomerID, addressId: String)
    case setAttribute(customerId: CustomerID, key: String, value: AttributeValue)
    case unsetAttribute(customerId: CustomerID, key: String)
    /// Links a person to an organization. Use `CustomerDecider.decideLink` to also check the
    /// organization's own state.
    case linkOrganization(customerId: CustomerID, organizationId: CustomerID, role: String)
    case unlinkOrganization(customerId: CustomerID, organizationId: CustomerID)
    /// `at` is when the customer gave consent (defaults to the command time).
    case grantConsent(customerId: CustomerID, consent: ConsentGrant, at: Timestamp?)
    case withdrawConsent(customerId: CustomerID, channel: ContactChannel, purpose: ConsentPurpose, source: String, at: Timestamp?)
    case tag(customerId: CustomerID, tag: String)
    case untag(customerId: CustomerID, tag: String)
    case close(customerId: CustomerID, reason: String?)
    case reopen(customerId: CustomerID)
    case invalidateContactPoint(customerId: CustomerID, channel: ContactChannel, value: String, reason: String)
    case recordUnsubscribe(customerId: CustomerID, channel: ContactChannel, campaignId: CampaignID?)
    /// The subject's personal data is being erased, for `legalBasis`; refused while a legal hold is in force.
    case recordErasure(customerId: CustomerID, requestId: String, legalBasis: String)
    case placeLegalHold(customerId: CustomerID, holdId: String, matter: String)
    case releaseLegalHold(customerId: CustomerID, holdId: String)

    public struct Registration: Sendable, Hashable {
        public var customerId: CustomerID
        public var kind: CustomerKind
        public var personName: PersonName?
        public var organizationName: String?
        public var emails: [String]
        public var phones: [String]
        public var addresses: [PostalAddress]
        public var ownerId: UserID?
        public var source: String?
        public var attributes: [String: AttributeValue]
        /// Consents captured together with the registration.
        public var consents: [ConsentGrant]

        public init(
            customerId: CustomerID, kind: CustomerKind, personName: PersonName? = nil, organizationName: String? = nil,
            emails: [String] = [], phones: [String] = [], addresses: [PostalAddress] = [], ownerId: UserID? = nil,
            source: String? = nil, attributes: [String: AttributeValue] = [:], consents: [ConsentGrant] = []
        ) {
            self.customerId = customerId
            self.kind = kind
            self.personName = personName
            self.organizationName = organizationName
            self.emails = emails
            self.phones = phones
            self.addresses = addresses
            self.ownerId = ownerId
            self.source = source
            self.attributes = attributes
            self.consents = consents
        }
    }

    /// Fields left nil are unchanged.
    public struct ProfileChanges: Sendable, Hashable {
        public var customerId: CustomerID
        public var personName: PersonName?
        public var organizationName: String?
        public var ownerId: UserID?
        public var source: String?

        public init(
            customerId: CustomerID, personName: PersonName? = nil, organizationName: String? = nil,
            ownerId: UserID? = nil, source: String? = nil
        ) {
            self.customerId = customerId
            self.personName = personName
            self.organizationName = organizationName
            self.ownerId = ownerId
            self.source = source
        }
    }

    public var customerId: CustomerID {
        switch self {
        case .register(let r): r.customerId
        case .updateProfile(let p): p.customerId
        case .addEmail(let id, _), .removeEmail(let id, _), .addPhone(let id, _), .removePhone(let id, _),
            .addAddress(let id, _), .removeAddress(let id, _), .setAttribute(let id, _, _), .unsetAttribute(let id, _),
            .linkOrganization(let id, _, _), .unlinkOrganization(let id, _), .grantConsent(let id, _, _),
            .withdrawConsent(let id, _, _, _, _), .tag(let id, _), .untag(let id, _), .close(let id, _), .reopen(let id),
            .invalidateContactPoint(let id, _, _, _), .recordUnsubscribe(let id, _, _), .recordErasure(let id, _, _),
            .placeLegalHold(let id, _, _), .releaseLegalHold(let id, _):
            id
        }
    }

    public var stream: StreamName { StreamName(.customer, customerId) }
}

/// A consent as captured: channel, purpose, legal basis and where it came from.
public struct ConsentGrant: Sendable, Hashable {
    public var channel: ContactChannel
    public var purpose: ConsentPurpose
    public var legalBasis: LegalBasis
    public var source: String

    public init(channel: ContactChannel, purpose: ConsentPurpose, legalBasis: LegalBasis, source: String) {
        self.channel = channel
        self.purpose = purpose
        self.legalBasis = legalBasis
        self.source = source
    }
}

extension ConsentGrant: JSONObjectCodable {
    var json: JSONValue {
        .object(["channel": channel.json, "purpose": purpose.json, "legalBasis": legalBasis.json, "source": source.json])
    }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        self.init(
            channel: try r.required("channel"), purpose: try r.required("purpose"),
            legalBasis: try r.required("legalBasis"), source: try r.required("source"))
    }
}
