import CairnDomain
import CairnStore
import Foundation

/// Rows for the aggregates other than customers. Each is created when new; when it exists the
/// row updates what the domain lets change (a lead's contact details; an opportunity's amount,
/// close date, owner and stage; a case's priority) and otherwise changes nothing — orders and
/// activities are facts, recorded once.
enum ImportPlans {
    /// The id of the aggregate a row of `kind` creates or updates: `id` as given, else derived
    /// from `externalId`, else (for customers, contacts and leads) from `email`.
    static func key(_ r: ImportRecord, _ kind: ImportKind) -> String? {
        if let id = r.value("id") { return id }
        if let externalId = r.value("externalId") { return ImportIdentity.fromExternalId(externalId) }
        guard kind == .customers || kind == .contacts || kind == .leads, let email = r.value("email") else { return nil }
        return ImportIdentity.fromEmail(email)
    }

    /// The one record holding an email address, nil when none does; refuses an address that
    /// several hold, since the row cannot say which it means.
    static func holder(among holders: [String], _ noun: String) throws(CommandError) -> String? {
        guard holders.count <= 1 else {
            throw CommandError(
                kind: .rejected, code: "import.ambiguousEmail",
                message: "\(holders.count) \(noun) hold this address (\(holders.joined(separator: ", "))); give the row an id",
                path: "/email")
        }
        return holders.first
    }

    static func ownId(_ r: ImportRecord) throws(ImportRowError) -> String {
        guard let key = key(r, .orders) else {
            throw ImportRowError(line: r.line, code: "import.missingKey", reason: "a row needs an id or an externalId")
        }
        return key
    }

    static func customerReference(_ r: ImportRecord, key: String) throws(ImportRowError) -> CustomerID {
        let reference = try r.required("customer", key: key)
        return ImportIdentity.fromReference(reference)
    }

    static func currency(_ r: ImportRecord, _ defaults: ImportDefaults, key: String) throws(ImportRowError) -> String {
        if let currency = r.value("currency") ?? defaults.currency { return currency }
        return try r.required("currency", key: key)
    }

    static func lead(_ r: ImportRecord, _ defaults: ImportDefaults) throws(ImportRowError) -> PlannedRow {
        guard let key = key(r, .leads) else {
            throw ImportRowError(line: r.line, code: "import.missingKey", reason: "a row needs an id, an externalId or an email")
        }
        var name: PersonName?
        if r.value("firstName") != nil || r.value("lastName") != nil {
            name = PersonName(given: r.value("firstName") ?? "", family: r.value("lastName") ?? "")
        } else if let full = r.value("fullName") {
            let parts = full.split(separator: " ")
            name = PersonName(given: parts.dropLast().joined(separator: " "), family: String(parts.last ?? ""))
        }
        let capture = LeadCommand.Capture(
            leadId: key, source: r.value("source") ?? defaults.source ?? "import", campaignId: r.value("campaign"), personName: name,
            companyName: r.value("company") ?? r.value("name"), email: r.value("email"),
            phone: r.value("phone").map { ImportValues.phone($0, callingCode: defaults.callingCode(for: r)) })
        // A row keyed by its email names the lead by that address: the address identifies, it
        // does not overwrite one the lead was given since. Source and campaign say where the lead
        // came from, and stay as captured; blank cells change nothing (imports never clear).
        let keyedByEmail = r.value("id") == nil && r.value("externalId") == nil
        let details = LeadCommand.DetailChanges(
            leadId: key, personName: capture.personName, companyName: capture.companyName,
            email: keyedByEmail ? nil : capture.email, phone: capture.phone)
        let named = StreamName(.lead, key)
        return PlannedRow(line: r.line, key: key, primary: named) { d in
            var stream = named
            var details = details
            var state = try d.state(LeadDecider.self, stream)
            // Keyed by an address no lead was imported under: the lead that holds it, however it
            // was captured, is the one the row updates.
            if keyedByEmail, state.status == .notCaptured, let email = capture.email,
                let holder = try ImportPlans.holder(among: d.service.leads(withEmail: email), "leads")
            {
                stream = StreamName(.lead, holder)
                details.leadId = holder
                state = try d.state(LeadDecider.self, stream)
            }
            guard state.status == .notCaptured else {
                // Unchanged details are unchanged whatever became of the lead; changed ones on a
                // converted or disqualified lead are refused with the domain's reason.
                guard LeadDecider.changes(details, against: state) != nil else { return [] }
                let events = try LeadDecider.decide(.update(details), state, d.context)
                try d.service.refuseSuppressed(updatedIn: events)
                return events.map { StreamedEvent(stream, .lead($0)) }
            }
            try d.service.refuseSuppressed([capture.email, capture.phone].compactMap { $0 })
            return try LeadDecider.decide(.capture(capture), state, d.context).map { StreamedEvent(stream, .lead($0)) }
        }
    }

