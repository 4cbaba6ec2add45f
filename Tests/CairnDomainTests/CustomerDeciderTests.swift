import Testing

@testable import CairnDomain

fileprivate typealias Row = DeciderCase<CustomerDecider>
private let ada = Fixture.ada
private let reg = Fixture.adaRegistered
private let closed: CustomerEvent = .closed(.init(customerId: ada, reason: nil))
private let merged: CustomerEvent = .merged(.init(customerId: ada, survivorId: "c_survivor"))
private let erased: CustomerEvent = .personalDataErased(.init(customerId: ada, requestId: "dsr_1"))
private let emailConsent = ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "form")

@Suite("Customers decider")
struct CustomerDeciderTests {
    fileprivate static let rows: [Row] = [
        // register
        Row("register a person", .register(Fixture.adaRegistration), .events(["customers.CustomerRegistered"])),
        Row(
            "register with consent",
            .register(
                {
                    var r = Fixture.adaRegistration; r.consents = [emailConsent]; return r
                }()),
            .events(["customers.CustomerRegistered", "customers.ConsentGranted"])),
        Row(
            "register an organization", .register(.init(customerId: "o_1", kind: .organization, organizationName: "Acme")),
            .events(["customers.CustomerRegistered"])),
        Row("register twice", given: [reg], .register(Fixture.adaRegistration), .rejected("customer.alreadyExists")),
        Row("register over a merged id", given: [reg, merged], .register(Fixture.adaRegistration), .rejected("customer.merged")),
        Row(
            "register with a bad email",
            .register(
                {
                    var r = Fixture.adaRegistration; r.emails = ["nope"]; return r
                }()),
            .rejected("validation.failed")),
        Row("register a person without name", .register(.init(customerId: "c_x", kind: .person)), .rejected("validation.failed")),
        // profile
        Row(
            "update profile", given: [reg], .updateProfile(.init(customerId: ada, ownerId: "u_kim")),
            .events(["customers.CustomerProfileUpdated"])),
        Row("update profile to same values", given: [reg], .updateProfile(.init(customerId: ada, ownerId: "u_sam")), .events([])),
        Row(
            "organization name on a person", given: [reg], .updateProfile(.init(customerId: ada, organizationName: "X")),
            .rejected("customer.notAnOrganization")),
        Row("update unknown customer", .updateProfile(.init(customerId: ada, ownerId: "u_kim")), .rejected("customer.notFound")),
        Row(
            "update closed customer", given: [reg, closed], .updateProfile(.init(customerId: ada, ownerId: "u_kim")),
            .rejected("customer.closed")),
        Row(
            "update merged customer", given: [reg, merged], .updateProfile(.init(customerId: ada, ownerId: "u_kim")),
            .rejected("customer.merged")),
        // emails
        Row("add email", given: [reg], .addEmail(customerId: ada, email: "Ada@Work.example"), .events(["customers.EmailAdded"])),
        Row(
            "add existing email (case-insensitive)", given: [reg], .addEmail(customerId: ada, email: "ADA@example.com"),
            .rejected("customer.emailExists")),
        Row("add invalid email", given: [reg], .addEmail(customerId: ada, email: "ada@"), .rejected("validation.failed")),
        Row("remove email", given: [reg], .removeEmail(customerId: ada, email: "ada@example.com"), .events(["customers.EmailRemoved"])),
        Row(
            "remove unknown email", given: [reg], .removeEmail(customerId: ada, email: "x@example.com"), .rejected("customer.emailNotFound")
        ),
        Row(
            "add email to erased customer", given: [reg, erased], .addEmail(customerId: ada, email: "a@b.example"),
            .rejected("customer.erased")),
        // phones
        Row("add phone", given: [reg], .addPhone(customerId: ada, phone: "+14155550123"), .events(["customers.PhoneAdded"])),
        Row("add existing phone", given: [reg], .addPhone(customerId: ada, phone: "+447700900123"), .rejected("customer.phoneExists")),
        Row("add non-E.164 phone", given: [reg], .addPhone(customerId: ada, phone: "0044 7700 900123"), .rejected("validation.failed")),
        Row("remove phone", given: [reg], .removePhone(customerId: ada, phone: "+447700900123"), .events(["customers.PhoneRemoved"])),
        Row(
            "remove unknown phone", given: [reg], .removePhone(customerId: ada, phone: "+14155550123"), .rejected("customer.phoneNotFound")),
        // addresses
        Row(
            "add address", given: [reg],
            .addAddress(customerId: ada, address: .init(addressId: "work", lines: ["2 Side St"], city: "Leeds", country: "GB")),
            .events(["customers.AddressAdded"])),
        Row(
            "add address with existing id", given: [reg], .addAddress(customerId: ada, address: Fixture.home),
            .rejected("customer.addressExists")),
        Row(
            "add address with bad country", given: [reg],
            .addAddress(customerId: ada, address: .init(addressId: "w", lines: ["x"], city: "y", country: "gb")),
            .rejected("validation.failed")),
        Row("remove address", given: [reg], .removeAddress(customerId: ada, addressId: "home"), .events(["customers.AddressRemoved"])),
        Row(
            "remove unknown address", given: [reg], .removeAddress(customerId: ada, addressId: "work"),
            .rejected("customer.addressNotFound")),
        // attributes
        Row(
            "set attribute", given: [reg], .setAttribute(customerId: ada, key: "since", value: .date(date("2020-01-31"))),
            .events(["customers.CustomAttributeSet"])),
        Row("set attribute to same value", given: [reg], .setAttribute(customerId: ada, key: "tier", value: .string("gold")), .events([])),
        Row(
            "set attribute with bad key", given: [reg], .setAttribute(customerId: ada, key: "a b", value: .boolean(true)),
            .rejected("validation.failed")),
        Row(
            "set non-finite number", given: [reg], .setAttribute(customerId: ada, key: "x", value: .number(.infinity)),
            .rejected("validation.failed")),
        Row("unset attribute", given: [reg], .unsetAttribute(customerId: ada, key: "tier"), .events(["customers.CustomAttributeUnset"])),
        Row(
            "unset missing attribute", given: [reg], .unsetAttribute(customerId: ada, key: "nope"), .rejected("customer.attributeNotFound")),
        // organizations
        Row(
            "link to organization", given: [reg], .linkOrganization(customerId: ada, organizationId: "o_acme", role: "CTO"),
            .events(["customers.OrganizationLinked"])),
        Row(
            "link to self", given: [reg], .linkOrganization(customerId: ada, organizationId: ada, role: "CTO"),
            .rejected("customer.linkToSelf")),
        Row(
            "link twice with same role", given: [reg, .organizationLinked(.init(customerId: ada, organizationId: "o_acme", role: "CTO"))],
            .linkOrganization(customerId: ada, organizationId: "o_acme", role: "CTO"), .rejected("customer.alreadyLinked")),
        Row(
            "link an organization", given: [Fixture.org], .linkOrganization(customerId: "o_acme", organizationId: "o_x", role: "parent"),
            .rejected("customer.notAPerson")),
        Row(
            "unlink", given: [reg, .organizationLinked(.init(customerId: ada, organizationId: "o_acme", role: "CTO"))],
            .unlinkOrganization(customerId: ada, organizationId: "o_acme"), .events(["customers.OrganizationUnlinked"])),
        Row(
            "unlink when not linked", given: [reg], .unlinkOrganization(customerId: ada, organizationId: "o_acme"),
            .rejected("customer.notLinked")),
        // consent
        Row(
            "grant consent", given: [reg], .grantConsent(customerId: ada, consent: emailConsent, at: nil),
            .events(["customers.ConsentGranted"])),
        Row(
            "grant consent with empty source", given: [reg],
            .grantConsent(customerId: ada, consent: .init(channel: .sms, purpose: .service, legalBasis: .contract, source: " "), at: nil),
            .rejected("validation.failed")),
        Row(
            "withdraw consent", given: [reg, Fixture.consent()],
            .withdrawConsent(customerId: ada, channel: .email, purpose: .marketing, source: "call", at: nil),
            .events(["customers.ConsentWithdrawn"])),
        Row(
            "withdraw consent on a closed account", given: [reg, Fixture.consent(), closed],
            .withdrawConsent(customerId: ada, channel: .email, purpose: .marketing, source: "call", at: nil),
            .events(["customers.ConsentWithdrawn"])),
        Row(
            "withdraw consent never given", given: [reg],
            .withdrawConsent(customerId: ada, channel: .post, purpose: .marketing, source: "call", at: nil),
            .rejected("customer.consentNotGranted")),
        // tags
        Row("tag", given: [reg], .tag(customerId: ada, tag: "vip"), .events(["customers.CustomerTagged"])),
        Row(
            "tag twice", given: [reg, .tagged(.init(customerId: ada, tag: "vip"))], .tag(customerId: ada, tag: "vip"),
            .rejected("customer.alreadyTagged")),
        Row(
            "untag", given: [reg, .tagged(.init(customerId: ada, tag: "vip"))], .untag(customerId: ada, tag: "vip"),
            .events(["customers.CustomerUntagged"])),
        Row("untag missing", given: [reg], .untag(customerId: ada, tag: "vip"), .rejected("customer.notTagged")),
        // close / reopen
        Row("close", given: [reg], .close(customerId: ada, reason: "asked"), .events(["customers.CustomerClosed"])),
        Row("close twice", given: [reg, closed], .close(customerId: ada, reason: nil), .rejected("customer.closed")),
        Row("reopen", given: [reg, closed], .reopen(customerId: ada), .events(["customers.CustomerReopened"])),
        Row("reopen an active account", given: [reg], .reopen(customerId: ada), .rejected("customer.notClosed")),
        Row("reopen unknown", .reopen(customerId: ada), .rejected("customer.notFound")),
        // contact points, unsubscribe, erasure
        Row(
            "invalidate email", given: [reg],
            .invalidateContactPoint(customerId: ada, channel: .email, value: "ada@example.com", reason: "bounce"),
            .events(["customers.ContactPointInvalidated"])),
        Row(
            "invalidate unknown email", given: [reg],
            .invalidateContactPoint(customerId: ada, channel: .email, value: "x@example.com", reason: "bounce"),
            .rejected("customer.contactPointNotFound")),
        Row(
            "invalidate twice",
            given: [reg, .contactPointInvalidated(.init(customerId: ada, channel: .email, value: "ada@example.com", reason: "b"))],
            .invalidateContactPoint(customerId: ada, channel: .email, value: "ada@example.com", reason: "bounce"),
            .rejected("customer.contactPointAlreadyInvalid")),
        Row(
            "unsubscribe withdraws consent", given: [reg, Fixture.consent()],
            .recordUnsubscribe(customerId: ada, channel: .email, campaignId: "cmp_1"),
            .events(["customers.CustomerUnsubscribed", "customers.ConsentWithdrawn"])),
        Row(
            "unsubscribe without consent", given: [reg], .recordUnsubscribe(customerId: ada, channel: .email, campaignId: nil),
            .events(["customers.CustomerUnsubscribed"])),
        Row(
            "unsubscribe twice", given: [reg, .unsubscribed(.init(customerId: ada, channel: .email, campaignId: nil))],
            .recordUnsubscribe(customerId: ada, channel: .email, campaignId: nil), .rejected("customer.alreadyUnsubscribed")),
        Row(
            "record erasure", given: [reg], .recordErasure(customerId: ada, requestId: "dsr_1", legalBasis: "GDPR Art. 17(1)(a)"),
            .events(["customers.PersonalDataErased"])),
        Row(
            "record erasure twice", given: [reg, erased],
            .recordErasure(customerId: ada, requestId: "dsr_2", legalBasis: "GDPR Art. 17(1)(a)"), .rejected("customer.erased")),
        Row(
            "erase unknown", .recordErasure(customerId: ada, requestId: "dsr_2", legalBasis: "GDPR Art. 17(1)(a)"),
            .rejected("customer.notFound")),
        Row(
            "erase under legal hold", given: [reg, .legalHoldPlaced(.init(customerId: ada, holdId: "h_1", matter: "Claim 7"))],
            .recordErasure(customerId: ada, requestId: "dsr_3", legalBasis: "GDPR Art. 17(1)(a)"), .rejected("customer.legalHold")),
        Row(
            "erase after the hold is released",
            given: [
                reg, .legalHoldPlaced(.init(customerId: ada, holdId: "h_1", matter: "Claim 7")),
                .legalHoldReleased(.init(customerId: ada, holdId: "h_1")),
            ],
            .recordErasure(customerId: ada, requestId: "dsr_3", legalBasis: "GDPR Art. 17(1)(a)"), .events(["customers.PersonalDataErased"])
        ),
        Row(
            "erase without a legal basis", given: [reg], .recordErasure(customerId: ada, requestId: "dsr_4", legalBasis: ""),
            .rejected("validation.failed")),
        Row(
            "place a hold", given: [reg], .placeLegalHold(customerId: ada, holdId: "h_1", matter: "Claim 7"),
            .events(["customers.LegalHoldPlaced"])),
        Row(
            "place a hold twice", given: [reg, .legalHoldPlaced(.init(customerId: ada, holdId: "h_1", matter: "Claim 7"))],
            .placeLegalHold(customerId: ada, holdId: "h_1", matter: "Claim 7"), .rejected("customer.alreadyHeld")),
        Row("hold an unknown customer", .placeLegalHold(customerId: ada, holdId: "h_1", matter: "Claim 7"), .rejected("customer.notFound")),
        Row("release a hold never placed", given: [reg], .releaseLegalHold(customerId: ada, holdId: "h_1"), .rejected("customer.notHeld")),
    ]

