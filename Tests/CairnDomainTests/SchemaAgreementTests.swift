import CairnTestSupport
import Foundation
import Testing

@testable import CairnDomain

/// The published JSON Schemas and the Swift codec agree: every catalogued sample validates
/// against its schema, there is no schema without an event type and no event type without a
/// schema, and both sides declare the same personal-data paths.
@Suite("Schemas agree with the codec")
struct SchemaAgreementTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schemasDir = repoRoot.appendingPathComponent("Schemas/events")

    @Test func samplesValidateAgainstSchemas() throws {
        let samples = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-event-samples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: samples, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: samples) }
        for entry in EventCatalogue.entries {
            try Data(entry.samplePayload).write(to: samples.appendingPathComponent("\(entry.type).v\(entry.schemaVersion).json"))
        }
        let process = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", Self.repoRoot.appendingPathComponent("Tools/validate-event-schemas.py").path, samples.path, Self.schemasDir.path,
            ], standardInput: .null, standardError: .standardOutput)
        let text = String(decoding: try process.communicate().stdout, as: UTF8.self)
        let terminationStatus = try process.wait().status
        #expect(terminationStatus == 0, "\(text)")
    }

    @Test(arguments: CatalogueCase.all)
    func schemaDeclaresTheSamePersonalData(_ row: CatalogueCase) throws {
        let entry = row.entry
        let url = Self.schemasDir.appendingPathComponent("\(entry.type).v\(entry.schemaVersion).schema.json")
        let schema = try JSONValue.parse(Array(try Data(contentsOf: url)))
        guard case .array(let declared)? = schema.resolve(pointer: "/x-cairn-personal-data") else {
            Issue.record("\(url.lastPathComponent) lacks x-cairn-personal-data")
            return
        }
        #expect(declared == entry.personalDataPaths.map(JSONValue.string))
        #expect(schema.resolve(pointer: "/$id") == .string("urn:cairn:schema:event:\(entry.type):v\(entry.schemaVersion)"))
    }

    /// The other direction: what the schema requires is exactly what the decoder requires, and
    /// the sample exercises every property the schema allows.
    @Test(arguments: CatalogueCase.all)
    func requiredFieldsAgree(_ row: CatalogueCase) throws {
        let entry = row.entry
        let url = Self.schemasDir.appendingPathComponent("\(entry.type).v\(entry.schemaVersion).schema.json")
        let schema = try JSONValue.parse(Array(try Data(contentsOf: url)))
        guard case .object(let properties)? = schema.resolve(pointer: "/properties"),
            case .array(let requiredList)? = schema.resolve(pointer: "/required"),
            case .object(let sample) = try JSONValue.parse(entry.samplePayload)
        else {
            Issue.record("\(url.lastPathComponent) has no properties/required")
            return
        }
        let required = Set(requiredList.compactMap { if case .string(let s) = $0 { s } else { nil } })
        if entry.isCurrent {
            // A person has no organization name (the schema says so with if/then); a lead detail
            // is either given a new value or cleared, so the sample clears the one it does not give.
            let exclusive: Set<String> =
                switch entry.type {
                case "customers.CustomerRegistered": ["organizationName"]
                case "sales.LeadUpdated": ["companyName"]
                default: []
                }
            #expect(Set(sample.keys).union(exclusive) == Set(properties.keys), "sample of \(entry.type) should fill every schema property")
        }
        for key in sample.keys {
            var reduced = sample
            reduced[key] = nil
            let bytes = JSONValue.object(reduced).serializedBytes
            let decodes = (try? EventCatalogue.decode(type: entry.type, schemaVersion: entry.schemaVersion, payload: bytes)) != nil
            #expect(
                decodes == !required.contains(key),
                "\(entry.type) v\(entry.schemaVersion): '\(key)' required by schema: \(required.contains(key)), decoder accepts it missing: \(decodes)"
            )
        }
    }

    @Test func validatorFailsOnDrift() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("cairn-drift-\(UUID().uuidString)")
        let samples = dir.appendingPathComponent("samples"), schemas = dir.appendingPathComponent("schemas")
        try fm.createDirectory(at: samples, withIntermediateDirectories: true)
        try fm.createDirectory(at: schemas, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        // A sample with an extra field, a sample with no schema, a schema with no sample.
        try Data(#"{"customerId":"c","tag":"x","extra":1}"#.utf8).write(
            to: samples.appendingPathComponent("customers.CustomerTagged.v1.json"))
        try Data(#"{"customerId":"c"}"#.utf8).write(to: samples.appendingPathComponent("customers.CustomerReopened.v1.json"))
        for name in ["customers.CustomerTagged.v1.schema.json", "customers.CustomerUntagged.v1.schema.json"] {
            try fm.copyItem(at: Self.schemasDir.appendingPathComponent(name), to: schemas.appendingPathComponent(name))
        }
        let process = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", Self.repoRoot.appendingPathComponent("Tools/validate-event-schemas.py").path, samples.path, schemas.path,
            ], standardInput: .null, standardError: .standardOutput)
        let text = String(decoding: try process.communicate().stdout, as: UTF8.self)
        let terminationStatus = try process.wait().status
        #expect(terminationStatus == 1)
        #expect(text.contains("extra"))
        #expect(text.contains("customers.CustomerReopened v1: no schema"))
        #expect(text.contains("schema has no event type"))
    }
}
