import Testing

@testable import CairnDomain

@Suite("Event codec")
struct EventCodecTests {
    @Test(arguments: CatalogueCase.current)
    func roundTrip(_ row: CatalogueCase) throws {
        let entry = row.entry
        let encoded = entry.sample.encoded()
        #expect(encoded.type == entry.type)
        #expect(encoded.schemaVersion == entry.schemaVersion)
        #expect(encoded.payload == entry.samplePayload)
        let decoded = try EventCatalogue.decode(encoded)
        #expect(decoded == entry.sample)
        // Re-encoding is byte-identical: payloads are deterministic.
        #expect(decoded.encoded() == encoded)
    }

    @Test(arguments: CatalogueCase.all)
    func personalDataPathsResolveInTheSample(_ row: CatalogueCase) throws {
        let entry = row.entry
        let payload = try JSONValue.parse(entry.samplePayload)
        for path in entry.personalDataPaths {
            #expect(payload.resolve(pointer: path) != nil, "\(entry.type) v\(entry.schemaVersion): \(path) not in sample")
        }
    }

    @Test(arguments: CatalogueCase.current)
    func customerEventsNameTheirSubject(_ row: CatalogueCase) throws {
        let entry = row.entry
        let payload = try JSONValue.parse(entry.samplePayload)
        if case .string(let customerId)? = payload.resolve(pointer: "/customerId") {
            #expect(entry.sample.subject == customerId, "\(entry.type)")
        } else {
            #expect(entry.sample.subject == nil, "\(entry.type)")
        }
    }

    @Test func catalogueCoversEveryEventCaseOnce() {
        let keys = EventCatalogue.entries.map { "\($0.type)@\($0.schemaVersion)" }
        #expect(Set(keys).count == keys.count)
        #expect(EventCatalogue.entries.filter(\.isCurrent).count == 69)
        #expect(EventCatalogue.entries.count == 70)
        for entry in EventCatalogue.entries {
            #expect(entry.type.split(separator: ".").count == 2)
            #expect(["customers", "sales", "marketing", "service", "compliance"].contains(String(entry.type.split(separator: ".")[0])))
        }
    }

    @Test func activityLoggedV1IsUpcastToV2() throws {
        // Literal bytes as stored by schema version 1 (duration in minutes).
        let stored = Array(
            #"{"activityId":"a_7","customerId":"c_9","kind":"call","direction":"outbound","channel":"phone","occurredAt":"2025-10-01T08:30:00.000Z","durationMinutes":3,"participants":[]}"#
                .utf8)
        let event = try EventCatalogue.decode(type: "sales.ActivityLogged", schemaVersion: 1, payload: stored)
        let expected = ActivityEvent.logged(
            .init(
                activityId: "a_7", customerId: "c_9", kind: .call, direction: .outbound, channel: .phone,
                occurredAt: at("2025-10-01T08:30:00.000Z"), durationSeconds: 180))
        #expect(event == .activity(expected))
        // Re-encoding writes the current version.
        let reencoded = event.encoded()
        #expect(reencoded.schemaVersion == 2)
        #expect(String(decoding: reencoded.payload, as: UTF8.self).contains(#""durationSeconds":180"#))
        // A v2 payload with the v1 field is refused: versions are not mixed.
        expectDecodingFailure(.unexpectedField, path: "/durationMinutes") {
            try ActivityEvent.decode(type: "sales.ActivityLogged", schemaVersion: 2, payload: stored)
        }
    }

