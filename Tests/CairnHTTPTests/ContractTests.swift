import CairnDomain
import Foundation
import Testing

@testable import CairnHTTP

@Suite("The OpenAPI contract")
struct ContractTests {
    @Test("Schemas/openapi.yaml is exactly the document generated from the route table")
    func committedDocumentMatchesCode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schemas/openapi.yaml")
        let committed = try String(contentsOf: url, encoding: .utf8)
        #expect(committed == OpenAPIDocument.yaml, "run `swift run cairn openapi > Schemas/openapi.yaml` after changing routes")
    }

    @Test("Every JSON answer of the route table has a response schema, and every schema it refers to exists")
    func everyAnswerHasASchema() {
        for route in RouteTable.all {
            switch route.success {
            case .json(let name), .accepted(let name):
                // The export is a document of its own format, checked by `cairn compliance verify-export`.
                #expect(ResponseSchemas.byName[name] != nil || name == "SubjectAccessExport", "\(route.path): no schema \(name)")
            default: break
            }
        }
        for schema in ResponseSchemas.all {
            for name in ResponseSchemas.references(of: schema) {
                #expect(ResponseSchemas.byName[name] != nil, "\(schema.name) refers to \(name), which is not defined")
            }
        }
        #expect(ResponseSchemas.byName.count == ResponseSchemas.all.count, "two response schemas share a name")
        // A response schema named like a request body would be a duplicate key of the document.
        let lines = OpenAPIDocument.yaml.split(separator: "\n")
        let components = lines.drop { $0 != "  schemas:" }.dropFirst().filter { $0.hasPrefix("    ") && !$0.hasPrefix("     ") }
        #expect(Set(components).count == components.count, "component schemas defined twice: \(components.sorted())")
        #expect(components.count > ResponseSchemas.all.count)
    }

    @Test("The response check finds undeclared, missing, null and mistyped members, and bad strings")
    func responseCheckFindsDepartures() throws {
        let schema = try #require(ResponseSchemas.byName["ConsumerPosition"])
        let good: [String: JSONValue] = [
            "consumer": .string("relay"), "position": .number(2), "updatedAt": .string("2026-04-01T12:00:00Z"),
            "updatedBy": .string("ops"),
        ]
        #expect(schema.violations(of: .object(good)).isEmpty)
        func departures(_ change: (inout [String: JSONValue]) -> Void) -> [String] {
            var object = good
            change(&object)
            return schema.violations(of: .object(object))
        }
        #expect(departures { $0["extra"] = .bool(true) } == ["/extra: not declared in ConsumerPosition"])
        #expect(departures { $0["position"] = nil } == ["/position: required by ConsumerPosition, missing"])
        #expect(departures { $0["updatedBy"] = .null }.count == 1)
        #expect(departures { $0["position"] = .number(2.5) }.count == 1)
        #expect(departures { $0["position"] = .string("2") }.count == 1)
        #expect(departures { $0["updatedAt"] = .string("yesterday") }.count == 1)
        #expect(schema.violations(of: .array([])) == ["/: not an object (ConsumerPosition)"])
        let totals = try #require(ResponseSchemas.byName["OrderTotal"])
        for bad in ["1e5", "1.", ".5", "--1", "", "1.2.3", "0x10"] {
            #expect(!totals.violations(of: .object(["currency": .string("EUR"), "total": .string(bad)])).isEmpty, "\(bad)")
        }
        for good in ["0", "-12", "1234.5", "0.001"] {
            #expect(totals.violations(of: .object(["currency": .string("EUR"), "total": .string(good)])).isEmpty, "\(good)")
        }
        // Nested: a member of an object in an array, reached through a reference.
        let page = try #require(ResponseSchemas.byName["CaseBreakdown"])
        #expect(page.violations(of: .object(["total": .number(1), "byPriority": .object(["high": .string("1")]), "byAssignee": .object([:]), "byAge": .array([])])) == [
            "/byPriority/high: expected an integer, got \"1\""
        ])
    }
}
