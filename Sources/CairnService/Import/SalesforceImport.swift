import CairnDomain
import CairnStore
import Foundation

/// What a Salesforce import did, step by step (one step per data file of the plan).
public struct SalesforceImportReport: Sendable {
    public struct Step: Sendable {
        public var sobject: String
        public var file: String
        public var report: ImportReport
        /// Why the step wrote nothing on purpose (an object with no CRM counterpart).
        public var note: String?
    }

    public var steps: [Step]

    /// Every refused record of every step, in plan order.
    public var errors: [ImportRowError] { steps.flatMap(\.report.errors) }

    /// The steps' figures added up.
    public var total: ImportProgress {
        steps.reduce(into: ImportProgress()) { sum, step in
            let p = step.report.progress
            sum.rows += p.rows
            sum.created += p.created
            sum.updated += p.updated
            sum.unchanged += p.unchanged
            sum.failed += p.failed
            sum.events += p.events
        }
    }
}

extension CairnService {
    /// Imports a Salesforce sObject-tree export (what `sf data export tree` writes and
    /// `sf data import tree` reads): `plan` in `directory` lists the data files in load order.
    ///
    /// - `Contact` records become person customers keyed by `External_Id__c` (else `Email`),
    ///   with mailing address, mobile phone, birth date, lead source, guest type and interests.
    ///   Refused, and reported: records sharing an `External_Id__c` with a *different* record
    ///   (which person the id means is unknowable), birth dates in the future, and contacts with
    ///   nothing to reach them by but an e-mail address (no phone, no address).
    /// - `Case` records open service cases on the contact they reference.
    /// - `Guest_Review__c` records are logged as notes (activities) on the reviewing contact.
    /// - `Experience__c` (a product catalogue) has no CRM counterpart: read to resolve
    ///   references, not imported.
    ///
    /// References (`@ContactRef12`) resolve to the records imported in earlier steps; a record
    /// pointing at a refused or unknown one is refused too.
    public func importSalesforce(
        directory: String, plan: String = "data-plan.json", defaults: ImportDefaults = ImportDefaults(),
        options: ImportOptions = ImportOptions()
    ) async throws(ImportError) -> SalesforceImportReport {
        var defaults = defaults
        defaults.today = CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000).utcDate
        defaults.slaPolicy = slaPolicy
        let steps = try SalesforcePlan.load(directory + "/" + plan)
        // Every file is read before anything is written: a broken export changes nothing.
        var loaded: [String: [SalesforceRecord]] = [:]
        for step in steps {
            for file in step.files { loaded[file] = try SalesforcePlan.records(directory + "/" + file, sobject: step.sobject) }
        }
        var references: [String: SalesforceReference] = [:]
        var report = SalesforceImportReport(steps: [])
        let runId = "import-\(UUID.v7(at: clock.now()).uuidString.lowercased())"
        for step in steps {
            for file in step.files {
                let records = loaded[file] ?? []
                let source: RecordSource?
                var note: String?
                switch step.sobject {
                case "Contact": source = try SalesforceObjects.contacts(records, file: file, defaults: defaults, references: &references)
                case "Case": source = try SalesforceObjects.cases(records, file: file, references: references, policy: slaPolicy)
                case "Guest_Review__c":
                    source = try SalesforceObjects.reviews(records, file: file, references: references, now: clock.now())
                case "Experience__c":
                    for record in records { references[record.referenceId] = .experience(name: record.fields["Name"] as? String ?? "") }
                    source = nil
                    note = "a product catalogue: no CRM counterpart, kept only to resolve references"
                default:
                    source = try RecordSource(
                        records: [],
                        refused: records.map {
                            ImportRowError(
                                line: $0.number, key: $0.referenceId, code: "salesforce.unsupportedObject",
                                reason: "\(step.sobject) records are not imported", file: file)
                        }, key: { _ in nil },
                        plan: { record throws(ImportRowError) in
                            throw ImportRowError(line: record.line, code: "salesforce.unsupportedObject", reason: "not imported")
                        })
                }
                var stepReport: ImportReport
                if let source {
                    stepReport = try await runImport(source, options, runId: "\(runId):\(file)")
                } else {
                    stepReport = ImportReport(
                        progress: ImportProgress(), errors: [], seconds: 0, dryRun: options.dryRun, position: log.committedThrough)
                }
                for index in stepReport.errors.indices where stepReport.errors[index].file == nil {
                    stepReport.errors[index].file = file
                }
                // A contact the domain refused is no target for later references.
                if step.sobject == "Contact" {
                    let refused = Set(stepReport.errors.map(\.line))
                    for record in records where refused.contains(record.number) { references[record.referenceId] = nil }
                }
                report.steps.append(.init(sobject: step.sobject, file: file, report: stepReport, note: note))
            }
        }
        return report
    }
}

/// What a `@reference` stands for once its record is imported.
enum SalesforceReference {
    case contact(customerId: CustomerID, name: String)
    case experience(name: String)
}

/// One record of an sObject-tree file.
struct SalesforceRecord {
    /// 1-based position in its file.
    var number: Int
    var referenceId: String
    var fields: [String: Any]

    func text(_ field: String) -> String? {
        switch fields[field] {
        case let value as String: value
        case let value as NSNumber: value.stringValue
        default: nil
        }
    }
}

enum SalesforcePlan {
    struct Step {
        var sobject: String
        var files: [String]
    }

    static func load(_ path: String) throws(ImportError) -> [Step] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(code: "import.unreadable", message: "cannot read the import plan \(path)")
        }
        guard let steps = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ImportError(code: "import.unreadable", message: "\(path) is not an sObject-tree import plan (a JSON array of steps)")
        }
        return try steps.map { step throws(ImportError) in
            guard let sobject = step["sobject"] as? String, let files = step["files"] as? [String] else {
                throw ImportError(code: "import.unreadable", message: "a step of \(path) lacks sobject or files")
            }
            for file in files where file.contains("/") || file.hasPrefix(".") {
                throw ImportError(code: "import.unreadable", message: "\(path) names a file outside its directory: \(file)")
            }
            return Step(sobject: sobject, files: files)
        }
    }

    static func records(_ path: String, sobject: String) throws(ImportError) -> [SalesforceRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(code: "import.unreadable", message: "cannot read \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let records = object["records"] as? [[String: Any]]
        else {
            throw ImportError(code: "import.unreadable", message: "\(path) is not an sObject-tree file ({\"records\": […]})")
        }
        return records.enumerated().map { index, fields in
            let attributes = fields["attributes"] as? [String: Any]
            return SalesforceRecord(
                number: index + 1, referenceId: attributes?["referenceId"] as? String ?? "\(sobject)#\(index + 1)", fields: fields)
        }
    }
}
