/// Everything that can happen to a customer (`customer-<id>` stream).
/// Storage names are in `CustomerEvent+Codec.swift`; they are frozen.
public enum CustomerEvent: Sendable, Hashable {
    case registered(Registered)
    case profileUpdated(ProfileUpdated)
    case emailAdded(EmailAdded)
    case emailRemoved(EmailRemoved)
    case phoneAdded(PhoneAdded)
    case phoneRemoved(PhoneRemoved)
    case addressAdded(AddressAdded)
    case addressRemoved(AddressRemoved)
    case attributeSet(AttributeSet)
    case attributeUnset(AttributeUnset)
    case organizationLinked(OrganizationLinked)
    case organizationUnlinked(OrganizationUnlinked)
    case consentGranted(ConsentGranted)
    case consentWithdrawn(ConsentWithdrawn)
    case tagged(Tagged)
    case untagged(Untagged)
    case closed(Closed)
    case reopened(Reopened)
    /// On the duplicate's stream: it now lives on `survivorId`.
    case merged(Merged)
    /// On the survivor's stream: it took over the duplicate's contact points and tags.
    case duplicateAbsorbed(DuplicateAbsorbed)
    case contactPointInvalidated(ContactPointInvalidated)
    case unsubscribed(Unsubscribed)
    case personalDataErased(PersonalDataErased)
    /// Litigation or investigation requires the customer's records kept: erasure and retention
    /// are suspended until every hold is released.
    case legalHoldPlaced(LegalHoldPlaced)
    case legalHoldReleased(LegalHoldReleased)

    public struct Registered: Sendable, Hashable {
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
    }

    /// Only the fields that changed are present.
    public struct ProfileUpdated: Sendable, Hashable {
        public var customerId: CustomerID
        public var personName: PersonName?
        public var organizationName: String?
        public var ownerId: UserID?
        public var source: String?
    }

    public struct EmailAdded: Sendable, Hashable { public var customerId: CustomerID; public var email: String }
    public struct EmailRemoved: Sendable, Hashable { public var customerId: CustomerID; public var email: String }
    public struct PhoneAdded: Sendable, Hashable { public var customerId: CustomerID; public var phone: String }
    public struct PhoneRemoved: Sendable, Hashable { public var customerId: CustomerID; public var phone: String }
    public struct AddressAdded: Sendable, Hashable { public var customerId: CustomerID; public var address: PostalAddress }
    public struct AddressRemoved: Sendable, Hashable { public var customerId: CustomerID; public var addressId: String }

    public struct AttributeSet: Sendable, Hashable {
        public var customerId: CustomerID
        public var key: String
        public var value: AttributeValue
    }

    public struct AttributeUnset: Sendable, Hashable { public var customerId: CustomerID; public var key: String }

    public struct OrganizationLinked: Sendable, Hashable {
        public var customerId: CustomerID
        public var organizationId: CustomerID
        public var role: String
    }

    public struct OrganizationUnlinked: Sendable, Hashable {
        public var customerId: CustomerID
        public var organizationId: CustomerID
    }

    public struct ConsentGranted: Sendable, Hashable {
        public var customerId: CustomerID
        public var channel: ContactChannel
        public var purpose: ConsentPurpose
        public var legalBasis: LegalBasis
        public var source: String
        public var grantedAt: Timestamp
    }

    public struct ConsentWithdrawn: Sendable, Hashable {
        public var customerId: CustomerID
        public var channel: ContactChannel
        public var purpose: ConsentPurpose
        public var source: String
        public var withdrawnAt: Timestamp
    }

    public struct Tagged: Sendable, Hashable { public var customerId: CustomerID; public var tag: String }
    public struct Untagged: Sendable, Hashable { public var customerId: CustomerID; public var tag: String }
    public struct Closed: Sendable, Hashable { public var customerId: CustomerID; public var reason: String? }
    public struct Reopened: Sendable, Hashable { public var customerId: CustomerID }
    public struct Merged: Sendable, Hashable { public var customerId: CustomerID; public var survivorId: CustomerID }

    public struct DuplicateAbsorbed: Sendable, Hashable {
        public var customerId: CustomerID
        public var duplicateId: CustomerID
        public var emails: [String]
        public var phones: [String]
        public var tags: [String]
    }

    /// A contact point proved undeliverable (e.g. a hard bounce).
    public struct ContactPointInvalidated: Sendable, Hashable {
        public var customerId: CustomerID
        public var channel: ContactChannel
        public var value: String
        public var reason: String
    }

    public struct Unsubscribed: Sendable, Hashable {
        public var customerId: CustomerID
        public var channel: ContactChannel
        public var campaignId: CampaignID?
    }

    /// The compliance layer destroyed the subject's key; the customer is no longer contactable.
    public struct PersonalDataErased: Sendable, Hashable {
        public var customerId: CustomerID
        public var requestId: String
        /// Why the law required it (for example "GDPR Art. 17(1)(a)"); absent on events recorded
        /// before it was asked for.
        public var legalBasis: String?

        public init(customerId: CustomerID, requestId: String, legalBasis: String? = nil) {
            self.customerId = customerId
            self.requestId = requestId
            self.legalBasis = legalBasis
        }
    }

    public struct LegalHoldPlaced: Sendable, Hashable {
        public var customerId: CustomerID
        public var holdId: String
        /// The matter the hold is for (a case reference, not personal data).
        public var matter: String
    }

    public struct LegalHoldReleased: Sendable, Hashable {
        public var customerId: CustomerID
        public var holdId: String
    }
}
