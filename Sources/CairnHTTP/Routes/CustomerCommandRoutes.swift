import CairnDomain
import CairnService
import HTTPTypes

/// The customers context's commands.
enum CustomerCommandRoutes {
    static let tag = "customers"

    static var all: [Route] {
        [
            .command(
                "/v1/customers", "registerCustomer", "Register a customer", tag: tag, roles: Roles.customers,
                body: BodySchema(
                    "RegisterCustomer", "A person or organization to register.",
                    [
                        .required("customerId", .id), .required("kind", .enumeration(CustomerKind.self)),
                        .optional("personName", .object(Schemas.personName)), .optional("organizationName", .string(maxLength: 200)),
                        .optional("emails", .array(.string(maxLength: 254), maxItems: 20)),
                        .optional("phones", .array(.string(maxLength: 40), maxItems: 20)),
                        .optional("addresses", .array(.object(Schemas.address), maxItems: 20)), .optional("ownerId", .id),
                        .optional("source", .string(maxLength: 200)),
                        .optional("attributes", .any, "Custom attributes by key, each {type, value}."),
                        .optional("consents", .array(.object(Schemas.consent), maxItems: 20)),
                    ]),
                created: true
            ) { call in
                let b = call.body
                var issues: [FieldIssue] = []
                var attributes: [String: AttributeValue] = [:]
                if let value = b.value("attributes"), value != .null {
                    if case .object(let members) = value {
                        let holder = CheckedBody(members: members, path: "/attributes")
                        for key in members.keys.sorted() {
                            if let v = holder.attributeValue(key, &issues) { attributes[key] = v }
                        }
                    } else {
                        issues.append(FieldIssue(path: "/attributes", message: "must be an object of {type, value} by key"))
                    }
                }
                try requireValid(issues)
                let registration = CustomerCommand.Registration(
                    customerId: b.string("customerId") ?? "", kind: b.enumeration("kind") ?? .person, personName: b.personName,
                    organizationName: b.string("organizationName"), emails: b.strings("emails"), phones: b.strings("phones"),
                    addresses: b.objects("addresses").map(b.address), ownerId: b.string("ownerId"), source: b.string("source"),
                    attributes: attributes, consents: b.objects("consents").map(CheckedBody.consent))
                return CommandResult(try await call.service.execute(.register(registration), call.metadata))
            },
            .command(
                "/v1/customers/{customerId}/profile", "updateCustomerProfile", "Update a customer's profile", tag: tag,
                roles: Roles.customers,
                body: BodySchema(
                    "UpdateProfile", "Fields left out are unchanged.",
                    [
                        .optional("personName", .object(Schemas.personName)), .optional("organizationName", .string(maxLength: 200)),
                        .optional("ownerId", .id), .optional("source", .string(maxLength: 200)),
                    ])
            ) { call in
                let b = call.body
                let changes = CustomerCommand.ProfileChanges(
                    customerId: try call.id("customerId"), personName: b.personName, organizationName: b.string("organizationName"),
                    ownerId: b.string("ownerId"), source: b.string("source"))
                return CommandResult(try await call.service.execute(.updateProfile(changes), call.metadata))
            },
            simple(
                "/v1/customers/{customerId}/emails", "addCustomerEmail", "Add an email address",
                BodySchema("EmailAddress", "", [.required("email", .string(maxLength: 254))])
            ) { id, b in .addEmail(customerId: id, email: b.string("email") ?? "") },
            simple(
                "/v1/customers/{customerId}/emails/remove", "removeCustomerEmail", "Remove an email address",
                BodySchema("EmailAddress", "", [.required("email", .string(maxLength: 254))])
            ) { id, b in .removeEmail(customerId: id, email: b.string("email") ?? "") },
            simple(
                "/v1/customers/{customerId}/phones", "addCustomerPhone", "Add a phone number",
                BodySchema("PhoneNumber", "", [.required("phone", .string(maxLength: 40))])
            ) { id, b in .addPhone(customerId: id, phone: b.string("phone") ?? "") },
            simple(
                "/v1/customers/{customerId}/phones/remove", "removeCustomerPhone", "Remove a phone number",
                BodySchema("PhoneNumber", "", [.required("phone", .string(maxLength: 40))])
            ) { id, b in .removePhone(customerId: id, phone: b.string("phone") ?? "") },
            simple("/v1/customers/{customerId}/addresses", "addCustomerAddress", "Add a postal address", Schemas.address) { id, b in
                .addAddress(customerId: id, address: b.address(b))
            },
            simple(
                "/v1/customers/{customerId}/addresses/remove", "removeCustomerAddress", "Remove a postal address",
                BodySchema("AddressReference", "", [.required("addressId", .id)])
            ) { id, b in .removeAddress(customerId: id, addressId: b.string("addressId") ?? "") },
            .command(
                "/v1/customers/{customerId}/attributes", "setCustomerAttribute", "Set a custom attribute", tag: tag,
                roles: Roles.customers,
                body: BodySchema(
                    "SetAttribute", "", [.required("key", .string(maxLength: 64)), .required("value", .object(Schemas.attributeValue))])
            ) { call in
                var issues: [FieldIssue] = []
                let value = call.body.attributeValue("value", &issues)
                try requireValid(issues)
                guard let value else { throw Problem.invalid([FieldIssue(path: "/value", message: "is required")]) }
                let command = CustomerCommand.setAttribute(
                    customerId: try call.id("customerId"), key: call.body.string("key") ?? "", value: value)
                return CommandResult(try await call.service.execute(command, call.metadata))
            },
            simple(
                "/v1/customers/{customerId}/attributes/remove", "unsetCustomerAttribute", "Unset a custom attribute",
                BodySchema("AttributeReference", "", [.required("key", .string(maxLength: 64))])
            ) { id, b in .unsetAttribute(customerId: id, key: b.string("key") ?? "") },
            simple(
                "/v1/customers/{customerId}/organization", "linkCustomerOrganization", "Link a person to an organization",
                BodySchema("LinkOrganization", "", [.required("organizationId", .id), .required("role", .string(maxLength: 200))])
            ) { id, b in .linkOrganization(customerId: id, organizationId: b.string("organizationId") ?? "", role: b.string("role") ?? "")
            },
            simple(
                "/v1/customers/{customerId}/organization/remove", "unlinkCustomerOrganization", "Unlink a person from an organization",
                BodySchema("UnlinkOrganization", "", [.required("organizationId", .id)])
            ) { id, b in .unlinkOrganization(customerId: id, organizationId: b.string("organizationId") ?? "") },
            simple(
                "/v1/customers/{customerId}/consents", "grantConsent", "Record a consent",
                BodySchema(
                    "GrantConsent", "",
                    Schemas.consent.fields + [.optional("at", .dateTime, "When the customer gave it (defaults to now).")])
            ) { id, b in .grantConsent(customerId: id, consent: CheckedBody.consent(b), at: b.timestamp("at")) },
            simple(
                "/v1/customers/{customerId}/consents/withdraw", "withdrawConsent", "Record a consent withdrawn",
                BodySchema(
                    "WithdrawConsent", "",
                    [
                        .required("channel", .enumeration(ContactChannel.self)), .required("purpose", .enumeration(ConsentPurpose.self)),
                        .required("source", .string(maxLength: 200)), .optional("at", .dateTime),
                    ])
            ) { id, b in
                .withdrawConsent(
                    customerId: id, channel: b.enumeration("channel") ?? .email, purpose: b.enumeration("purpose") ?? .marketing,
                    source: b.string("source") ?? "", at: b.timestamp("at"))
            },
            simple(
                "/v1/customers/{customerId}/tags", "tagCustomer", "Tag a customer",
                BodySchema("Tag", "", [.required("tag", .string(maxLength: 64))])
            ) { id, b in .tag(customerId: id, tag: b.string("tag") ?? "") },
            simple(
                "/v1/customers/{customerId}/tags/remove", "untagCustomer", "Remove a tag",
                BodySchema("Tag", "", [.required("tag", .string(maxLength: 64))])
            ) { id, b in .untag(customerId: id, tag: b.string("tag") ?? "") },
            simple(
                "/v1/customers/{customerId}/close", "closeCustomer", "Close a customer",
                BodySchema("CloseCustomer", "", [.optional("reason", .string(maxLength: 1000))])
            ) { id, b in .close(customerId: id, reason: b.string("reason")) },
            simple("/v1/customers/{customerId}/reopen", "reopenCustomer", "Reopen a closed customer", Schemas.empty) { id, _ in
                .reopen(customerId: id)
            },
            simple(
                "/v1/customers/{customerId}/contact-points/invalidate", "invalidateContactPoint", "Mark a contact point invalid",
                BodySchema(
                    "InvalidateContactPoint", "",
                    [
                        .required("channel", .enumeration(ContactChannel.self)), .required("value", .string(maxLength: 254)),
                        .required("reason", .string(maxLength: 1000)),
                    ])
            ) { id, b in
                .invalidateContactPoint(
                    customerId: id, channel: b.enumeration("channel") ?? .email, value: b.string("value") ?? "",
                    reason: b.string("reason") ?? "")
            },
            simple(
                "/v1/customers/{customerId}/unsubscribes", "recordCustomerUnsubscribe", "Record an unsubscribe from a channel",
                BodySchema(
                    "RecordUnsubscribe", "", [.required("channel", .enumeration(ContactChannel.self)), .optional("campaignId", .id)]),
                roles: [.sales, .marketing, .service]
            ) { id, b in .recordUnsubscribe(customerId: id, channel: b.enumeration("channel") ?? .email, campaignId: b.string("campaignId"))
            },
            .command(
                "/v1/customers/{customerId}/merge", "mergeCustomer", "Merge this customer (the duplicate) into a survivor", tag: tag,
                roles: [.sales, .service], body: BodySchema("MergeCustomer", "", [.required("survivorId", .id)])
            ) { call in
                let outcome = try await call.service.mergeCustomer(
                    try call.id("customerId"), into: call.body.string("survivorId") ?? "", call.metadata)
                return CommandResult(outcome)
            },
        ]
    }

    /// A command on one customer built from the path id and the body.
    static func simple(
        _ path: String, _ operationId: String, _ summary: String, _ body: BodySchema, roles: Set<AccessRole> = Roles.customers,
        _ make: @escaping @Sendable (CustomerID, CheckedBody) -> CustomerCommand
    ) -> Route {
        .command(path, operationId, summary, tag: tag, roles: roles, body: body) { call in
            CommandResult(try await call.service.execute(make(try call.id("customerId"), call.body), call.metadata))
        }
    }
}
