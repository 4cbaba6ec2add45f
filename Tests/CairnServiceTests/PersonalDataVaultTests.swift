import CairnDomain
import CairnStore
import Foundation
import Testing

@testable import CairnService

@Suite("Personal data vault")
struct PersonalDataVaultTests {
    @Test("One batch of many subjects and kinds seals each event under its own subject's key, and every event opens back to its bytes")
    func batchOfManySubjects() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-vault-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir + "/log")
        let vault = try testVault(dir)
        let kinds = ["customers.EmailAdded", "sales.ActivityLogged", "service.CaseOpened", "customers.CustomerTagged"].map { type in
            EventCatalogue.entries.first { $0.type == type && $0.isCurrent }!
        }
        // Subjects interleaved, so the batch meets far more key ids than the few it compares
        // before hashing, and meets each of them again after others.
        var appends: [StreamAppend] = []
        for round in 0..<2 {
            for subject in 0..<20 {
                for (k, entry) in kinds.enumerated() {
                    appends.append(
                        StreamAppend(
                            stream: "\(entry.category.rawValue)-s\(subject)k\(k)r\(round)",
                            events: [
                                NewEvent(
                                    id: .v7(), type: entry.type, schemaVersion: UInt32(entry.schemaVersion), payload: entry.samplePayload,
                                    subject: "c_\(subject)")
                            ]))
                }
            }
        }
        let month = KeyMonth(SystemClock().now()).description
        do {
            let sealed = try await vault.seal(appends, at: SystemClock().now())
            _ = try await log.append(sealed)
            let records = try log.read(from: 1).events
            #expect(records.count == appends.count)
            for (record, append) in zip(records, appends) {
                let original = append.events[0]
                let entry = kinds.first { $0.type == original.type }!
                if entry.personalDataPaths.isEmpty {
                    #expect(record.payload == original.payload)
                } else {
                    let keyName = "\(original.subject!)/\(entry.category.rawValue)/\(month)"
                    #expect(String(decoding: record.payload, as: UTF8.self).contains(#""key":"\#(keyName)""#))
                    #expect(record.payload != original.payload)
                }
                #expect(try vault.payload(of: record) == original.payload)
            }
        } catch {
            Issue.record("\(error)")
        }
        vault.close()
        await log.close()
    }
}
