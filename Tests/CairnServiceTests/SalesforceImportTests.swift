import CairnDomain
import CairnStore
import Foundation
import Testing

@testable import CairnService

/// The shared datasets: `$CAIRN_SHARED/datasets`, else `../shared/datasets` beside the package.
func sharedDatasets() throws -> String {
    if let shared = ProcessInfo.processInfo.environment["CAIRN_SHARED"], !shared.isEmpty { return shared + "/datasets" }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    try #require(FileManager.default.fileExists(atPath: path), "the shared datasets are not at \(path); set CAIRN_SHARED")
    return path
}

@Suite("Salesforce sObject-tree import of the Coral Cloud sample")
struct SalesforceImportTests {
    /// Contact records of a Coral Cloud file, as plain dictionaries.
    private func contacts(_ file: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try sharedDatasets() + "/coral-cloud/" + file))
        return try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["records"] as? [[String: Any]])
    }

    @Test("The large export: faulty contacts end in the report, never in the data; the rest imports, and again changes nothing")
    func largeExport() async throws {
        let directory = try sharedDatasets() + "/coral-cloud"
        let records = try contacts("data-Contact-large.json")
        try await withService { service, clock in
            let today = CairnDomain.Timestamp(millisecondsSinceEpoch: clock.now().microsecondsSinceEpoch / 1000).utcDate.description
            var externalIds: [String: Int] = [:]
            for record in records { externalIds[record["External_Id__c"] as! String, default: 0] += 1 }
            let shared = Set(externalIds.filter { $0.value > 1 }.keys)
            let sharing = records.filter { shared.contains($0["External_Id__c"] as! String) }
            let futureBirth = records.filter {
                !shared.contains($0["External_Id__c"] as! String) && ($0["Birthdate"] as? String ?? "") > today
            }

            let report = try await service.importSalesforce(directory: directory, plan: "data-plan-large.json")
            let contactStep = try #require(report.steps.first { $0.sobject == "Contact" }?.report)
            let codes = Dictionary(grouping: contactStep.errors, by: \.code).mapValues(\.count)
            #expect(codes["salesforce.duplicateExternalId"] == sharing.count)
            #expect(sharing.count == 101)
            #expect(codes["import.birthDateInFuture"] == futureBirth.count)
            #expect(codes["salesforce.incompleteContact"] == 1)
            #expect(contactStep.errors.contains { $0.code == "salesforce.incompleteContact" && $0.key == "10010024" })
            #expect(contactStep.progress.created == records.count - contactStep.errors.count)
            #expect(contactStep.errors.allSatisfy { $0.file == "data-Contact-large.json" })

            // Nothing refused is in the log, and every stored birth date is in the past.
            for record in sharing + futureBirth {
                let id = ImportIdentity.fromExternalId(record["External_Id__c"] as! String)
                #expect(try service.log.streamVersion("customer-\(id)") == 0)
            }
            var position: UInt64 = 1
            while true {
                let page = try service.log.read(from: position, limit: 1000)
                for event in page.events where event.type == "customers.CustomerRegistered" {
                    let customer = try CustomerEvent.decode(
                        type: event.type, schemaVersion: 1, payload: try service.vault.payload(of: event))
                    guard case .registered(let registered) = customer else { continue }
                    if case .date(let born)? = registered.attributes["birthDate"] { #expect(born.description <= today) }
                    #expect(registered.phones.allSatisfy { $0.hasPrefix("+1") })
                }
                if page.events.isEmpty { break }
                position = page.next
            }

            let cases = try #require(report.steps.first { $0.sobject == "Case" }?.report)
            #expect(cases.progress.created == 2)
            let sofia = ImportIdentity.fromExternalId("10008155")
            let opened = try service.load(CaseDecider.self, StreamName(.case, "sf-CaseRef1")).state
            #expect(opened.customerId == sofia && opened.priority == .high && opened.channel == .phone)
            #expect(report.steps.first { $0.sobject == "Guest_Review__c" }?.report.progress.created == 10)

            let head = try service.log.head()
            let again = try await service.importSalesforce(directory: directory, plan: "data-plan-large.json")
            #expect(again.total.events == 0)
            #expect(again.errors.count == report.errors.count)
            #expect(try service.log.head() == head)
        }
    }

    @Test("The small export, then the large one: the one changed contact becomes an update")
    func smallThenLarge() async throws {
        let directory = try sharedDatasets() + "/coral-cloud"
        try await withService { service, _ in
            let small = try await service.importSalesforce(directory: directory)
            let contactStep = try #require(small.steps.first { $0.sobject == "Contact" }?.report)
            #expect(contactStep.errors.filter { $0.code == "salesforce.duplicateExternalId" }.map(\.key) == ["10009289", "10009289"])
            let large = try await service.importSalesforce(directory: directory, plan: "data-plan-large.json")
            let updated = try #require(large.steps.first { $0.sobject == "Contact" }?.report.progress.updated)
            #expect(updated == 1)
            let sofia = try service.load(CustomerDecider.self, StreamName(.customer, ImportIdentity.fromExternalId("10008155"))).state
            #expect(sofia.attributes["nextCheckIn"] != nil)
        }
    }

    @Test("A plan naming a missing file, or one that is not a plan, stops the import before anything is written")
    func badPlans() async throws {
        try await withService { service, _ in
            let plan = #"[{"sobject":"Contact","files":["data-Contact.json"]},{"sobject":"Case","files":["missing.json"]}]"#
            let dir = (try writeTemporaryFile(beside: service, plan, name: "data-plan.json") as NSString).deletingLastPathComponent
            try FileManager.default.copyItem(
                atPath: try sharedDatasets() + "/coral-cloud/data-Contact.json", toPath: dir + "/data-Contact.json")
            await #expect(throws: ImportError.self) { try await service.importSalesforce(directory: dir) }
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/other.json"))
            await #expect(throws: ImportError.self) { try await service.importSalesforce(directory: dir, plan: "other.json") }
            #expect(try service.log.head() == 0)
        }
    }
}
