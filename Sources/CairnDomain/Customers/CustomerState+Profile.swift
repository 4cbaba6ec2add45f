extension CustomerState {
    /// The customer as a compliance export shows it: every field the customer's stream holds,
    /// as JSON (sets sorted, absent values left out).
    public var profileJSON: JSONValue {
        let status: String =
            switch self.status {
            case .notRegistered: "not_registered"
            case .active: "active"
            case .closed: "closed"
            case .merged: "merged"
            }
        var mergedInto: JSONValue?
        if case .merged(let survivor) = self.status { mergedInto = .string(survivor) }
        let consents = self.consents.sorted {
            ($0.key.channel.rawValue, $0.key.purpose.rawValue) < ($1.key.channel.rawValue, $1.key.purpose.rawValue)
        }
        return .object(compacting: [
            "customerId": .string(id),
            "status": .string(status),
            "mergedInto": mergedInto,
            "kind": kind.json,
            "name": personName?.json,
            "organizationName": organizationName.map(JSONValue.string),
            "emails": emails.json,
            "phones": phones.json,
            "addresses": addresses.json,
            "attributes": attributes.json,
            "organizations": .object(organizations.mapValues(JSONValue.string)),
            "tags": tags.sorted().json,
            "ownerId": ownerId.map(JSONValue.string),
            "source": source.map(JSONValue.string),
            "unsubscribedChannels": unsubscribedChannels.map(\.rawValue).sorted().json,
            "invalidContactPoints": invalidContactPoints.sorted().json,
            "erased": .bool(erased),
            "absorbedDuplicates": absorbedDuplicates.json,
            "consents": .array(
                consents.map { key, record in
                    .object(compacting: [
                        "channel": key.channel.json, "purpose": key.purpose.json, "granted": .bool(record.granted),
                        "legalBasis": record.legalBasis?.json, "source": .string(record.source), "at": record.at.json,
                    ])
                }),
        ])
    }
}
