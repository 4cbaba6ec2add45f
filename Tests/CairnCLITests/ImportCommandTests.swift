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
