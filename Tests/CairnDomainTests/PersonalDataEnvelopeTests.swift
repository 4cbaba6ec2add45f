import Foundation
import Testing

@testable import CairnDomain

@Suite("Personal data envelope")
struct PersonalDataEnvelopeTests {
    /// A stand-in cipher for moving bytes: reversible and visibly different from its input.
    private static func scramble(_ bytes: [UInt8]) -> [UInt8] { bytes.reversed().map { $0 ^ 0x5a } }

    @Test(
        "Every catalogue sample seals and reveals back to its exact bytes, and shows exactly its redaction once erased",
        arguments: CatalogueCase.all)
    func sealRevealRedact(_ row: CatalogueCase) throws {
        let entry = row.entry
        var sealedNames: [String] = []
        let plan = PersonalDataEnvelope.plan(type: entry.type, schemaVersion: entry.schemaVersion)
        #expect(plan?.members.map { "/" + $0 } == (entry.personalDataPaths.isEmpty ? nil : entry.personalDataPaths))
        #expect(plan.map { $0.kind == entry.category.rawValue } ?? true)
        guard let plan else { return }
        let sealed = try PersonalDataEnvelope.seal(
            PersonalDataEnvelope.prepare(plan, payload: entry.samplePayload), keyId: .init("c_1/customer/2026-11")
        ) { name, json, ciphertext in
            sealedNames.append(name)
            ciphertext += Self.scramble(Array(json))
        }
        #expect(
            sealedNames.map { "/" + $0 }.sorted()
                == entry.personalDataPaths.sorted().filter { path in
                    guard case .object(let members) = try? JSONValue.parse(entry.samplePayload) else { return false }
                    return members[String(path.dropFirst())].map { $0 != .null } ?? false
                })
        #expect(sealedNames.isEmpty == (sealed == entry.samplePayload))
        _ = try JSONValue.parse(sealed)  // still one valid JSON object
        let revealed = try PersonalDataEnvelope.reveal(payload: sealed) { member in
            #expect(member.keyId == "c_1/customer/2026-11")
            return Self.scramble(member.ciphertext)
        }
        #expect(revealed == entry.samplePayload)
        let erased = try PersonalDataEnvelope.reveal(payload: sealed) { _ in nil }
        let redacted = try EventCatalogue.redact(type: entry.type, schemaVersion: entry.schemaVersion, payload: entry.samplePayload)
        #expect(try JSONValue.parse(erased) == JSONValue.parse(redacted))
    }

    @Test("Base64 matches Foundation's for every length, and decoding refuses what is not canonical padded base64")
    func base64() {
        var random = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var encoded: [UInt8] = Array("x".utf8)
            PersonalDataEnvelope.appendBase64(bytes, to: &encoded)
            #expect(String(decoding: encoded.dropFirst(), as: UTF8.self) == Data(bytes).base64EncodedString())
            #expect(Self.decode(String(decoding: encoded.dropFirst(), as: UTF8.self)) == bytes)
        }
        for bad in ["QQ", "QQ=", "Q===", "QR==", "QUI*", "QUJD\n", "=QUJ", "QU=D", "QUJDRA=", "é0=="] {
            #expect(Self.decode(bad) == nil, "\(bad)")
        }
        #expect(Self.decode("QQ==") == [0x41])
        #expect(Self.decode("QUI=") == [0x41, 0x42])
    }

    private static func decode(_ text: String) -> [UInt8]? {
        Array(text.utf8).withUnsafeBufferPointer { PersonalDataEnvelope.decodeBase64($0) }
    }
}