    @Test(arguments: rows)
    fileprivate func decides(_ row: Row) { row.check() }

    @Test func commandToMergedCustomerPointsAtSurvivor() throws {
        let state = Fixture.customer([reg, merged])
        let rejection = try #require(
            expectRejection("customer.merged") { try CustomerDecider.decide(.tag(customerId: ada, tag: "x"), state, ctx) })
        #expect(rejection.survivorId == "c_survivor")
        #expect(rejection.kind == .conflict)
    }

    @Test func validationReportsEveryInvalidField() {
        var r = Fixture.adaRegistration
        r.emails = ["bad", "ok@example.com", "also bad"]
        r.phones = ["12345"]
        r.customerId = "not valid!"
        let rejection = expectRejection("validation.failed") { try CustomerDecider.decide(.register(r), CustomerState(), ctx) }
        #expect(rejection?.kind == .invalid)
        #expect(Set(rejection?.issues.map(\.path) ?? []) == ["/customerId", "/emails/0", "/emails/2", "/phones/0"])
    }

    @Test func emailsAreNormalisedToLowercase() throws {
        let events = try CustomerDecider.decide(.addEmail(customerId: ada, email: "New@Example.COM"), Fixture.customer([reg]), ctx)
        #expect(events == [.emailAdded(.init(customerId: ada, email: "new@example.com"))])
    }

    @Test func consentTimeDefaultsToNowAndCanBeGiven() throws {
        let given = at("2026-01-01T00:00:00.000Z")
        let events = try CustomerDecider.decide(
            .grantConsent(customerId: ada, consent: emailConsent, at: given), Fixture.customer([reg]), ctx)
        guard case .consentGranted(let e) = events.first else { Issue.record("no consent"); return }
        #expect(e.grantedAt == given)
        #expect(e.legalBasis == .consent)
        let state = CustomerDecider.fold(events, from: Fixture.customer([reg]))
        #expect(state.hasConsent(.email, for: .marketing))
        #expect(!state.hasConsent(.email, for: .service))
    }

    @Test func erasureClearsPersonalData() {
        let state = Fixture.customer([reg, erased])
        #expect(state.erased && state.emails.isEmpty && state.personName == nil && state.addresses.isEmpty)
    }
}

