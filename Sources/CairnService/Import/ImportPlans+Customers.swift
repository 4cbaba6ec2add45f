import CairnDomain
import CairnStore
import Foundation

/// What a row may say about a customer or contact, and the commands that make the stored
/// customer say the same: a registration when it is new, otherwise only the differences
/// (profile, added e-mails, phones, the imported address, attributes, tags, organization link).
/// Imports add; they never remove what other channels recorded.
struct CustomerPlan {
    var customerId: CustomerID
    var key: String
    var registration: CustomerCommand.Registration
    var tags: [String]
    /// For contacts: the organization (customer id) and role to link to.
    var organization: (id: CustomerID, role: String)?
    /// The row names its customer only by email address: an existing customer holding that
    /// address (however it was registered) is the one it updates.
    var keyedByEmail: Bool

    static let addressId = "imported"

    /// Reads a customer (`contacts: false`) or a contact person of an organization.
    init(_ r: ImportRecord, contacts: Bool, defaults: ImportDefaults) throws(ImportRowError) {
        let email = r.value("email")
        guard let key = ImportPlans.key(r, .customers) else {
            throw ImportRowError(line: r.line, code: "import.missingKey", reason: "a row needs an id, an externalId or an email")
        }
        self.key = key
        customerId = key
        keyedByEmail = r.value("id") == nil && r.value("externalId") == nil
        let given = r.value("firstName")
        let family = r.value("lastName")
        let full = r.value("fullName")
        let organizationName = r.value("name")
        let kind: CustomerKind
        if contacts {
            kind = .person
        } else if let text = r.value("kind") {
            guard let parsed = try r.choice("kind", CustomerKind.self, key: key) else { throw r.invalid("kind", text, "a kind", key: key) }
            kind = parsed
        } else {
            kind = organizationName != nil && given == nil && family == nil && full == nil ? .organization : .person
        }
        var personName: PersonName?
        if kind == .person {
            if given != nil || family != nil {
                personName = PersonName(given: given ?? "", family: family ?? "")
            } else if let full {
                let parts = full.split(separator: " ")
                personName = PersonName(
                    given: parts.count > 1 ? parts.dropLast().joined(separator: " ") : "", family: String(parts.last ?? ""))
            } else {
                throw ImportRowError(
                    line: r.line, key: key, code: "import.missingField", reason: "a person needs firstName/lastName or fullName")
            }
        }
        var attributes: [String: AttributeValue] = [:]
        for (field, value) in r.values where field.hasPrefix("attributes.") {
            if let trimmed = ImportRecord.trimmed(value) { attributes[String(field.dropFirst("attributes.".count))] = .string(trimmed) }
        }
        if let birthDate = try r.date("birthDate", key: key) {
            guard birthDate <= defaults.today else {
                throw ImportRowError(
                    line: r.line, key: key, code: "import.birthDateInFuture", reason: "birthDate \(birthDate) lies in the future")
            }
            attributes["birthDate"] = .date(birthDate)
        }
        if let title = r.value("title"), !contacts { attributes["title"] = .string(title) }
        var addresses: [PostalAddress] = []
        if let city = r.value("city") {
            let street = r.value("street") ?? ""
            guard let countryText = r.value("country") ?? defaults.country else {
                throw ImportRowError(line: r.line, key: key, code: "import.missingField", reason: "an address needs a country")
            }
            guard let country = ImportValues.country(countryText) else {
                throw r.invalid("country", countryText, "a country (ISO code or English name)", key: key)
            }
            let lines = street.split(whereSeparator: \.isNewline).map { String($0) }.filter { !$0.isEmpty }
            addresses.append(
                PostalAddress(
                    addressId: Self.addressId, lines: lines.isEmpty ? [city] : lines, city: city, region: r.value("region"),
                    postalCode: r.value("postalCode"), country: country))
        }
        registration = CustomerCommand.Registration(
            customerId: customerId, kind: kind, personName: personName, organizationName: kind == .organization ? organizationName : nil,
            emails: email.map { [$0] } ?? [],
            phones: r.value("phone").map { [ImportValues.phone($0, callingCode: defaults.callingCode(for: r))] } ?? [],
            addresses: addresses, ownerId: r.value("owner"), source: r.value("source") ?? defaults.source, attributes: attributes)
        tags = r.value("tags").map { $0.split(separator: ";").compactMap { ImportRecord.trimmed(String($0)) } } ?? []
        if contacts, let organization = r.value("organization") {
            self.organization = (ImportIdentity.fromReference(organization), r.value("role") ?? r.value("title") ?? "contact")
        }
    }

    var row: PlannedRow.Decide {
        { [self] d in try resolved(&d).decide(&d) }
    }

