import CairnDomain
import CairnService
import Foundation
import NIOHTTP1
import Testing

@testable import CairnHTTP

@Suite("Compliance over a real socket")
struct ComplianceTests {
    @Test("Tailing, stream reads and exports show personal data until erasure and never after; the address is then suppressed")
    func erasureOverHTTP() async throws {
        try await withServer { server in
            let email = "ada.quill@example.org"
            try await server.command(
                "/v1/customers",
                #"{"customerId":"ada","kind":"person","personName":{"given":"Ada","family":"Quillfeather"},"emails":["\#(email)"]}"#)
            let log = try #require(FileManager.default.contents(atPath: server.directory + "/log/data.mdb"))
            #expect(log.range(of: Data(email.utf8)) == nil, "the log file holds the address in clear")

            let page = try await server.request(.GET, "/v1/events?from=1", role: .consumer)
            #expect(page.status == 200 && page.text.contains(email), "tailing opens the sealed data")
            #expect(try await server.request(.GET, "/v1/customers/ada/export", role: .sales).status == 403)
            let before = try await server.request(.GET, "/v1/customers/ada/export", role: .compliance)
            #expect(before.status == 200 && before.text.contains(email))
            #expect(SubjectAccessExport.verify(before.body, publicKey: nil).isIntact)

            let erased = try await server.command(
                "/v1/customers/ada/erasure", #"{"requestId":"dsr-1","legalBasis":"GDPR Art. 17(1)(a)"}"#, role: .compliance)
            let position = erased.json["position"]?.int ?? 0

            for (path, accept) in [
                ("/v1/events?from=1", "application/json"), ("/v1/events?from=1", "application/x-ndjson"),
                ("/v1/streams/customer-ada", "application/json"),
            ] {
                let reply = try await server.request(.GET, path, role: .compliance, headers: [("Accept", accept)])
                #expect(reply.status == 200 && !reply.text.contains(email) && !reply.text.contains("Quillfeather"), "\(path) \(accept)")
            }
            let view = try await server.request(.GET, "/v1/customers/ada?atLeast=\(position)", role: .compliance)
            #expect(view.status == 200 && !view.text.contains(email) && view.text.contains("erased"), "\(view.text)")
            let after = try await server.request(.GET, "/v1/customers/ada/export", role: .compliance)
            #expect(after.status == 200 && !after.text.contains(email))
            #expect(SubjectAccessExport.verify(after.body, publicKey: nil).isIntact)
            #expect(try await server.request(.GET, "/v1/customers/nobody/export", role: .compliance).status == 404)

            let check = try await server.request(.GET, "/v1/compliance/suppression?address=\(email)", role: .marketing)
            #expect(check.json["suppressed"] == .bool(true))
            #expect(try await server.request(.GET, "/v1/compliance/suppression", role: .marketing).status == 400)
            let capture = try await server.request(
                .POST, "/v1/leads", role: .sales, json: #"{"leadId":"l9","source":"fair","email":"\#(email)"}"#)
            #expect(capture.status == 409 && capture.json["code"] == .string("contact.suppressed"), "\(capture.text)")
            let again = try await server.request(
                .POST, "/v1/customers/ada/erasure", role: .compliance, json: #"{"requestId":"dsr-2","legalBasis":"GDPR"}"#)
            #expect(again.status == 409 && again.json["code"] == .string("customer.erased"))
        }
    }
}
