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

    @Test("A lead that never became a customer is erased by the compliance role: no read or file shows it after; the address is suppressed")
    func leadErasureOverHTTP() async throws {
        try await withServer { server in
            let email = "eve.quill@example.org"
            // Sent as a client that retries safely: the stored answer must not keep the data either.
            try await server.command(
                "/v1/leads", #"{"leadId":"eve","source":"fair","personName":{"given":"Eve","family":"Quillfeather"},"email":"\#(email)"}"#,
                role: .sales, headers: [("Idempotency-Key", "capture-eve")])
            #expect(try await server.request(.GET, "/v1/streams/lead-eve", role: .compliance).text.contains(email))

            let body = #"{"requestId":"dsr-1","legalBasis":"GDPR Art. 17(1)(a)"}"#
            #expect(try await server.request(.POST, "/v1/leads/eve/erasure", role: .sales, json: body).status == 403)
            let erased = try await server.command("/v1/leads/eve/erasure", body, role: .compliance)
            #expect(erased.json["events"]?[0]?["type"] == .string("sales.LeadErased"), "\(erased.text)")
            for path in ["/v1/events?from=1", "/v1/streams/lead-eve"] {
                let reply = try await server.request(.GET, path, role: .compliance)
                #expect(reply.status == 200 && !reply.text.contains(email) && !reply.text.contains("Quillfeather"), "\(path)")
            }
            var leaks: [String] = []
            for path in try FileManager.default.subpathsOfDirectory(atPath: server.directory) {
                guard let bytes = FileManager.default.contents(atPath: server.directory + "/" + path) else { continue }
                if bytes.range(of: Data(email.utf8)) != nil || bytes.range(of: Data("Quillfeather".utf8)) != nil { leaks.append(path) }
            }
            #expect(leaks.isEmpty, "\(leaks)")
            let check = try await server.request(.GET, "/v1/compliance/suppression?address=\(email)", role: .marketing)
            #expect(check.json["suppressed"] == .bool(true))

            let again = try await server.request(.POST, "/v1/leads/eve/erasure", role: .compliance, json: body)
            #expect(again.status == 409 && again.json["code"] == .string("lead.erased"))
            let unknown = try await server.request(.POST, "/v1/leads/nobody/erasure", role: .compliance, json: body)
            #expect(unknown.status == 404)
            let noBasis = try await server.request(.POST, "/v1/leads/eve/erasure", role: .compliance, json: #"{"requestId":"dsr-3"}"#)
            #expect(noBasis.status == 400)
        }
    }
}
