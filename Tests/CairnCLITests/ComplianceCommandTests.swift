import Foundation
import Testing

@Suite("Compliance exports from the command line")
struct ComplianceCommandTests {
    @Test("export writes JSON and HTML; verify-export passes with the published key and fails, in one line, on a changed byte")
    func exportAndVerify() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let registration =
            #"{"type":"customers.CustomerRegistered","stream":"customer-c_1","subject":"c_1","payload":{"customerId":"c_1","kind":"person","personName":{"given":"Ada","family":"Lovelace"},"emails":["ada@example.org"],"phones":[],"addresses":[],"source":"cli"}}"#
        let tagged =
            #"{"type":"customers.CustomerTagged","stream":"customer-c_1","subject":"c_1","payload":{"customerId":"c_1","tag":"vip"}}"#
        let appended = try await cairn(["log", "append", "--data", data], input: registration + "\n" + tagged + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")

        let file = data + "/export.json"
        let exported = try await cairn(["compliance", "export", "c_1", "--data", data, "--out", file])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("exported 2 records about c_1"))
        #expect(FileManager.default.fileExists(atPath: data + "/export.html"))

        let key = try await cairn(["compliance", "public-key", "--data", data])
        let publicKey = String(try #require(key.lines.first))
        let intact = try await cairn(["compliance", "verify-export", file, "--public-key", publicKey])
        #expect(intact.status == 0, "\(intact.stdout) \(intact.stderr)")
        #expect(intact.stdout.contains("intact: 2 records proven"))

        var text = try String(contentsOfFile: file, encoding: .utf8)
        let tag = try #require(text.range(of: #""tag":"vip""#))
        text.replaceSubrange(tag, with: #""tag":"vit""#)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let altered = try await cairn(["compliance", "verify-export", file, "--public-key", publicKey])
        #expect(altered.status == 1)
        #expect(altered.stderr.split(separator: "\n").count == 1)
        #expect(altered.stdout.contains("(position 2): payload shown differs from the signed record"), "\(altered.stdout)")
    }
}
