package import CairnStore
package import Foundation

/// Everything a user sees on a customer's page, kept current as events arrive.
///
/// Personal data (names, contact points, addresses, attribute values, free text) is dropped
/// when the customer's data is erased; the commercial facts stay.
package struct Customer360: Sendable, Hashable {
    package enum Status: UInt8, Sendable, Hashable {
        case open = 0, closed, merged, erased
    }

    package struct Address: Sendable, Hashable {
        package var addressId: String
        package var lines: [String]
        package var city: String
        package var region: String?
        package var postalCode: String?
        package var country: String
    }

    package struct Attribute: Sendable, Hashable {
        package var key: String
        /// `string`, `number`, `boolean` or `date`.
        package var type: String
        package var value: String
    }

    package struct OrganizationLink: Sendable, Hashable {
        package var organizationId: String
        package var role: String
    }

    /// One consent decision; the current ones and the full history use the same shape.
    package struct Consent: Sendable, Hashable {
        package var channel: String
        package var purpose: String
        package var granted: Bool
        package var legalBasis: String?
        package var source: String
        /// When the customer decided (the event's own time).
        package var at: Timestamp
        /// Log position of the event that recorded it.
        package var position: UInt64
    }

    package struct Opportunity: Sendable, Hashable {
        package var opportunityId: String
        package var stage: String
        package var amount: Decimal
        package var currency: String
    }

    package struct ServiceCase: Sendable, Hashable {
        package var caseId: String
        package var priority: String
        /// `open` or `resolved` (closed cases leave the list).
        package var status: String
    }

    package struct OrderTotal: Sendable, Hashable {
        package var currency: String
        package var total: Decimal
    }

    package var customerId: String
    package var kind: String = "person"
    package var status: Status = .open
    package var isErased = false
    package var givenName: String?
    package var familyName: String?
    package var organizationName: String?
    package var emails: [String] = []
    package var phones: [String] = []
    package var addresses: [Address] = []
    package var attributes: [Attribute] = []
    package var ownerId: String?
    package var source: String?
    package var organizations: [OrganizationLink] = []
    /// The current decision per channel and purpose, sorted by channel then purpose.
    package var consents: [Consent] = []
    /// Every decision, in log order.
    package var consentHistory: [Consent] = []
    package var unsubscribedChannels: [String] = []
    /// Contact points proved undeliverable.
    package var invalidContactPoints: [String] = []
    package var tags: [String] = []
    /// Customers merged into this one (directly or through an earlier merge).
    package var mergedIds: [String] = []
    /// Where this customer lives now, when it was merged away.
    package var mergedInto: String?
    package var openOpportunities: [Opportunity] = []
    package var openCases: [ServiceCase] = []
    /// Per currency, sorted by currency.
    package var orderTotals: [OrderTotal] = []
    package var orderCount: UInt64 = 0
    /// The latest interaction: an activity, a campaign message, open, click or reply, a case opened or a case message.
    package var lastContactAt: Timestamp?
    package var registeredAt: Timestamp?
    /// Position of the last event that changed this view.
    package var lastPosition: UInt64 = 0

    package init(customerId: String) { self.customerId = customerId }

    /// Given and family name, else the organization name.
    package var displayName: String? { Self.displayName(givenName, familyName, organizationName) }

    static func displayName(_ givenName: String?, _ familyName: String?, _ organizationName: String?) -> String? {
        if givenName != nil || familyName != nil {
            return [givenName, familyName].compactMap { $0 }.joined(separator: " ")
        }
        return organizationName
    }
}

extension Customer360 {
    func encoded() -> [UInt8] {
        var w = CustomerModelWriter(capacity: 512)
        w.u8(1)  // layout version of the value
        w.string(customerId)
        w.string(kind)
        w.u8(status.rawValue)
        w.bool(isErased)
        w.optionalString(givenName)
        w.optionalString(familyName)
        w.optionalString(organizationName)
        w.strings(emails)
        w.strings(phones)
        w.u32(UInt32(addresses.count))
        for a in addresses {
            w.string(a.addressId)
            w.strings(a.lines)
            w.string(a.city)
            w.optionalString(a.region)
            w.optionalString(a.postalCode)
            w.string(a.country)
        }
        w.u32(UInt32(attributes.count))
        for a in attributes {
            w.string(a.key)
            w.string(a.type)
            w.string(a.value)
        }
        w.optionalString(ownerId)
        w.optionalString(source)
        w.u32(UInt32(organizations.count))
        for o in organizations {
            w.string(o.organizationId)
            w.string(o.role)
        }
        for list in [consents, consentHistory] {
            w.u32(UInt32(list.count))
            for c in list {
                w.string(c.channel)
                w.string(c.purpose)
                w.bool(c.granted)
                w.optionalString(c.legalBasis)
                w.string(c.source)
                w.i64(c.at.microsecondsSinceEpoch)
                w.u64(c.position)
            }
        }
        w.strings(unsubscribedChannels)
        w.strings(invalidContactPoints)
        w.strings(tags)
        w.strings(mergedIds)
        w.optionalString(mergedInto)
        w.u32(UInt32(openOpportunities.count))
        for o in openOpportunities {
            w.string(o.opportunityId)
            w.string(o.stage)
            w.decimal(o.amount)
            w.string(o.currency)
        }
        w.u32(UInt32(openCases.count))
        for c in openCases {
            w.string(c.caseId)
            w.string(c.priority)
            w.string(c.status)
        }
        w.u32(UInt32(orderTotals.count))
        for t in orderTotals {
            w.string(t.currency)
            w.decimal(t.total)
        }
        w.u64(orderCount)
        w.optionalI64(lastContactAt?.microsecondsSinceEpoch)
        w.optionalI64(registeredAt?.microsecondsSinceEpoch)
        w.u64(lastPosition)
        return w.bytes
    }