@Suite("Customer merge and links")
struct CustomerMergeTests {
    let survivor = Fixture.customer([
        .registered(
            .init(
                customerId: "c_s", kind: .person, personName: PersonName(given: "A", family: "L"), organizationName: nil,
                emails: ["a@l.example"], phones: [], addresses: [], ownerId: nil, source: nil, attributes: [:]))
    ])
    let duplicate = Fixture.customer([reg, .tagged(.init(customerId: ada, tag: "vip"))])

    @Test func mergeWritesBothStreams() throws {
        let out = try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: duplicate, survivor: survivor, ctx)
        #expect(out.map(\.stream.description) == ["customer-c_ada", "customer-c_s"])
        #expect(out.map(\.event.type) == ["customers.CustomerMerged", "customers.DuplicateAbsorbed"])
        guard case .customer(let absorbed) = out[1].event else { Issue.record(); return }
        let folded = CustomerDecider.evolve(survivor, absorbed)
        #expect(folded.emails == ["a@l.example", "ada@example.com"])
        #expect(folded.tags == ["vip"])
        #expect(folded.absorbedDuplicates == [ada])
        guard case .customer(let mergedEvent) = out[0].event else { Issue.record(); return }
        #expect(CustomerDecider.evolve(duplicate, mergedEvent).status == .merged(into: "c_s"))
    }

    @Test func mergeIntoSelfIsRefused() {
        expectRejection("customer.mergeIntoSelf") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: ada, duplicate: duplicate, survivor: duplicate, ctx)
        }
    }

    @Test func mergeIntoMergedCustomerIsRefusedWithPointer() {
        let mergedSurvivor = CustomerDecider.evolve(survivor, .merged(.init(customerId: "c_s", survivorId: "c_final")))
        let r = expectRejection("customer.mergeIntoMerged") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: duplicate, survivor: mergedSurvivor, ctx)
        }
        #expect(r?.survivorId == "c_final")
    }

    @Test func mergingAnAlreadyMergedDuplicateIsRefused() {
        let mergedDuplicate = CustomerDecider.evolve(duplicate, merged)
        expectRejection("customer.merged") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: mergedDuplicate, survivor: survivor, ctx)
        }
    }

    @Test func mergeUnknownAndMismatchedKinds() {
        expectRejection("customer.notFound") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: CustomerState(), survivor: survivor, ctx)
        }
        expectRejection("customer.notFound") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: duplicate, survivor: CustomerState(), ctx)
        }
        expectRejection("customer.mergeKindMismatch") {
            try CustomerDecider.decideMerge(
                duplicateId: ada, survivorId: "o_acme", duplicate: duplicate, survivor: Fixture.customer([Fixture.org]), ctx)
        }
    }

    @Test func mergeIntoAnErasedSurvivorIsRefused() {
        let erasedSurvivor = CustomerDecider.evolve(survivor, .personalDataErased(.init(customerId: "c_s", requestId: "dsr_1")))
        let r = expectRejection("customer.erased") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: duplicate, survivor: erasedSurvivor, ctx)
        }
        #expect(r?.path == "/survivorId")
    }

    @Test func mergingAnErasedDuplicateIsRefused() {
        let erasedDuplicate = CustomerDecider.evolve(duplicate, erased)
        let r = expectRejection("customer.erased") {
            try CustomerDecider.decideMerge(duplicateId: ada, survivorId: "c_s", duplicate: erasedDuplicate, survivor: survivor, ctx)
        }
        #expect(r?.path == "/duplicateId")
    }

    @Test func linkRefusesErasedParties() {
        let link = CustomerCommand.linkOrganization(customerId: ada, organizationId: "o_acme", role: "CTO")
        let org = Fixture.customer([Fixture.org])
        let erasedOrg = CustomerDecider.evolve(org, .personalDataErased(.init(customerId: "o_acme", requestId: "dsr_1")))
        let r = expectRejection("customer.erased") { try CustomerDecider.decideLink(link, person: duplicate, organization: erasedOrg, ctx) }
        #expect(r?.path == "/organizationId")
        let erasedPerson = CustomerDecider.evolve(duplicate, erased)
        expectRejection("customer.erased") { try CustomerDecider.decideLink(link, person: erasedPerson, organization: org, ctx) }
        // The person is checked before the organization: an erased person is refused whatever the organization.
        expectRejection("customer.erased") {
            try CustomerDecider.decideLink(link, person: erasedPerson, organization: CustomerState(), ctx)
        }
    }

    @Test func linkChecksTheOrganization() throws {
        let link = CustomerCommand.linkOrganization(customerId: ada, organizationId: "o_acme", role: "CTO")
        let events = try CustomerDecider.decideLink(link, person: duplicate, organization: Fixture.customer([Fixture.org]), ctx)
        #expect(events.map(\.type) == ["customers.OrganizationLinked"])
        expectRejection("customer.notAnOrganization") {
            try CustomerDecider.decideLink(link, person: duplicate, organization: survivor, ctx)
        }
        expectRejection("customer.notFound") {
            try CustomerDecider.decideLink(link, person: duplicate, organization: CustomerState(), ctx)
        }
    }
}

@Suite("Customer erasure")
struct CustomerErasureTests {
    @Test func mergedAndClosedCustomersCanBeErased() throws {
        for history in [[reg, merged], [reg, closed]] {
            let events = try CustomerDecider.decide(
                .recordErasure(customerId: ada, requestId: "dsr_9", legalBasis: "GDPR Art. 17(1)(a)"), Fixture.customer(history), ctx)
            #expect(events.map(\.type) == ["customers.PersonalDataErased"])
        }
    }
}
