import Foundation
import Testing

@Suite("cairn import csv")
struct ImportCommandTests {
    static let csv = """
        CustomerID,CompanyName,Email
        ALFKI,Alfreds Futterkiste,info@alfreds.example
        BADEM,Bad Mail GmbH,not-an-email
        ANATR,"Ana Trujillo, Emparedados",ana@anatr.example

        """

    @Test("Imports, reports refused rows in the error file with exit status 2, and a re-run changes nothing")
    func importWithErrors() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: dir + "/customers.csv"))
        try Data(#"{"externalId": "CustomerID"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/mapping.json"))
        let arguments = [
            "import", "csv", dir + "/customers.csv", "--as", "customers", "--mapping", dir + "/mapping.json", "--map", "name=CompanyName",
            "--data", dir + "/data", "--errors", dir + "/errors.csv",
        ]
        let dry = try await cairn(arguments + ["--dry-run"])
        #expect(dry.status == 2)
        #expect(dry.stdout.hasPrefix("dry run of customers"))
        #expect(try await head(dir) ?? 0 == 0)

        let first = try await cairn(arguments + ["--json"])
        #expect(first.status == 2, "\(first.stderr)")
        let summary = try #require(first.lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(summary["event"] as? String == "summary")
        #expect(summary["created"] as? Int == 2)
        #expect(summary["refused"] as? Int == 1)
        #expect(first.stderr.split(separator: "\n").count == 1)
        let errors = try String(contentsOfFile: dir + "/errors.csv", encoding: .utf8)
        #expect(errors.hasPrefix("line,key,code,reason\n3,x-BADEM,validation.failed,"))

        let again = try await cairn(arguments + ["--json"])
        let rerun = try #require(again.lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(rerun["unchanged"] as? Int == 2)
        #expect(rerun["events"] as? Int == 0)
        #expect(try await head(dir) == 2)
    }

    @Test(
        "Bad arguments: one readable line and a non-zero exit",
        arguments: [["--as", "planets"], ["--as", "customers", "--map", "colour=Email"]])
    func badArguments(_ extra: [String]) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: dir + "/customers.csv"))
        let result = try await cairn(["import", "csv", dir + "/customers.csv", "--data", dir + "/data"] + extra)
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try await head(dir) ?? 0 == 0)
    }

    private func head(_ dir: String) async throws -> Int? {
        guard FileManager.default.fileExists(atPath: dir + "/data/log/data.mdb") else { return nil }
        let stats = try await cairn(["log", "stats", "--data", dir + "/data", "--json"])
        return (try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])?["head"] as? Int
    }
}

@Suite("cairn import salesforce")
struct SalesforceImportCommandTests {
    @Test("The Coral Cloud export imports; its faulty contacts are listed in the error file and make the exit status 2")
    func coralCloud() async throws {
        let shared =
            ProcessInfo.processInfo.environment["CAIRN_SHARED"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared").path
        let coral = shared + "/datasets/coral-cloud"
        try #require(FileManager.default.fileExists(atPath: coral + "/data-plan.json"), "no Coral Cloud data at \(coral)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await cairn([
            "import", "salesforce", coral, "--plan", "data-plan-large.json", "--data", dir + "/data", "--errors", dir + "/errors.csv",
        ])
        #expect(result.status == 2, "\(result.stderr)")
        // A fresh data directory gets its master key, with a warning that it sits beside the data.
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("cairn: warning: generated a new master key") }.count == 1)
        #expect(lines.filter { !$0.hasPrefix("cairn: warning:") }.count == 1)
        #expect(result.stdout.contains("Case (data-Case.json): 2 records — 2 created"))
        let errors = try String(contentsOfFile: dir + "/errors.csv", encoding: .utf8)
        #expect(errors.contains(",salesforce.duplicateExternalId,"))
        #expect(errors.contains(",import.birthDateInFuture,"))
        #expect(errors.contains("10010024,salesforce.incompleteContact,"))
    }
}

@Suite("cairn demo")
struct DemoCommandTests {
    @Test("Loads the Northwind demo, prints what it loaded, and a second run changes nothing")
    func demoTwice() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await cairn(["demo", "--data", dir + "/data", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(summary["customers"] as? Int == 91)
        #expect(summary["orders"] as? Int == 830)
        let second = try await cairn(["demo", "--data", dir + "/data"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("already loaded"))
        let missing = try await cairn(["demo", "--data", dir + "/other", "--northwind", dir])
        #expect(missing.status != 0)
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