    init(stored: UnsafeRawBufferPointer) throws {
        var r = CustomerModelReader(stored)
        guard try r.u8() == 1 else { throw CustomerModelReader.Malformed() }
        self.init(customerId: try r.string())
        kind = try r.string()
        guard let status = Status(rawValue: try r.u8()) else { throw CustomerModelReader.Malformed() }
        self.status = status
        isErased = try r.bool()
        givenName = try r.optionalString()
        familyName = try r.optionalString()
        organizationName = try r.optionalString()
        emails = try r.strings()
        phones = try r.strings()
        for _ in 0..<Int(try r.u32()) {
            addresses.append(
                Address(
                    addressId: try r.string(), lines: try r.strings(), city: try r.string(), region: try r.optionalString(),
                    postalCode: try r.optionalString(), country: try r.string()))
        }
        for _ in 0..<Int(try r.u32()) {
            attributes.append(Attribute(key: try r.string(), type: try r.string(), value: try r.string()))
        }
        ownerId = try r.optionalString()
        source = try r.optionalString()
        for _ in 0..<Int(try r.u32()) {
            organizations.append(OrganizationLink(organizationId: try r.string(), role: try r.string()))
        }
        for list in 0..<2 {
            var consents: [Consent] = []
            for _ in 0..<Int(try r.u32()) {
                consents.append(
                    Consent(
                        channel: try r.string(), purpose: try r.string(), granted: try r.bool(), legalBasis: try r.optionalString(),
                        source: try r.string(), at: Timestamp(microsecondsSinceEpoch: try r.i64()), position: try r.u64()))
            }
            if list == 0 { self.consents = consents } else { consentHistory = consents }
        }
        unsubscribedChannels = try r.strings()
        invalidContactPoints = try r.strings()
        tags = try r.strings()
        mergedIds = try r.strings()
        mergedInto = try r.optionalString()
        for _ in 0..<Int(try r.u32()) {
            openOpportunities.append(
                Opportunity(opportunityId: try r.string(), stage: try r.string(), amount: try Self.decimal(&r), currency: try r.string()))
        }
        for _ in 0..<Int(try r.u32()) {
            openCases.append(ServiceCase(caseId: try r.string(), priority: try r.string(), status: try r.string()))
        }
        for _ in 0..<Int(try r.u32()) {
            orderTotals.append(OrderTotal(currency: try r.string(), total: try Self.decimal(&r)))
        }
        orderCount = try r.u64()
        lastContactAt = try r.optionalI64().map { Timestamp(microsecondsSinceEpoch: $0) }
        registeredAt = try r.optionalI64().map { Timestamp(microsecondsSinceEpoch: $0) }
        lastPosition = try r.u64()
    }

    private static func decimal(_ r: inout CustomerModelReader) throws -> Decimal {
        let text = try r.string()
        guard let value = storedDecimal(text) else {
            throw CustomerModelReader.Malformed()
        }
        return value
    }

    /// Drops every personal field, keeping the commercial facts.
    mutating func erasePersonalData() {
        isErased = true
        status = .erased
        givenName = nil
        familyName = nil
        emails = []
        phones = []
        addresses = []
        attributes = []
        invalidContactPoints = []
    }

    /// The fields a view is found by (see ``Searchable/indexTerms``).
    var searchable: Searchable {
        Searchable(
            isErased: isErased, givenName: givenName, familyName: familyName, organizationName: organizationName, emails: emails,
            phones: phones, tags: tags)
    }

    /// What the search indexes (`byName`, `byEmail`, `byPhone`, `byTag`) hold of a view.
    struct Searchable: Equatable {
        var isErased: Bool
        var givenName: String?
        var familyName: String?
        var organizationName: String?
        var emails: [String]
        var phones: [String]
        var tags: [String]

        /// Index database name → the view's terms in it.
        var indexTerms: [String: Set<String>] {
            var names: Set<String> = []
            // An organization's name is not personal data: it stays findable after an erasure.
            let parts = isErased ? [organizationName].compactMap { $0 } : [givenName, familyName, organizationName].compactMap { $0 }
            for part in parts {
                for word in part.lowercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "," }) {
                    names.insert(String(word))
                }
                names.insert(part.lowercased())
            }
            if !isErased, let full = Customer360.displayName(givenName, familyName, organizationName)?.lowercased(), !full.isEmpty {
                names.insert(full)
            }
            return [
                "byName": Set(names.map(Customer360.indexTerm)),
                "byEmail": isErased ? [] : Set(emails.map { Customer360.indexTerm($0.lowercased()) }),
                "byPhone": isErased ? [] : Set(phones.map { Customer360.indexTerm(Customer360.phoneKey($0)) }.filter { !$0.isEmpty }),
                "byTag": Set(tags.map(Customer360.indexTerm)),
            ]
        }
    }

    /// At most 200 UTF-8 bytes, cut at a character boundary: LMDB keys stop at 511 bytes and the
    /// customer id follows the term.
    static func indexTerm(_ text: String) -> String {
        guard text.utf8.count > 200 else { return text }
        var out = ""
        for character in text {
            guard out.utf8.count + character.utf8.count <= 200 else { break }
            out.append(character)
        }
        return out
    }

    /// Digits only, so `+44 7700 900123` and `+447700900123` meet.
    static func phoneKey(_ phone: String) -> String {
        String(phone.unicodeScalars.filter { $0.value >= 0x30 && $0.value <= 0x39 }.map(Character.init))
    }
}
