/// Decides lead commands, and lead conversion across the lead, customer and opportunity streams.
public enum LeadDecider: Decider {
    public typealias Command = LeadCommand
    public typealias Event = LeadEvent
    public typealias State = LeadState

    public static var initialState: LeadState { LeadState() }

    public static func decide(_ command: LeadCommand, _ state: LeadState, _ context: CommandContext) throws(Rejection) -> [LeadEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.leadId
        if case .capture(let c) = command {
            guard state.status == .notCaptured else { throw .rule("lead.alreadyExists", "Lead \(id) already exists.", path: "/leadId") }
            return [
                .captured(
                    .init(
                        leadId: id, source: c.source, campaignId: c.campaignId, personName: c.personName, companyName: c.companyName,
                        email: c.email.map(ContactValidation.normalizedEmail), phone: c.phone, consents: c.consents, capturedAt: context.now
                    ))
            ]
        }
        if case .recordErasure(_, let requestId, let legalBasis) = command {
            // A legal obligation: it applies to open, qualified and disqualified leads alike.
            guard state.status != .notCaptured else { throw .notFound("lead", id) }
            guard !state.erased else { throw .rule("lead.erased", "Lead \(id)'s personal data is already erased.") }
            if state.status == .converted {
                let customer = state.convertedTo.map { "customer \($0)" } ?? "the customer it became"
                throw .rule("lead.converted", "Lead \(id) was converted; erase \(customer), which erases the lead with it.")
            }
            return [.erased(.init(leadId: id, requestId: requestId, legalBasis: legalBasis))]
        }
        try requireOpen(state, id)
        switch command {
        case .capture, .recordErasure: return []
        case .qualify(_, let note):
            guard state.status != .qualified else { throw .rule("lead.alreadyQualified", "Lead \(id) is already qualified.") }
            return [.qualified(.init(leadId: id, note: note))]
        case .disqualify(_, let reason):
            return [.disqualified(.init(leadId: id, reason: reason))]
        case .update(let u):
            guard let updated = changes(u, against: state) else { return [] }
            let after = evolve(state, .updated(updated))
            guard after.email != nil || after.phone != nil else {
                throw .rule("lead.contactMissing", "Lead \(id) needs an email or a phone; keep one of them.", path: "/clear")
            }
            guard after.personName != nil || after.companyName != nil else {
                throw .rule("lead.nameMissing", "Lead \(id) needs a person or company name; keep one of them.", path: "/clear")
            }
            return [.updated(updated)]
        }
    }

    /// What an update would record on the lead: the details whose value differs (emails compared
    /// normalised) and the cleared details it has; nil when that is nothing. Imports use it to
    /// tell an unchanged row from one that asks for a change.
    public static func changes(_ u: LeadCommand.DetailChanges, against state: LeadState) -> LeadEvent.Updated? {
        let email = u.email.map(ContactValidation.normalizedEmail)
        let updated = LeadEvent.Updated(
            leadId: u.leadId,
            personName: u.personName == state.personName ? nil : u.personName,
            companyName: u.companyName == state.companyName ? nil : u.companyName,
            email: email == state.email ? nil : email,
            phone: u.phone == state.phone ? nil : u.phone,
            cleared: LeadDetail.allCases.filter { detail in
                guard u.clear.contains(detail) else { return false }
                switch detail {
                case .personName: return state.personName != nil
                case .companyName: return state.companyName != nil
                case .email: return state.email != nil
                case .phone: return state.phone != nil
                }
            })
        return updated.hasChanges ? updated : nil
    }

    private static func requireOpen(_ state: LeadState, _ id: LeadID) throws(Rejection) {
        guard !state.erased else { throw .rule("lead.erased", "Lead \(id)'s personal data was erased.") }
        switch state.status {
        case .notCaptured: throw .notFound("lead", id)
        case .disqualified: throw .rule("lead.disqualified", "Lead \(id) was disqualified.")
        case .converted:
            let customer = state.convertedTo.map { " into customer \($0); its details live there now" } ?? ""
            throw .rule("lead.converted", "Lead \(id) was already converted\(customer).")
        case .open, .qualified: return
        }
    }

