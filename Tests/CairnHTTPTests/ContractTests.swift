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
}
