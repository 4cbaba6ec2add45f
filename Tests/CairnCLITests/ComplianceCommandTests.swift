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

        // As of the registration, with the signing key the first export made now read from its file.
        let earlier = data + "/export-registered.json"
        let asOf = try await cairn(["compliance", "export", "c_1", "--data", data, "--out", earlier, "--as-of-position", "1"])
        #expect(asOf.status == 0, "\(asOf.stderr)")
        #expect(asOf.stdout.contains("exported 1 records about c_1"), "\(asOf.stdout)")
        let intactEarlier = try await cairn(["compliance", "verify-export", earlier, "--public-key", publicKey])
        #expect(intactEarlier.status == 0 && intactEarlier.stdout.contains("intact: 1 records proven"), "\(intactEarlier.stdout)")
        let both = try await cairn(["compliance", "export", "c_1", "--data", data, "--as-of-position", "1", "--as-of", "2026-01-01T00:00:00Z"])
        #expect(both.status == 1 && both.stderr.split(separator: "\n").count == 1, "\(both.stderr)")

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

@Suite("Erasure, legal holds and retention from the command line")
struct ErasureCommandTests {
    @Test("hold blocks forget in one line; release, forget: no file keeps the data; retention reports; bad input exits 1 in one line")
    func holdForgetRetention() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let registration =
            #"{"type":"customers.CustomerRegistered","stream":"customer-c_1","subject":"c_1","payload":{"customerId":"c_1","kind":"person","personName":{"given":"Ada","family":"Quillfeather"},"emails":["ada.quill@example.org"],"phones":[],"addresses":[],"source":"cli"}}"#
        let lead =
            #"{"type":"sales.LeadCaptured","stream":"lead-l_1","payload":{"leadId":"l_1","source":"fair","personName":{"given":"Eve","family":"Inkwhistle"},"email":"eve.ink@example.org","consents":[],"capturedAt":"2026-04-01T10:00:00.000Z"}}"#
        let appended = try await cairn(["log", "append", "--data", data], input: registration + "\n" + lead + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stderr.contains("generated a new master key"))
        func holds(_ file: String, _ text: String = "Quillfeather") -> Bool {
            FileManager.default.contents(atPath: file)?.range(of: Data(text.utf8)) != nil
        }
        #expect(!holds(data + "/log/data.mdb"), "the name is sealed in the log")

        let held = try await cairn(["compliance", "hold", "c_1", "--hold", "h1", "--matter", "Claim 7", "--data", data])
        #expect(held.status == 0, "\(held.stderr)")
        let refused = try await cairn([
            "compliance", "forget", "c_1", "--request", "dsr-1", "--legal-basis", "GDPR Art. 17", "--data", data,
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("customer.legalHold"), "\(refused.stderr)")
        let released = try await cairn(["compliance", "hold", "c_1", "--hold", "h1", "--release", "--data", data])
        #expect(released.status == 0, "\(released.stderr)")
        let forgot = try await cairn(["compliance", "forget", "c_1", "--request", "dsr-1", "--legal-basis", "GDPR Art. 17", "--data", data])
        #expect(forgot.status == 0, "\(forgot.stderr)")
        for path in try FileManager.default.subpathsOfDirectory(atPath: data) {
            #expect(!holds(data + "/" + path), "\(path) still holds the erased name")
        }
        // A lead that never became a customer, by its own id; a customer's id is no lead's.
        let notALead = try await cairn([
            "compliance", "forget", "c_1", "--lead", "--request", "dsr-2", "--legal-basis", "GDPR Art. 17", "--data", data,
        ])
        #expect(notALead.status == 1 && notALead.stderr.split(separator: "\n").count == 1, "\(notALead.stderr)")
        #expect(notALead.stderr.contains("lead.notFound"), "\(notALead.stderr)")
        let forgotLead = try await cairn([
            "compliance", "forget", "l_1", "--lead", "--request", "dsr-2", "--legal-basis", "GDPR Art. 17", "--data", data,
        ])
        #expect(forgotLead.status == 0 && forgotLead.stdout.contains("erased lead l_1"), "\(forgotLead.stderr)")
        for path in try FileManager.default.subpathsOfDirectory(atPath: data) {
            #expect(!holds(data + "/" + path, "Inkwhistle") && !holds(data + "/" + path, "eve.ink@example.org"), "\(path) still holds the lead")
        }
        let verified = try await cairn(["log", "verify", "--data", data])
        #expect(verified.status == 0, "\(verified.stderr)")

        let retention = try await cairn(["compliance", "retention", "activity=24", "case=36", "--data", data])
        #expect(retention.status == 0, "\(retention.stderr)")
        #expect(retention.stdout.contains("activity: data recorded before"))
        let bad = try await cairn(["compliance", "retention", "order=12", "--data", data])
        #expect(bad.status != 0 && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }
}