    /// Converts a lead atomically: `sales.LeadConverted` on the lead, `customers.CustomerRegistered`
    /// (+ the lead's consents) on a new customer — or, for an existing customer, only the lead's
    /// consents for which that customer has no decision on record (see `carriesOver`) — and
    /// `sales.OpportunityOpened` on the new opportunity, attributed to the lead's campaign.
    ///
    /// - Parameters:
    ///   - customer: the state of `conversion.customerId` (empty when registering a new one).
    ///   - opportunity: the state of `conversion.opportunityId` (must be empty).
    public static func decideConversion(
        _ conversion: LeadConversion, lead: LeadState, customer: CustomerState, opportunity: OpportunityState, _ context: CommandContext
    ) throws(Rejection) -> [StreamedEvent] {
        var v = FieldValidator()
        v.id(conversion.leadId, "/leadId")
        v.id(conversion.customerId, conversion.customer.isRegister ? "/customer/newCustomerId" : "/customer/existingCustomerId")
        v.id(conversion.opportunityId, "/opportunityId")
        v.text(conversion.opportunityName, "/opportunityName", max: 200)
        v.money(conversion.amount, "/amount")
        v.id(conversion.ownerId, "/ownerId")
        try v.finish()
        try requireOpen(lead, conversion.leadId)

        var out: [StreamedEvent] = []
        let customerStream = StreamName(.customer, conversion.customerId)
        switch conversion.customer {
        case .register(let newId):
            let isOrganization = lead.personName == nil
            let registration = CustomerCommand.Registration(
                customerId: newId, kind: isOrganization ? .organization : .person, personName: lead.personName,
                organizationName: isOrganization ? lead.companyName : nil, emails: lead.email.map { [$0] } ?? [],
                phones: lead.phone.map { [$0] } ?? [], ownerId: conversion.ownerId, source: "lead:\(lead.id)",
                consents: lead.consents)
            for event in try CustomerDecider.decide(.register(registration), customer, context) {
                out.append(StreamedEvent(customerStream, .customer(event)))
            }
        case .link(let existingId):
            try CustomerDecider.requireActive(customer, existingId, path: "/customer/existingCustomerId")
            var current = customer
            for consent in lead.consents where carriesOver(consent, to: current) {
                let grant = CustomerCommand.grantConsent(customerId: existingId, consent: consent, at: nil)
                for event in try CustomerDecider.decide(grant, current, context) {
                    out.append(StreamedEvent(customerStream, .customer(event)))
                    current = CustomerDecider.evolve(current, event)
                }
            }
        }

        let opening = OpportunityCommand.Opening(
            opportunityId: conversion.opportunityId, customerId: conversion.customerId, name: conversion.opportunityName,
            amount: conversion.amount, expectedCloseDate: conversion.expectedCloseDate, ownerId: conversion.ownerId,
            campaignId: lead.campaignId, leadId: lead.id)
        for event in try OpportunityDecider.decide(.open(opening), opportunity, context) {
            out.append(StreamedEvent(StreamName(.opportunity, conversion.opportunityId), .opportunity(event)))
        }
        out.append(
            StreamedEvent(
                StreamName(.lead, lead.id),
                .lead(
                    .converted(
                        .init(
                            leadId: lead.id, customerId: conversion.customerId, opportunityId: conversion.opportunityId,
                            customerCreated: conversion.customer.isRegister)))))
        return out
    }

    /// Whether a consent given with the lead is granted to the existing customer it turned out to
    /// be: only where the customer has no decision on record for that channel and purpose, and
    /// never on a channel they unsubscribed from. The lead must not override the customer's own
    /// choice — a withdrawal, or an unsubscribe that a new marketing consent would lift.
    static func carriesOver(_ consent: ConsentGrant, to customer: CustomerState) -> Bool {
        customer.consents[ConsentKey(consent.channel, consent.purpose)] == nil
            && !customer.unsubscribedChannels.contains(consent.channel)
    }
}

extension LeadConversion.CustomerTarget {
    var isRegister: Bool {
        if case .register = self { return true }
        return false
    }
}
