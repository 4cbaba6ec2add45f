extension CustomerCommand {
    /// Shape validation, independent of state: every invalid field with its path.
    public func validate() -> [FieldIssue] {
        var v = FieldValidator()
        v.id(customerId, "/customerId")
        switch self {
        case .register(let r):
            switch r.kind {
            case .person:
                v.check(r.personName != nil, "/personName", "is required for a person")
                v.check(r.organizationName == nil, "/organizationName", "is only for organizations")
            case .organization:
                v.check(r.organizationName != nil, "/organizationName", "is required for an organization")
                v.check(r.personName == nil, "/personName", "is only for persons")
            }
            if let name = r.personName { name.validate(&v, at: "/personName") }
            v.optionalText(r.organizationName, "/organizationName", max: 200)
            for (i, email) in r.emails.enumerated() { v.email(email, "/emails/\(i)") }
            v.check(Set(r.emails.map(ContactValidation.normalizedEmail)).count == r.emails.count, "/emails", "must not repeat an address")
            for (i, phone) in r.phones.enumerated() { v.phone(phone, "/phones/\(i)") }
            v.check(Set(r.phones).count == r.phones.count, "/phones", "must not repeat a number")
            for (i, address) in r.addresses.enumerated() { address.validate(&v, at: "/addresses/\(i)") }
            v.check(Set(r.addresses.map(\.addressId)).count == r.addresses.count, "/addresses", "must not repeat an addressId")
            if let owner = r.ownerId { v.id(owner, "/ownerId") }
            v.optionalText(r.source, "/source", max: 200)
            for (key, value) in r.attributes {
                v.check(AttributeKey.isValid(key), "/attributes/\(JSONPointer.escape(key))", "is not a valid attribute key")
                value.validate(&v, at: "/attributes/\(JSONPointer.escape(key))")
            }
            for (i, consent) in r.consents.enumerated() { v.text(consent.source, "/consents/\(i)/source", max: 200) }
        case .updateProfile(let p):
            if let name = p.personName { name.validate(&v, at: "/personName") }
            v.optionalText(p.organizationName, "/organizationName", max: 200)
            if let owner = p.ownerId { v.id(owner, "/ownerId") }
            v.optionalText(p.source, "/source", max: 200)
            v.check(p.personName != nil || p.organizationName != nil || p.ownerId != nil || p.source != nil, "", "changes nothing")
        case .addEmail(_, let email), .removeEmail(_, let email): v.email(email, "/email")
        case .addPhone(_, let phone), .removePhone(_, let phone): v.phone(phone, "/phone")
        case .addAddress(_, let address): address.validate(&v, at: "/address")
        case .removeAddress(_, let addressId): v.id(addressId, "/addressId")
        case .setAttribute(_, let key, let value):
            v.check(AttributeKey.isValid(key), "/key", "must be 1–64 characters of A–Z, a–z, 0–9, '_' or '-'")
            value.validate(&v, at: "/value")
        case .unsetAttribute(_, let key): v.check(AttributeKey.isValid(key), "/key", "must be 1–64 characters of A–Z, a–z, 0–9, '_' or '-'")
        case .linkOrganization(_, let org, let role):
            v.id(org, "/organizationId")
            v.text(role, "/role", max: 100)
        case .unlinkOrganization(_, let org): v.id(org, "/organizationId")
        case .grantConsent(_, let consent, _): v.text(consent.source, "/consent/source", max: 200)
        case .withdrawConsent(_, _, _, let source, _): v.text(source, "/source", max: 200)
        case .tag(_, let tag), .untag(_, let tag): v.text(tag, "/tag", max: 64)
        case .close(_, let reason): v.optionalText(reason, "/reason", max: 1000)
        case .reopen: break
        case .invalidateContactPoint(_, let channel, let value, let reason):
            switch channel {
            case .email: v.email(value, "/value")
            case .sms, .phone: v.phone(value, "/value")
            case .post: v.id(value, "/value")
            }
            v.text(reason, "/reason", max: 500)
        case .recordUnsubscribe(_, _, let campaignId): if let c = campaignId { v.id(c, "/campaignId") }
        case .recordErasure(_, let requestId, let legalBasis):
            v.id(requestId, "/requestId")
            v.text(legalBasis, "/legalBasis", max: 200)
        case .placeLegalHold(_, let holdId, let matter):
            v.id(holdId, "/holdId")
            v.text(matter, "/matter", max: 500)
        case .releaseLegalHold(_, let holdId): v.id(holdId, "/holdId")
        }
        return v.issues
    }
}

extension PersonName {
    func validate(_ v: inout FieldValidator, at path: String) {
        v.text(given, "\(path)/given", max: 100)
        v.text(family, "\(path)/family", max: 100)
    }
}
