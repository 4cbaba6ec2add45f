import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

@testable import CairnService

@Suite("Subject access export")
struct SubjectAccessExportTests {
    /// A customer with a merged duplicate, consents, activity and an order, among others.
    static func history(_ service: CairnService) async throws {
        try await service.execute(Fixture.registration("c_ada", email: "ada@example.org"), meta())
        try await service.execute(Fixture.registration("c_dup", email: "ada.l@example.org"), meta())
        try await service.execute(Fixture.registration("c_other"), meta())
        try await service.execute(Fixture.marketingConsent("c_ada"), meta())
        try await service.execute(.tag(customerId: "c_dup", tag: "met-at-conference"), meta())
        try await service.execute(.tag(customerId: "c_other", tag: "unrelated"), meta())
        _ = try await service.mergeCustomer("c_dup", into: "c_ada", meta(actor: "u_compliance"))
        try await service.execute(
            .withdrawConsent(customerId: "c_ada", channel: .email, purpose: .marketing, source: "email-footer", at: nil), meta())
    }

    static func withExport(_ body: (SubjectAccessExport, TreeHeadSigner, CairnService) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir + "/log")
        let vault = try testVault(dir)
        defer { vault.close() }
        let engine = try ProjectionEngine(log: log, payloads: vault, directory: dir + "/projections", projectors: ReadModels.all)
        let service = CairnService(log: log, vault: vault, projections: engine)
        do {
            try await history(service)
            let signer = try TreeHeadSigner.generate()
            let export = try await service.exportSubject("c_dup", signer: signer)
            try await body(export, signer, service)
        } catch {
            Issue.record("\(error)")
        }
        await engine.close()
        await log.close()
    }

    @Test("Everything about the customer and its merged duplicate, nothing about others, and it verifies offline")
    func completeAndVerifiable() async throws {
        try await Self.withExport { export, signer, service in
            guard case .object(let root) = export.document else {
                Issue.record("not an object")
                return
            }
            #expect(root["customerId"] == .string("c_ada"))
            #expect(root["requestedId"] == .string("c_dup"))
            #expect(root["memberIds"] == .array([.string("c_ada"), .string("c_dup")]))
            guard case .array(let records)? = root["records"] else {
                Issue.record("no records")
                return
            }
            let subjects = records.compactMap { record -> String? in
                if case .object(let fields) = record, case .string(let subject)? = fields["subject"] { subject } else { nil }
            }
            #expect(Set(subjects) == ["c_ada", "c_dup"])
            let expected = try service.log.positions(subject: "c_ada").count + service.log.positions(subject: "c_dup").count
            #expect(records.count == expected)
            #expect(export.recordCount == expected)
            guard case .array(let consents)? = root["consentHistory"] else {
                Issue.record("no consent history")
                return
            }
            #expect(consents.count == 2)
            guard case .array(let timeline)? = root["timeline"] else {
                Issue.record("no timeline")
                return
            }
            #expect(timeline.count == expected)
            guard case .object(let profile)? = root["profile"] else {
                Issue.record("no profile")
                return
            }
            #expect(profile["absorbedDuplicates"] == .array([.string("c_dup")]))
            #expect(export.html.contains("<h2>Timeline</h2>"))
            #expect(export.html.contains("ada@example.org"))

            let check = SubjectAccessExport.verify(export.json, publicKey: signer.publicKey)
            #expect(check.isIntact, "\(check.problems)")
            #expect(check.recordsChecked == expected)
            #expect(!check.usedEmbeddedKey)
            #expect(try service.log.latestSignedTreeHead()?.treeSize == check.treeSize)
        }
    }

    @Test("Changing one byte anywhere that matters fails the offline check, which says where")
    func tampering() async throws {
        try await Self.withExport { export, signer, _ in
            let text = String(decoding: export.json, as: UTF8.self)
            func check(_ altered: String, key: [UInt8]? = nil) -> ExportCheck {
                SubjectAccessExport.verify(Array(altered.utf8), publicKey: key ?? signer.publicKey)
            }
            // The shown payload: an e-mail address changed by one character.
            let shown = check(text.replacingOccurrences(of: "ada.l@example.org", with: "adb.l@example.org"))
            #expect(shown.problems.contains { $0.contains("position") && $0.contains("payload shown differs") }, "\(shown.problems)")
            // The canonical bytes: one base64 character.
            guard let start = text.range(of: #""canonical":""#) else {
                Issue.record("no canonical")
                return
            }
            var bytes = Array(text.utf8)
            let at = text.utf8.distance(from: text.utf8.startIndex, to: start.upperBound) + 40
            bytes[at] = bytes[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let canonical = SubjectAccessExport.verify(bytes, publicKey: signer.publicKey)
            #expect(canonical.problems.first?.contains("do not hash to the record's hash") == true, "\(canonical.problems)")
            // The profile, which is refolded from the proven records of the customer's stream.
            if let owner = text.range(of: #""ownerId":"u_sam""#) {
                let profile = check(text.replacingCharacters(in: owner, with: #""ownerId":"u_eve""#))
                #expect(profile.problems == ["profile: differs from the customer's proven records"])
            } else {
                Issue.record("no owner in the profile")
            }
            // The signed tree head's size, and a key that is not the log's.
            #expect(!check(text.replacingOccurrences(of: #""treeSize":"#, with: #""treeSize":1"#)).isIntact)
            let wrongKey = check(text, key: try TreeHeadSigner.generate().publicKey)
            #expect(wrongKey.problems == ["treeHead: the signature does not verify with the given public key"])
            // A proof element.
            guard let proof = text.range(of: #""proof":[""#) else {
                Issue.record("no proof")
                return
            }
            var proofBytes = Array(text.utf8)
            let p = text.utf8.distance(from: text.utf8.startIndex, to: proof.upperBound)
            proofBytes[p] = proofBytes[p] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            let proofCheck = SubjectAccessExport.verify(proofBytes, publicKey: signer.publicKey)
            #expect(proofCheck.problems.contains { $0.contains("inclusion proof does not tie") }, "\(proofCheck.problems)")
        }
    }

    @Test("As of a position or a time: only what was recorded by then, the profile as it stood, and it still verifies")
    func asOf() async throws {
        try await Self.withExport { now, signer, service in
            // Once Ada's consent was granted: before the merge and the withdrawal.
            let granted = try service.log.positions(subject: "c_ada")[1]
            let grantedAt = try #require(try service.log.event(at: granted)).recordedAt
            let expected = try (service.log.positions(subject: "c_ada") + service.log.positions(subject: "c_dup")).filter { $0 <= granted }
            #expect(expected.count < now.recordCount)
            for point in [AsOfPoint.position(granted), .time(grantedAt)] {
                let export = try await service.exportSubject("c_dup", asOf: point, signer: signer)
                guard case .object(let root) = export.document, case .array(let records)? = root["records"],
                    case .array(let timeline)? = root["timeline"], case .object(let profile)? = root["profile"]
                else {
                    Issue.record("not an export")
                    return
                }
                let positions = records.compactMap { record -> UInt64? in
                    if case .object(let fields) = record, case .number(let position)? = fields["position"] { UInt64(position) } else { nil }
                }
                #expect(positions == expected.sorted())
                #expect(timeline.count == expected.count)
                #expect(profile["absorbedDuplicates"] == .array([]))
                #expect(profile["status"] == .string("active"))
                guard case .array(let consents)? = profile["consents"], case .object(let consent)? = consents.first else {
                    Issue.record("no consent as of the grant")
                    return
                }
                #expect(consent["granted"] == .bool(true))
                switch point {
                case .position: #expect(root["asOf"] == .object(["position": .number(Double(granted))]))
                case .time: #expect(root["asOf"] == .object(["time": .string(grantedAt.rfc3339)]))
                }
                #expect(export.html.contains("As of"))
                let check = SubjectAccessExport.verify(export.json, publicKey: signer.publicKey)
                #expect(check.isIntact, "\(check.problems)")
                #expect(check.recordsChecked == expected.count)

                let folded = try #require(try service.customer("c_ada", asOf: point))
                #expect(folded.position == granted)
                #expect(folded.state.profileJSON == .object(profile))
            }
            #expect(try service.customer("c_nobody", asOf: .position(granted)) == nil)
            let before = try #require(try service.customer("c_ada", asOf: .position(0)))
            #expect(before.version == 0 && !before.state.exists)
        }
    }

    @Test("A customer who was a lead first: the lead's records, which name no customer, are exported and proven too")
    func convertedLead() async throws {
        _ = try await withService { service, _ in
            try await service.execute(Fixture.registration("c_ada", email: "ada@example.org"), meta())
            try await service.execute(
                .capture(
                    .init(
                        leadId: "l_ada", source: "fair", personName: PersonName(given: "Ada", family: "Fairgoer"),
                        email: "ada.fair@example.org")), meta())
            try await service.execute(.update(.init(leadId: "l_ada", phone: "+447700900321")), meta())
            try await service.execute(.capture(.init(leadId: "l_other", source: "fair", companyName: "Other", email: "o@example.org")), meta())
            _ = try await service.convertLead(
                LeadConversion(
                    leadId: "l_ada", customer: .link(existingCustomerId: "c_ada"), opportunityId: "o_ada", opportunityName: "Deal",
                    amount: Money("10", "EUR")!, expectedCloseDate: CalendarDate(iso8601: "2026-06-30")!, ownerId: "u_sam"), meta())
            let signer = try TreeHeadSigner.generate()
            let export = try await service.exportSubject("c_ada", signer: signer)
            guard case .object(let root) = export.document, case .array(let records)? = root["records"] else {
                Issue.record("no records")
                return
            }
            #expect(root["leadIds"] == .array([.string("l_ada")]))
            let streams = records.compactMap { record -> String? in
                if case .object(let fields) = record, case .string(let stream)? = fields["stream"] { stream } else { nil }
            }
            #expect(streams.filter { $0 == "lead-l_ada" }.count == 3, "captured, updated, converted: \(streams)")
            #expect(!streams.contains("lead-l_other"))
            let text = String(decoding: export.json, as: UTF8.self)
            #expect(text.contains("ada.fair@example.org") && text.contains("+447700900321"), "the lead's details, opened")
            #expect(export.html.contains("converted leads: l_ada"))
            let check = SubjectAccessExport.verify(export.json, publicKey: signer.publicKey)
            #expect(check.isIntact && check.recordsChecked == records.count, "\(check.problems)")

            // A record that names no customer belongs in the export only as a listed lead's.
            var unlisted = root
            unlisted["leadIds"] = .array([])
            let problems = SubjectAccessExport.verify(JSONValue.object(unlisted).serializedBytes, publicKey: signer.publicKey).problems
            #expect(problems.count == 2 && problems.allSatisfy { $0.contains("names no subject") }, "\(problems)")
        }
    }

    @Test("An unknown customer is not exported")
    func unknown() async throws {
        _ = try await withService { service, _ in
            await #expect(throws: ExportError.self) {
                _ = try await service.exportSubject("c_nobody", signer: try TreeHeadSigner.generate())
            }
        }
    }
}

@Suite("Tree heads on a schedule")
struct TreeHeadNotaryTests {
    @Test("The notary signs when the log has grown and not otherwise; each new head extends the last")
    func signsWhenGrown() async throws {
        _ = try await withService { service, _ in
            let signer = try TreeHeadSigner.generate()
            let notary = TreeHeadNotary(log: service.log, signer: signer)
            #expect(try await notary.signIfGrown()?.treeSize == 0)
            #expect(try await notary.signIfGrown() == nil)
            try await service.execute(Fixture.registration("c_1"), meta())
            let first = try #require(try await notary.signIfGrown())
            #expect(first.treeSize == 1 && first.verify(publicKey: signer.publicKey))
            #expect(try await notary.signIfGrown() == nil)
            try await service.execute(.tag(customerId: "c_1", tag: "vip"), meta())
            // run() with an injected sleep that ends the loop after the first round.
            await notary.run(interval: .seconds(60)) { _ in throw CancellationError() }
            let second = try #require(try service.log.latestSignedTreeHead())
            #expect(second.treeSize == 2)
            #expect(await notary.lastFailure == nil)
            #expect(
                try service.log.consistencyProof(from: first.treeSize, to: second.treeSize).verify(
                    firstRoot: first.rootHash, secondRoot: second.rootHash))
        }
    }
}
