/// Ways of reaching a person, shared by consent, marketing and service.
public enum ContactChannel: String, Sendable, Hashable, JSONStringEnum {
    case email, sms, phone, post
}

/// What a consent is for.
public enum ConsentPurpose: String, Sendable, Hashable, JSONStringEnum {
    case marketing, service
}

/// GDPR Art. 6(1) lawful bases.
public enum LegalBasis: String, Sendable, Hashable, JSONStringEnum {
    case consent
    case contract
    case legalObligation = "legal_obligation"
    case vitalInterests = "vital_interests"
    case publicTask = "public_task"
    case legitimateInterests = "legitimate_interests"
}
