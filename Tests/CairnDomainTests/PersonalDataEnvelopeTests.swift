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
        var sealedMembers: [String] = []
        let sealed = try PersonalDataEnvelope.seal(
            PersonalDataEnvelope.prepare(plan, payload: entry.samplePayload), keyId: .init("c_1/customer/2026-11")
        ) { name, json, ciphertext in
            sealedNames.append(name)
            guard case .object(let members) = try JSONValue.parse(Array(json)) else { throw PersonalDataEnvelope.Failure.malformed("") }
            sealedMembers = members.keys.map { "/" + $0 }.sorted()
            ciphertext += Self.scramble(Array(json))
        }
        // Every personal member present, sealed together, once.
        #expect(sealedNames.count <= 1 && sealedNames.allSatisfy { $0 == PersonalDataEnvelope.sealedMember })
        #expect(
            sealedMembers
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
        // Opened for decoding without splicing: the same events as decoding the revealed bytes.
        let (type, version) = (entry.type, entry.schemaVersion)
        let opened = try #require(try PersonalDataEnvelope.open(payload: sealed) { Self.scramble($0.ciphertext) })
        #expect(
            try EventCatalogue.decode(type: type, schemaVersion: version, source: opened)
                == EventCatalogue.decode(type: type, schemaVersion: version, payload: revealed))
        let openedErased = try #require(try PersonalDataEnvelope.open(payload: sealed) { _ in nil })
        #expect(
            try EventCatalogue.decode(type: type, schemaVersion: version, source: openedErased)
                == EventCatalogue.decode(type: type, schemaVersion: version, payload: erased))
        // At rest the payload is the redaction plus the sealed member.
        if !sealedNames.isEmpty, case .object(var members) = try JSONValue.parse(sealed) {
            #expect(members.removeValue(forKey: PersonalDataEnvelope.sealedMember) != nil)
            #expect(JSONValue.object(members) == (try JSONValue.parse(redacted)))
        }
    }

    @Test("Payloads sealed member by member, as before 2026-12-06, open and erase the same way")
    func memberByMemberForm() throws {
        func sealedMember(_ json: String, erased: String? = nil) -> String {
            var base64: [UInt8] = []
            PersonalDataEnvelope.appendBase64(Self.scramble(Array(json.utf8)), to: &base64)
            return #"{"$sealed":"\#(String(decoding: base64, as: UTF8.self))","# + (erased.map { #""erased":\#($0),"# } ?? "")
                + #""key":"c_1/customer/2026-11"}"#
        }
        let stored = Array(
            (#"{"address":"# + sealedMember(#"{"city":"Berlin"}"#, erased: #"{"city":"[erased]"}"#) + #","email":"#
                + sealedMember(#""ada@example.org""#) + #","leadId":"l_1","tags":{"a":1}}"#).utf8)
        var names: [String] = []
        let opened = try PersonalDataEnvelope.reveal(payload: stored) { sealed in
            names.append(sealed.name)
            #expect(sealed.keyId == "c_1/customer/2026-11")
            return Self.scramble(sealed.ciphertext)
        }
        #expect(names == ["address", "email"])
        #expect(
            String(decoding: opened, as: UTF8.self)
                == #"{"address":{"city":"Berlin"},"email":"ada@example.org","leadId":"l_1","tags":{"a":1}}"#)
        let erased = try PersonalDataEnvelope.reveal(payload: stored) { _ in nil }
        #expect(
            String(decoding: erased, as: UTF8.self) == #"{"address":{"city":"[erased]"},"email":"[erased]","leadId":"l_1","tags":{"a":1}}"#)
        // Decoding leaves this form to `reveal`.
        #expect(try PersonalDataEnvelope.open(payload: stored) { Self.scramble($0.ciphertext) } == nil)
    }

    @Test("A sealed object that is malformed, or names a member the payload lacks, is refused")
    func malformedSealedObject() throws {
        var base64: [UInt8] = []
        PersonalDataEnvelope.appendBase64(Self.scramble(Array(#"{"phone":"+4930"}"#.utf8)), to: &base64)
        let data = String(decoding: base64, as: UTF8.self)
        for payload in [
            #"{"$sealed":{"data":"\#(data)","key":"k/s/2026-11"},"email":"[erased]"}"#,  // no place for phone
            #"{"$sealed":{"data":"\#(data)"},"phone":"[erased]"}"#,  // no key
            #"{"$sealed":{"key":"k/s/2026-11"},"phone":"[erased]"}"#,  // no ciphertext
            #"{"$sealed":{"data":"not base64!","key":"k/s/2026-11"},"phone":"[erased]"}"#,
        ] {
            #expect(throws: PersonalDataEnvelope.Failure.self, "\(payload)") {
                try PersonalDataEnvelope.reveal(payload: Array(payload.utf8)) { Self.scramble($0.ciphertext) }
            }
            #expect(throws: PersonalDataEnvelope.Failure.self, "\(payload)") {
                try PersonalDataEnvelope.open(payload: Array(payload.utf8)) { Self.scramble($0.ciphertext) }
            }
        }
    }

    @Test("An object's placeholder lists its keys in byte order, however the payload wrote them, and reused buffers change nothing")
    func objectPlaceholders() throws {
        let plan = try #require(PersonalDataEnvelope.plan(type: "customers.AddressAdded", schemaVersion: 1))
        func sealed(_ address: String, _ scratch: inout PersonalDataEnvelope.Scratch) throws -> String {
            let payload = Array(#"{"address":\#(address),"customerId":"c_1"}"#.utf8)
            let bytes = try PersonalDataEnvelope.seal(
                PersonalDataEnvelope.prepare(plan, payload: payload), keyId: .init("c_1/customer/2026-11"), scratch: &scratch
            ) { _, json, ciphertext in ciphertext += Self.scramble(Array(json)) }
            // What stays in clear, after the sealed member.
            let text = String(decoding: bytes, as: UTF8.self)
            return String(text[try #require(text.range(of: #"},"address""#)).upperBound...])
        }
        var scratch = PersonalDataEnvelope.Scratch()
        let cases: [(address: String, clear: String)] = [
            // As the domain writes it: copied in place.
            (
                #"{"city":"Berlin","lines":["a"],"postalCode":"10115"}"#,
                #":{"city":"[erased]","lines":[],"postalCode":"[erased]"},"customerId":"c_1"}"#
            ),
            // Out of order, and a key written with an escape: sorted, and written plainly.
            (
                #"{"postalCode":"10115","c\u0069ty":"Berlin","lines":["a"]}"#,
                #":{"city":"[erased]","lines":[],"postalCode":"[erased]"},"customerId":"c_1"}"#
            ),
            // Nested objects and typed values keep their shapes.
            (
                #"{"geo":{"lon":13.4,"lat":52.5},"note":{"type":"string","value":"x"}}"#,
                #":{"geo":{"lat":0,"lon":0},"note":{"type":"string","value":"[erased]"}},"customerId":"c_1"}"#
            ),
        ]
        for (address, clear) in cases {
            #expect(try sealed(address, &scratch) == clear)
            var fresh = PersonalDataEnvelope.Scratch()
            #expect(try sealed(address, &fresh) == clear)
        }
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