    static func opportunity(_ r: ImportRecord, _ defaults: ImportDefaults) throws(ImportRowError) -> PlannedRow {
        let key = try ownId(r)
        let customerId = try customerReference(r, key: key)
        let currency = try currency(r, defaults, key: key)
        let amount = Money(amount: try r.decimal("amount", key: key) ?? 0, currency: currency)
        guard let closeDate = try r.date("closeDate", key: key) else {
            throw ImportRowError(line: r.line, key: key, code: "import.missingField", reason: "closeDate is required")
        }
        let owner = try r.required("owner", key: key)
        let stage = try r.choice("stage", OpportunityStage.self, key: key)
        let opening = OpportunityCommand.Opening(
            opportunityId: key, customerId: customerId, name: try r.required("name", key: key), amount: amount,
            expectedCloseDate: closeDate, ownerId: owner, stage: stage ?? .prospecting, campaignId: r.value("campaign"))
        let stream = StreamName(.opportunity, key)
        return PlannedRow(line: r.line, key: key, primary: stream) { d in
            var state = try d.state(OpportunityDecider.self, stream)
            var events: [OpportunityEvent] = []
            func run(_ command: OpportunityCommand) throws {
                let decided = try OpportunityDecider.decide(command, state, d.context)
                state = decided.reduce(state, OpportunityDecider.evolve)
                events += decided
            }
            if state.status == .notOpened {
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                events = try OpportunityDecider.decideOpen(opening, opportunity: state, customer: customer, d.context)
            } else {
                if state.amount != amount { try run(.changeAmount(opportunityId: key, amount: amount)) }
                if state.expectedCloseDate != closeDate { try run(.changeCloseDate(opportunityId: key, expectedCloseDate: closeDate)) }
                if state.ownerId != owner { try run(.changeOwner(opportunityId: key, ownerId: owner)) }
                if let stage, state.stage != stage, !state.isClosed {
                    try run(.moveToStage(opportunityId: key, stage: stage, probability: nil))
                }
            }
            return events.map { StreamedEvent(stream, .opportunity($0)) }
        }
    }

    static func order(_ r: ImportRecord, _ defaults: ImportDefaults) throws(ImportRowError) -> PlannedRow {
        let key = try ownId(r)
        let customerId = try customerReference(r, key: key)
        let currency = try currency(r, defaults, key: key)
        guard let orderDate = try r.date("date", key: key) else {
            throw ImportRowError(line: r.line, key: key, code: "import.missingField", reason: "date is required")
        }
        let quantity = try r.integer("quantity", key: key) ?? 1
        let price = try r.decimal("unitPrice", key: key)
        let amount = try r.decimal("amount", key: key)
        guard let unitPrice = price ?? amount else {
            throw ImportRowError(line: r.line, key: key, code: "import.missingField", reason: "unitPrice or amount is required")
        }
        let sku = r.value("sku") ?? "item"
        let line = OrderLine(sku: sku, description: r.value("description") ?? sku, quantity: quantity, unitPrice: unitPrice)
        let command = OrderCommand.record(
            orderId: key, customerId: customerId, opportunityId: r.value("opportunity"), lines: [line], currency: currency,
            orderDate: orderDate)
        let stream = StreamName(.order, key)
        return PlannedRow(line: r.line, key: key, primary: stream) { d in
            let state = try d.state(OrderDecider.self, stream)
            guard state.recorded == nil else { return [] }
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
            return try OrderDecider.decideRecord(command, state, customer: customer, d.context).map { StreamedEvent(stream, .order($0)) }
        }
    }

