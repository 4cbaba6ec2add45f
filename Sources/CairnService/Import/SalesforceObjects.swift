import CairnDomain
import CairnStore
import Foundation

/// How each supported sObject maps onto the domain's commands.
enum SalesforceObjects {
    /// Contact field → import field.
    static let contactFields: [(String, String)] = [
        ("External_Id__c", "externalId"), ("Email", "email"), ("FirstName", "firstName"), ("LastName", "lastName"),
        ("MobilePhone", "phone"), ("MailingStreet", "street"), ("MailingCity", "city"), ("MailingState", "region"),
        ("MailingPostalCode", "postalCode"), ("MailingCountry", "country"), ("Birthdate", "birthDate"), ("LeadSource", "source"),
        ("Guest_Type__c", "attributes.guestType"), ("Interest1__c", "attributes.interest1"), ("Interest2__c", "attributes.interest2"),
        ("Interest3__c", "attributes.interest3"), ("Preferred_Name__c", "attributes.preferredName"),
        ("Photo_URL__c", "attributes.photoUrl"), ("Next_Check_in_Date__c", "attributes.nextCheckIn"),
    ]

    static func contacts(
        _ records: [SalesforceRecord], file: String, defaults: ImportDefaults, references: inout [String: SalesforceReference]
    ) throws(ImportError) -> RecordSource {
        // An external id two different people carry identifies neither of them.
        var peopleOfExternalId: [String: Set<String>] = [:]
        for record in records {
            guard let externalId = record.text("External_Id__c") else { continue }
            peopleOfExternalId[externalId, default: []].insert(
                (record.text("Email") ?? "").lowercased() + "\u{0}" + (record.text("FirstName") ?? "") + "\u{0}"
                    + (record.text("LastName") ?? ""))
        }
        var accepted: [ImportRecord] = []
        var refused: [ImportRowError] = []
        for record in records {
            let externalId = record.text("External_Id__c")
            if let externalId, let people = peopleOfExternalId[externalId], people.count > 1 {
                let others = records.filter { $0.text("External_Id__c") == externalId && $0.number != record.number }.map(\.referenceId)
                refused.append(
                    ImportRowError(
                        line: record.number, key: externalId, code: "salesforce.duplicateExternalId",
                        reason:
                            "\(record.referenceId) shares External_Id__c \(externalId) with \(others.joined(separator: ", ")), another person",
                        file: file))
                continue
            }
            if record.text("MobilePhone") == nil && record.text("MailingStreet") == nil && record.text("MailingCity") == nil {
                refused.append(
                    ImportRowError(
                        line: record.number, key: externalId ?? record.referenceId, code: "salesforce.incompleteContact",
                        reason: "\(record.referenceId) has no phone and no address: nothing to reach the guest by but an e-mail",
                        file: file))
                continue
            }
            var values: [String: String] = [:]
            for (field, target) in contactFields { if let value = record.text(field) { values[target] = value } }
            let imported = ImportRecord(line: record.number, values: values)
            if let customerId = ImportPlans.key(imported, .customers) {
                let name = [record.text("FirstName"), record.text("LastName")].compactMap { $0 }.joined(separator: " ")
                references[record.referenceId] = .contact(customerId: customerId, name: name)
            }
            accepted.append(imported)
        }
        return try RecordSource(records: accepted, refused: refused, file: file, key: { ImportPlans.key($0, .customers) }) {
            record throws(ImportRowError) in
            var defaults = defaults
            defaults.source = "salesforce"
            let plan = try CustomerPlan(record, contacts: false, defaults: defaults)
            return PlannedRow(line: record.line, key: plan.key, primary: StreamName(.customer, plan.customerId), decide: plan.row)
        }
    }

