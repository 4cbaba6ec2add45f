extension CustomerEvent: AggregateEvent {
    public static let category = StreamCategory.customer

    public var type: String {
        switch self {
        case .registered: "customers.CustomerRegistered"
        case .profileUpdated: "customers.CustomerProfileUpdated"
        case .emailAdded: "customers.EmailAdded"
        case .emailRemoved: "customers.EmailRemoved"
        case .phoneAdded: "customers.PhoneAdded"
        case .phoneRemoved: "customers.PhoneRemoved"
        case .addressAdded: "customers.AddressAdded"
        case .addressRemoved: "customers.AddressRemoved"
        case .attributeSet: "customers.CustomAttributeSet"
        case .attributeUnset: "customers.CustomAttributeUnset"
        case .organizationLinked: "customers.OrganizationLinked"
        case .organizationUnlinked: "customers.OrganizationUnlinked"
        case .consentGranted: "customers.ConsentGranted"
        case .consentWithdrawn: "customers.ConsentWithdrawn"
        case .tagged: "customers.CustomerTagged"
        case .untagged: "customers.CustomerUntagged"
        case .closed: "customers.CustomerClosed"
        case .reopened: "customers.CustomerReopened"
        case .merged: "customers.CustomerMerged"
        case .duplicateAbsorbed: "customers.DuplicateAbsorbed"
        case .contactPointInvalidated: "customers.ContactPointInvalidated"
        case .unsubscribed: "customers.CustomerUnsubscribed"
        case .personalDataErased: "customers.PersonalDataErased"
        case .legalHoldPlaced: "customers.LegalHoldPlaced"
        case .legalHoldReleased: "customers.LegalHoldReleased"
        }
    }

    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? { customerId }

    /// The customer whose stream this event belongs to.
    public var customerId: CustomerID {
        switch self {
        case .registered(let e): e.customerId
        case .profileUpdated(let e): e.customerId
        case .emailAdded(let e): e.customerId
        case .emailRemoved(let e): e.customerId
        case .phoneAdded(let e): e.customerId
        case .phoneRemoved(let e): e.customerId
        case .addressAdded(let e): e.customerId
        case .addressRemoved(let e): e.customerId
        case .attributeSet(let e): e.customerId
        case .attributeUnset(let e): e.customerId
        case .organizationLinked(let e): e.customerId
        case .organizationUnlinked(let e): e.customerId
        case .consentGranted(let e): e.customerId
        case .consentWithdrawn(let e): e.customerId
        case .tagged(let e): e.customerId
        case .untagged(let e): e.customerId
        case .closed(let e): e.customerId
        case .reopened(let e): e.customerId
        case .merged(let e): e.customerId
        case .duplicateAbsorbed(let e): e.customerId
        case .contactPointInvalidated(let e): e.customerId
        case .unsubscribed(let e): e.customerId
        case .personalDataErased(let e): e.customerId
        case .legalHoldPlaced(let e): e.customerId
        case .legalHoldReleased(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .registered(let e):
            .object(compacting: [
                "customerId": e.customerId.json, "kind": e.kind.json, "personName": e.personName?.json,
                "organizationName": e.organizationName?.json, "emails": e.emails.json, "phones": e.phones.json,
                "addresses": e.addresses.json, "ownerId": e.ownerId?.json, "source": e.source?.json,
                "attributes": e.attributes.json,
            ])
        case .profileUpdated(let e):
            .object(compacting: [
                "customerId": e.customerId.json, "personName": e.personName?.json,
                "organizationName": e.organizationName?.json, "ownerId": e.ownerId?.json, "source": e.source?.json,
            ])
        case .emailAdded(let e): .object(["customerId": e.customerId.json, "email": e.email.json])
        case .emailRemoved(let e): .object(["customerId": e.customerId.json, "email": e.email.json])
        case .phoneAdded(let e): .object(["customerId": e.customerId.json, "phone": e.phone.json])
        case .phoneRemoved(let e): .object(["customerId": e.customerId.json, "phone": e.phone.json])
        case .addressAdded(let e): .object(["customerId": e.customerId.json, "address": e.address.json])
        case .addressRemoved(let e): .object(["customerId": e.customerId.json, "addressId": e.addressId.json])
        case .attributeSet(let e): .object(["customerId": e.customerId.json, "key": e.key.json, "value": e.value.json])
        case .attributeUnset(let e): .object(["customerId": e.customerId.json, "key": e.key.json])
        case .organizationLinked(let e):
            .object(["customerId": e.customerId.json, "organizationId": e.organizationId.json, "role": e.role.json])
        case .organizationUnlinked(let e): .object(["customerId": e.customerId.json, "organizationId": e.organizationId.json])
        case .consentGranted(let e):
            .object([
                "customerId": e.customerId.json, "channel": e.channel.json, "purpose": e.purpose.json,
                "legalBasis": e.legalBasis.json, "source": e.source.json, "grantedAt": e.grantedAt.json,
            ])
        case .consentWithdrawn(let e):
            .object([
                "customerId": e.customerId.json, "channel": e.channel.json, "purpose": e.purpose.json,
                "source": e.source.json, "withdrawnAt": e.withdrawnAt.json,
            ])
        case .tagged(let e): .object(["customerId": e.customerId.json, "tag": e.tag.json])
        case .untagged(let e): .object(["customerId": e.customerId.json, "tag": e.tag.json])
        case .closed(let e): .object(compacting: ["customerId": e.customerId.json, "reason": e.reason?.json])
        case .reopened(let e): .object(["customerId": e.customerId.json])
        case .merged(let e): .object(["customerId": e.customerId.json, "survivorId": e.survivorId.json])
        case .duplicateAbsorbed(let e):
            .object([
                "customerId": e.customerId.json, "duplicateId": e.duplicateId.json, "emails": e.emails.json,
                "phones": e.phones.json, "tags": e.tags.json,
            ])
        case .contactPointInvalidated(let e):
            .object(["customerId": e.customerId.json, "channel": e.channel.json, "value": e.value.json, "reason": e.reason.json])
        case .unsubscribed(let e):
            .object(compacting: ["customerId": e.customerId.json, "channel": e.channel.json, "campaignId": e.campaignId?.json])
        case .personalDataErased(let e):
            .object(compacting: ["customerId": e.customerId.json, "requestId": e.requestId.json, "legalBasis": e.legalBasis?.json])
        case .legalHoldPlaced(let e): .object(["customerId": e.customerId.json, "holdId": e.holdId.json, "matter": e.matter.json])
        case .legalHoldReleased(let e): .object(["customerId": e.customerId.json, "holdId": e.holdId.json])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> CustomerEvent {
        let known = CustomerEvent.personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> CustomerEvent in
            let id: CustomerID = try r.required("customerId")
            switch type {
            case "customers.CustomerRegistered":
                return .registered(
                    .init(
                        customerId: id, kind: try r.required("kind"), personName: try r.optional("personName"),
                        organizationName: try r.optional("organizationName"), emails: try r.list("emails"),
                        phones: try r.list("phones"), addresses: try r.list("addresses"), ownerId: try r.optional("ownerId"),
                        source: try r.optional("source"), attributes: try r.optional("attributes") ?? [:]))
            case "customers.CustomerProfileUpdated":
                return .profileUpdated(
                    .init(
                        customerId: id, personName: try r.optional("personName"), organizationName: try r.optional("organizationName"),
                        ownerId: try r.optional("ownerId"), source: try r.optional("source")))
            case "customers.EmailAdded": return .emailAdded(.init(customerId: id, email: try r.required("email")))
            case "customers.EmailRemoved": return .emailRemoved(.init(customerId: id, email: try r.required("email")))
            case "customers.PhoneAdded": return .phoneAdded(.init(customerId: id, phone: try r.required("phone")))
            case "customers.PhoneRemoved": return .phoneRemoved(.init(customerId: id, phone: try r.required("phone")))
            case "customers.AddressAdded": return .addressAdded(.init(customerId: id, address: try r.required("address")))
            case "customers.AddressRemoved": return .addressRemoved(.init(customerId: id, addressId: try r.required("addressId")))
            case "customers.CustomAttributeSet":
                return .attributeSet(.init(customerId: id, key: try r.required("key"), value: try r.required("value")))
            case "customers.CustomAttributeUnset": return .attributeUnset(.init(customerId: id, key: try r.required("key")))
            case "customers.OrganizationLinked":
                return .organizationLinked(
                    .init(customerId: id, organizationId: try r.required("organizationId"), role: try r.required("role")))
            case "customers.OrganizationUnlinked":
                return .organizationUnlinked(.init(customerId: id, organizationId: try r.required("organizationId")))
            case "customers.ConsentGranted":
                return .consentGranted(
                    .init(
                        customerId: id, channel: try r.required("channel"), purpose: try r.required("purpose"),
                        legalBasis: try r.required("legalBasis"), source: try r.required("source"), grantedAt: try r.required("grantedAt")))
            case "customers.ConsentWithdrawn":
                return .consentWithdrawn(
                    .init(
                        customerId: id, channel: try r.required("channel"), purpose: try r.required("purpose"),
                        source: try r.required("source"), withdrawnAt: try r.required("withdrawnAt")))
            case "customers.CustomerTagged": return .tagged(.init(customerId: id, tag: try r.required("tag")))
            case "customers.CustomerUntagged": return .untagged(.init(customerId: id, tag: try r.required("tag")))
            case "customers.CustomerClosed": return .closed(.init(customerId: id, reason: try r.optional("reason")))
            case "customers.CustomerReopened": return .reopened(.init(customerId: id))
            case "customers.CustomerMerged": return .merged(.init(customerId: id, survivorId: try r.required("survivorId")))
            case "customers.DuplicateAbsorbed":
                return .duplicateAbsorbed(
                    .init(
                        customerId: id, duplicateId: try r.required("duplicateId"), emails: try r.required("emails"),
                        phones: try r.required("phones"), tags: try r.required("tags")))
            case "customers.ContactPointInvalidated":
                return .contactPointInvalidated(
                    .init(
                        customerId: id, channel: try r.required("channel"), value: try r.required("value"), reason: try r.required("reason")
                    ))
            case "customers.CustomerUnsubscribed":
                return .unsubscribed(.init(customerId: id, channel: try r.required("channel"), campaignId: try r.optional("campaignId")))
            case "customers.PersonalDataErased":
                return .personalDataErased(
                    .init(customerId: id, requestId: try r.required("requestId"), legalBasis: try r.optional("legalBasis")))
            case "customers.LegalHoldPlaced":
                return .legalHoldPlaced(.init(customerId: id, holdId: try r.required("holdId"), matter: try r.required("matter")))
            case "customers.LegalHoldReleased":
                return .legalHoldReleased(.init(customerId: id, holdId: try r.required("holdId")))
            default:
                throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    /// Personal-data JSON pointers per event type (all at schema version 1). The compliance
    /// layer encrypts exactly these members under the subject's key.
    static let personalData: [String: [String]] = [
        "customers.CustomerRegistered": ["/personName", "/emails", "/phones", "/addresses", "/attributes"],
        "customers.CustomerProfileUpdated": ["/personName"],
        "customers.EmailAdded": ["/email"],
        "customers.EmailRemoved": ["/email"],
        "customers.PhoneAdded": ["/phone"],
        "customers.PhoneRemoved": ["/phone"],
        "customers.AddressAdded": ["/address"],
        "customers.AddressRemoved": [],
        "customers.CustomAttributeSet": ["/value"],
        "customers.CustomAttributeUnset": [],
        "customers.OrganizationLinked": [],
        "customers.OrganizationUnlinked": [],
        "customers.ConsentGranted": [],
        "customers.ConsentWithdrawn": [],
        "customers.CustomerTagged": [],
        "customers.CustomerUntagged": [],
        "customers.CustomerClosed": ["/reason"],
        "customers.CustomerReopened": [],
        "customers.CustomerMerged": [],
        "customers.DuplicateAbsorbed": ["/emails", "/phones"],
        "customers.ContactPointInvalidated": ["/value"],
        "customers.CustomerUnsubscribed": [],
        "customers.PersonalDataErased": [],
        "customers.LegalHoldPlaced": [],
        "customers.LegalHoldReleased": [],
    ]
}