    static func activity(_ r: ImportRecord, _ defaults: ImportDefaults) throws(ImportRowError) -> PlannedRow {
        let key = try ownId(r)
        let customerId = try customerReference(r, key: key)
        guard let occurredAt = try r.timestamp("occurredAt", key: key) else {
            throw ImportRowError(line: r.line, key: key, code: "import.missingField", reason: "occurredAt is required")
        }
        let logged = ActivityEvent.Logged(
            activityId: key, customerId: customerId, kind: try r.choice("kind", ActivityKind.self, key: key) ?? .note,
            direction: try r.choice("direction", ActivityDirection.self, key: key),
            channel: try r.choice("channel", ContactChannel.self, key: key), occurredAt: occurredAt,
            durationSeconds: try r.integer("duration", key: key), outcome: r.value("outcome"), summary: r.value("summary"))
        return logActivity(logged, line: r.line)
    }

    /// Logs `logged` unless its activity exists (activities are facts, recorded once).
    static func logActivity(_ logged: ActivityEvent.Logged, line: Int) -> PlannedRow {
        let stream = StreamName(.activity, logged.activityId)
        return PlannedRow(line: line, key: logged.activityId, primary: stream) { d in
            let state = try d.state(ActivityDecider.self, stream)
            guard state.logged == nil else { return [] }
            let customer = try d.state(CustomerDecider.self, StreamName(.customer, logged.customerId))
            return try ActivityDecider.decideLog(.log(logged), state, customer: customer, d.context).map {
                StreamedEvent(stream, .activity($0))
            }
        }
    }

    static func serviceCase(_ r: ImportRecord, _ defaults: ImportDefaults) throws(ImportRowError) -> PlannedRow {
        let key = try ownId(r)
        let customerId = try customerReference(r, key: key)
        let subject = try r.required("subject", key: key)
        let priority = try r.choice("priority", CasePriority.self, key: key)
        let command = CaseCommand.open(
            caseId: key, customerId: customerId, channel: try r.choice("channel", CaseChannel.self, key: key) ?? .email,
            priority: priority ?? .normal, subject: subject, description: r.value("description") ?? subject)
        return openCase(command, explicitPriority: priority, line: r.line, policy: defaults.slaPolicy)
    }

    /// Opens the case when new; when it is open with another priority than `explicitPriority`,
    /// changes the priority; otherwise changes nothing.
    static func openCase(_ command: CaseCommand, explicitPriority: CasePriority?, line: Int, policy: SlaPolicy) -> PlannedRow {
        let key = command.caseId
        let stream = command.stream
        return PlannedRow(line: line, key: key, primary: stream) { d in
            let state = try d.state(CaseDecider.self, stream)
            if state.status == .notOpened {
                guard case .open(_, let customerId, _, _, _, _) = command else { return [] }
                let customer = try d.state(CustomerDecider.self, StreamName(.customer, customerId))
                return try CaseDecider.decideOpen(command, state, customer: customer, d.context, policy: policy).map {
                    StreamedEvent(stream, .serviceCase($0))
                }
            }
            guard let priority = explicitPriority, priority != state.priority, state.status == .open else { return [] }
            return try CaseDecider.decide(.changePriority(caseId: key, priority: priority), state, d.context, policy: policy).map {
                StreamedEvent(stream, .serviceCase($0))
            }
        }
    }
}