    static func cases(
        _ records: [SalesforceRecord], file: String, references: [String: SalesforceReference], policy: SlaPolicy
    ) throws(ImportError) -> RecordSource {
        var accepted: [ImportRecord] = []
        var refused: [ImportRowError] = []
        for record in records {
            guard case .contact(let customerId, _)? = resolve(record.text("ContactId"), references) else {
                refused.append(unresolved(record, "ContactId", file: file))
                continue
            }
            var values = ["id": "sf-" + record.referenceId, "customer": customerId]
            for field in ["Subject", "Description", "Origin", "Priority", "Type", "Reason", "Status"] { values[field] = record.text(field) }
            accepted.append(ImportRecord(line: record.number, values: values))
        }
        return try RecordSource(records: accepted, refused: refused, file: file, key: { $0.value("id") }) { r throws(ImportRowError) in
            let key = r.value("id")!
            let subject = try r.required("Subject", key: key)
            let channel: CaseChannel =
                switch r.value("Origin")?.lowercased() {
                case "phone": .phone
                case "web": .web
                case "chat": .chat
                default: .email
                }
            let priority: CasePriority? =
                switch r.value("Priority")?.lowercased() {
                case "low": .low
                case "medium", "normal": .normal
                case "high": .high
                case "urgent", "critical": .urgent
                default: nil
                }
            // The case's type and reason have no field of their own: they lead the description.
            let heading = [r.value("Type").map { "Type: \($0)." }, r.value("Reason").map { "Reason: \($0)." }].compactMap { $0 }
            let description = (heading + [r.value("Description") ?? subject]).joined(separator: "\n\n")
            let command = CaseCommand.open(
                caseId: key, customerId: r.value("customer")!, channel: channel, priority: priority ?? .normal, subject: subject,
                description: description)
            return ImportPlans.openCase(command, explicitPriority: priority, line: r.line, policy: policy)
        }
    }

    static func reviews(
        _ records: [SalesforceRecord], file: String, references: [String: SalesforceReference], now: CairnStore.Timestamp
    ) throws(ImportError) -> RecordSource {
        var accepted: [ImportRecord] = []
        var refused: [ImportRowError] = []
        for record in records {
            guard case .contact(let customerId, _)? = resolve(record.text("Contact__c"), references) else {
                refused.append(unresolved(record, "Contact__c", file: file))
                continue
            }
            guard case .experience(let experience)? = resolve(record.text("Experience__c"), references) else {
                refused.append(unresolved(record, "Experience__c", file: file))
                continue
            }
            var values = ["id": "sf-" + record.referenceId, "customer": customerId, "experience": experience]
            values["rating"] = record.text("Rating__c")
            values["comments"] = record.text("Comments__c")
            accepted.append(ImportRecord(line: record.number, values: values))
        }
        let occurredAt = CairnDomain.Timestamp(millisecondsSinceEpoch: now.microsecondsSinceEpoch / 1000)
        return try RecordSource(records: accepted, refused: refused, file: file, key: { $0.value("id") }) { r throws(ImportRowError) in
            let key = r.value("id")!
            let rating = try r.integer("rating", key: key)
            guard let rating, (0...10).contains(rating) else {
                throw r.invalid("Rating__c", r.value("rating") ?? "", "a rating from 0 to 10", key: key)
            }
            let experience = r.value("experience") ?? "an experience"
            let logged = ActivityEvent.Logged(
                activityId: key, customerId: r.value("customer")!, kind: .note, occurredAt: occurredAt, outcome: "rated \(rating)/10",
                summary: "Guest review of \(experience), rated \(rating)/10" + (r.value("comments").map { ": \($0)" } ?? ""))
            return ImportPlans.logActivity(logged, line: r.line)
        }
    }

    private static func resolve(_ reference: String?, _ references: [String: SalesforceReference]) -> SalesforceReference? {
        guard let reference, reference.hasPrefix("@") else { return nil }
        return references[String(reference.dropFirst())]
    }

    private static func unresolved(_ record: SalesforceRecord, _ field: String, file: String) -> ImportRowError {
        ImportRowError(
            line: record.number, key: record.referenceId, code: "salesforce.unresolvedReference",
            reason: "\(field) \(record.text(field) ?? "(empty)") names no imported record", file: file)
    }
}