    /// This plan aimed at the customer that already holds the row's address, when the row is
    /// keyed by email and no customer was imported under it: upsert, not a second customer.
    private func resolved(_ d: inout ImportDecision) throws -> CustomerPlan {
        guard keyedByEmail, let email = registration.emails.first,
            !(try d.state(CustomerDecider.self, StreamName(.customer, customerId)).exists)
        else { return self }
        guard let holder = try ImportPlans.holder(among: d.service.customers(withEmail: email), "customers") else { return self }
        var plan = self
        plan.customerId = holder
        plan.registration.customerId = holder
        return plan
    }

    private func decide(_ d: inout ImportDecision) throws -> [StreamedEvent] {
        let stream = StreamName(.customer, customerId)
        var state = try d.state(CustomerDecider.self, stream)
        var events: [CustomerEvent] = []
        func run(_ command: CustomerCommand) throws {
            let decided = try CustomerDecider.decide(command, state, d.context)
            state = decided.reduce(state, CustomerDecider.evolve)
            events += decided
        }
        if !state.exists {
            // Someone whose data was erased is not brought back by an import.
            try d.service.refuseSuppressed(registration.emails + registration.phones)
            try run(.register(registration))
        } else {
            for command in updates(from: state) { try run(command) }
        }
        for tag in tags where !state.tags.contains(tag) { try run(.tag(customerId: customerId, tag: tag)) }
        if let organization, state.organizations[organization.id] != organization.role {
            let organizationState = try d.state(CustomerDecider.self, StreamName(.customer, organization.id))
            let command = CustomerCommand.linkOrganization(customerId: customerId, organizationId: organization.id, role: organization.role)
            let decided = try CustomerDecider.decideLink(command, person: state, organization: organizationState, d.context)
            state = decided.reduce(state, CustomerDecider.evolve)
            events += decided
        }
        return events.map { StreamedEvent(stream, .customer($0)) }
    }

    /// The commands that bring `state` up to what the row says.
    private func updates(from state: CustomerState) -> [CustomerCommand] {
        let r = registration
        var commands: [CustomerCommand] = []
        var profile = CustomerCommand.ProfileChanges(customerId: customerId)
        if state.kind == .person, let name = r.personName, name != state.personName { profile.personName = name }
        if state.kind == .organization, let name = r.organizationName, name != state.organizationName { profile.organizationName = name }
        if let owner = r.ownerId, owner != state.ownerId { profile.ownerId = owner }
        if let source = r.source, state.source == nil { profile.source = source }
        if profile.personName != nil || profile.organizationName != nil || profile.ownerId != nil || profile.source != nil {
            commands.append(.updateProfile(profile))
        }
        for email in r.emails where !state.emails.contains(email.lowercased()) {
            commands.append(.addEmail(customerId: customerId, email: email))
        }
        for phone in r.phones where !state.phones.contains(phone) { commands.append(.addPhone(customerId: customerId, phone: phone)) }
        for address in r.addresses {
            let current = state.addresses.first { $0.addressId == address.addressId }
            guard current != address else { continue }
            if current != nil { commands.append(.removeAddress(customerId: customerId, addressId: address.addressId)) }
            commands.append(.addAddress(customerId: customerId, address: address))
        }
        for (key, value) in r.attributes.sorted(by: { $0.key < $1.key }) where state.attributes[key] != value {
            commands.append(.setAttribute(customerId: customerId, key: key, value: value))
        }
        return commands
    }
}

/// Values a row falls back on when it does not say.
public struct ImportDefaults: Sendable {
    /// Calling code for national phone numbers, e.g. `+1`, of rows that name no country.
    public var callingCode: String?
    /// Country for addresses without one (code or English name).
    public var country: String?
    /// Currency for amounts without one.
    public var currency: String?
    /// The customer `source` when the row gives none.
    public var source: String? = "import"
    /// Today, by the service clock: no birth date may be later.
    var today = CalendarDate(year: 9999, month: 12, day: 31)!
    var slaPolicy = SlaPolicy.standard

    /// The calling code a national phone number of `r` takes: its own country's, else
    /// ``callingCode``, else that of ``country``.
    func callingCode(for r: ImportRecord) -> String? {
        if let own = r.value("country").flatMap(ImportValues.country).flatMap(ImportValues.callingCode(ofCountry:)) { return own }
        return callingCode ?? country.flatMap(ImportValues.country).flatMap(ImportValues.callingCode(ofCountry:))
    }

    public init(callingCode: String? = nil, country: String? = nil, currency: String? = nil) {
        self.callingCode = callingCode
        self.country = country
        self.currency = currency
    }
}