    @Test func decodingIsStrict() {
        let good = #"{"customerId":"c_1","tag":"vip"}"#
        expectDecodingFailure(.unknownEventType, path: "") {
            try EventCatalogue.decode(type: "customers.CustomerTeleported", schemaVersion: 1, payload: Array(good.utf8))
        }
        expectDecodingFailure(.unknownSchemaVersion, path: "") {
            try EventCatalogue.decode(type: "customers.CustomerTagged", schemaVersion: 2, payload: Array(good.utf8))
        }
        expectDecodingFailure(.unexpectedField, path: "/color") {
            try CustomerEvent.decode(
                type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(#"{"customerId":"c_1","tag":"vip","color":"red"}"#.utf8))
        }
        expectDecodingFailure(.missingField, path: "/tag") {
            try CustomerEvent.decode(type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(#"{"customerId":"c_1"}"#.utf8))
        }
        expectDecodingFailure(.wrongType(expected: "string"), path: "/tag") {
            try CustomerEvent.decode(
                type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(#"{"customerId":"c_1","tag":7}"#.utf8))
        }
        expectDecodingFailure(nil, path: "/channel") {
            try CustomerEvent.decode(
                type: "customers.CustomerUnsubscribed", schemaVersion: 1, payload: Array(#"{"customerId":"c_1","channel":"pigeon"}"#.utf8))
        }
        expectDecodingFailure(nil, path: "/grantedAt") {
            try CustomerEvent.decode(
                type: "customers.ConsentGranted", schemaVersion: 1,
                payload: Array(
                    #"{"customerId":"c","channel":"email","purpose":"marketing","legalBasis":"consent","source":"s","grantedAt":"yesterday"}"#
                        .utf8))
        }
        expectDecodingFailure(nil, path: "") {
            try CustomerEvent.decode(
                type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(#"{"customerId":"c_1","tag":"vip""#.utf8))
        }
        expectDecodingFailure(nil, path: "/amount/amount") {
            try OpportunityEvent.decode(
                type: "sales.OpportunityAmountChanged", schemaVersion: 1,
                payload: Array(#"{"opportunityId":"o","customerId":"c","amount":{"amount":"1e3","currency":"EUR"}}"#.utf8))
        }
        // Wrong aggregate for the type.
        expectDecodingFailure(.unknownEventType, path: "") {
            try LeadEvent.decode(type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(good.utf8))
        }
    }

    /// Payloads are decoded from a one-pass tape, not a tree: it must be exactly as strict, and
    /// read fields in any order, escaped or not.
    @Test func decodingFromTheTapeIsStrictAboutJSON() throws {
        func tagged(_ json: String) throws -> CustomerEvent {
            try CustomerEvent.decode(type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(json.utf8))
        }
        let expected = CustomerEvent.tagged(.init(customerId: "c_1", tag: "vïp\"\n"))
        #expect(try tagged(#"{"tag":"v\u00efp\"\n","customerId":"c_1"}"#) == expected)
        #expect(try tagged(#" { "customerId" : "c_1" , "t\u0061g" : "vïp\"\n" } "#) == expected)
        expectDecodingFailure(.malformedJSON("duplicate key \"tag\""), path: "") {
            try tagged(#"{"customerId":"c_1","tag":"vip","tag":"vip"}"#)
        }
        for bad in [#"{"customerId":"c_1","tag":"\x"}"#, #"{"customerId":"c_1","tag":"\ud800"}"#, #"{"customerId":"c_1","tag":"vip"} x"#] {
            expectDecodingFailure(nil, path: bad.hasSuffix("x") ? "" : "/tag") { try tagged(bad) }
        }
        var invalidUTF8 = Array(#"{"customerId":"c_1","tag":"v"#.utf8)
        invalidUTF8 += [0xC3, 0x28] + Array(#""}"#.utf8)
        expectDecodingFailure(nil, path: "/tag") {
            try CustomerEvent.decode(type: "customers.CustomerTagged", schemaVersion: 1, payload: invalidUTF8)
        }
        let activity = EventCatalogue.entries.first { $0.type == "sales.ActivityLogged" && $0.schemaVersion == 2 }!
        let sample = String(decoding: activity.samplePayload, as: UTF8.self)
        let duration = try #require(sample.firstRange(of: #/"durationSeconds":[0-9]+/#))
        var huge = sample
        huge.replaceSubrange(duration, with: #""durationSeconds":1e999"#)
        expectDecodingFailure(nil, path: "/durationSeconds") {
            try ActivityEvent.decode(type: "sales.ActivityLogged", schemaVersion: 2, payload: Array(huge.utf8))
        }
    }

    @Test func errorsCarryTypeAndVersion() {
        do {
            _ = try CustomerEvent.decode(type: "customers.CustomerTagged", schemaVersion: 1, payload: Array(#"{"customerId":"c_1"}"#.utf8))
            Issue.record("decoded")
        } catch {
            #expect(error.type == "customers.CustomerTagged")
            #expect(error.schemaVersion == 1)
        }
    }

    @Test func payloadBytesAreSortedAndCompact() {
        let event = CustomerEvent.consentGranted(
            .init(
                customerId: "c_1", channel: .sms, purpose: .service, legalBasis: .legitimateInterests,
                source: "call \"centre\"", grantedAt: at("2026-01-02T03:04:05.006Z")))
        #expect(
            String(decoding: event.encoded().payload, as: UTF8.self)
                == #"{"channel":"sms","customerId":"c_1","grantedAt":"2026-01-02T03:04:05.006Z","legalBasis":"legitimate_interests","purpose":"service","source":"call \"centre\""}"#
        )
        #expect(event.encoded().subject == "c_1")
    }
}

func expectDecodingFailure(
    _ reason: EventDecodingError.Reason?, path: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> some Any
) {
    do {
        let value = try body()
        Issue.record("decoded \(value)", sourceLocation: sourceLocation)
    } catch let error as EventDecodingError {
        if let reason { #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation) }
        #expect(error.path == path, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}

/// A catalogue entry as a test argument, named by type and version in test output.
struct CatalogueCase: Sendable, CustomTestStringConvertible {
    let entry: EventCatalogue.Entry
    var testDescription: String { "\(entry.type) v\(entry.schemaVersion)" }

    static let all = EventCatalogue.entries.map(CatalogueCase.init)
    static let current = all.filter(\.entry.isCurrent)
}

extension JSONValue {
    func resolve(pointer: String) -> JSONValue? {
        var current = self
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            switch current {
            case .object(let members): guard let next = members[key] else { return nil }; current = next
            case .array(let items): guard let i = Int(key), items.indices.contains(i) else { return nil }; current = items[i]
            default: return nil
            }
        }
        return current
    }
}

@Suite("Redaction")
struct RedactionTests {
    @Test(arguments: CatalogueCase.all)
    func redactedPayloadsStillDecodeAndHoldNoPersonalData(_ row: CatalogueCase) throws {
        let entry = row.entry
        let redacted = try EventCatalogue.redact(type: entry.type, schemaVersion: entry.schemaVersion, payload: entry.samplePayload)
        _ = try EventCatalogue.decode(type: entry.type, schemaVersion: entry.schemaVersion, payload: redacted)
        let original = try JSONValue.parse(entry.samplePayload)
        let after = try JSONValue.parse(redacted)
        for path in entry.personalDataPaths {
            for leaf in original.resolve(pointer: path)?.stringLeaves ?? [] where leaf.count > 3 && leaf != "string" {
                #expect(!after.serializedString.contains(leaf), "\(entry.type): '\(leaf)' survived redaction")
            }
        }
        // Nothing else changes.
        if case .object(let a) = original, case .object(let b) = after {
            for key in a.keys where !entry.personalDataPaths.contains("/\(key)") { #expect(a[key] == b[key]) }
        }
    }
}

extension JSONValue {
    var stringLeaves: [String] {
        switch self {
        case .string(let s): [s]
        case .array(let items): items.flatMap(\.stringLeaves)
        case .object(let members): members.values.flatMap(\.stringLeaves)
        default: []
        }
    }
}
