import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import Testing

@testable import CairnService

/// Everything personal the scenario records about Ada, in the forms it could leak in.
private let secrets = [
    "ada.lovelace@example.org", "ada.l@engines.example", "lead-ada@example.org", "+447700900777", "+447700900778", "lead-ada2@example.org",
    "Lovelace-Byron",
    "Difference engine retrofit notes", "Analytical engine jammed at startup", "Bernoulli numbers program",
]

/// A data directory with a log, its data keys and every read model, and the service over them.
private struct Deployment {
    let dir: String
    let log: EventLog
    let vault: PersonalDataVault
    let engine: ProjectionEngine
    let service: CairnService

    static func with(clock: ManualClock = ManualClock(), _ body: (Deployment) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-erasure-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventLog.Options()
        options.clock = clock
        let log = try EventLog(directory: dir + "/log", options: options)
        let vault = try testVault(dir)
        let engine = try ProjectionEngine(log: log, payloads: vault, directory: dir + "/projections", projectors: ReadModels.all)
        let deployment = Deployment(
            dir: dir, log: log, vault: vault, engine: engine,
            service: CairnService(log: log, vault: vault, projections: engine, clock: clock))
        do { try await body(deployment) } catch { Issue.record("\(error)") }
        await engine.close()
        vault.close()
        await log.close()
    }

    /// Ada (with a merged duplicate and a converted lead whose details were updated), her activity, a case and an
    /// opportunity; Grace beside her.
    func recordAda() async throws {
        try await service.execute(
            .register(
                .init(
                    customerId: "c_ada", kind: .person, personName: PersonName(given: "Ada", family: "Lovelace-Byron"),
                    emails: ["ada.lovelace@example.org"], phones: ["+447700900777"], ownerId: "u_sam", source: "web")), meta())
        try await service.execute(Fixture.registration("c_dup", email: "ada.l@engines.example"), meta())
        _ = try await service.mergeCustomer("c_dup", into: "c_ada", meta())
        try await service.execute(
            .capture(
                .init(leadId: "l_ada", source: "fair", personName: PersonName(given: "Ada", family: "L"), email: "lead-ada@example.org")),
            meta())
        try await service.execute(
            .update(.init(leadId: "l_ada", companyName: "Engines Consulting", email: "lead-ada2@example.org", phone: "+447700900778")),
            meta())
        _ = try await service.convertLead(
            LeadConversion(
                leadId: "l_ada", customer: .link(existingCustomerId: "c_ada"), opportunityId: "o_ada", opportunityName: "Retrofit",
                amount: Money("1000", "EUR")!, expectedCloseDate: CalendarDate(iso8601: "2026-06-30")!, ownerId: "u_sam"), meta())
        try await service.execute(
            .log(
                .init(
                    activityId: "a_ada", customerId: "c_ada", kind: .meeting, occurredAt: service.domainNow(),
                    participants: ["u_sam"], summary: "Difference engine retrofit notes")), meta())
        try await service.execute(
            .open(
                caseId: "k_ada", customerId: "c_ada", channel: .email, priority: .high, subject: "Analytical engine jammed at startup",
                description: "Bernoulli numbers program stops"), meta())
        try await service.execute(Fixture.registration("c_grace", email: "grace@example.org"), meta())
    }

    /// Every payload in the log as reads open it, one after another.
    func everyPayloadOpened() throws -> [UInt8] {
        var opened: [UInt8] = []
        var position: UInt64 = 1
        while position <= log.committedThrough {
            let page = try log.read(from: position, limit: 1000)
            for event in page.events { opened += try vault.payload(of: event) }
            position = page.next
        }
        return opened
    }

    /// That no file under the data directory holds any of `needles`, nor any file of a backup made now.
    func expectNoFileHolds(_ needles: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let leaks = try Self.leaks(under: dir, of: needles)
        #expect(leaks.isEmpty, "\(leaks)", sourceLocation: sourceLocation)
        let backup = dir + "-backup"
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try DataBackup.create(data: dir, into: backup, derived: DataDirectory.derivedFromLog, log: log)
        #expect(try Self.leaks(under: backup, of: needles).isEmpty, "the backup", sourceLocation: sourceLocation)
    }

    /// Files under `root` holding any of `needles`, as "file: needle".
    static func leaks(under root: String, of needles: [String]) throws -> [String] {
        var found: [String] = []
        for path in try FileManager.default.subpathsOfDirectory(atPath: root) {
            guard let bytes = FileManager.default.contents(atPath: root + "/" + path) else { continue }
            for needle in needles where bytes.range(of: Data(needle.utf8)) != nil { found.append("\(path): \(needle)") }
        }
        return found
    }
}

@Suite("Personal data: sealed per subject, erased by destroying keys, expired by retention")
struct ErasureTests {
    @Test("Personal fields are stored sealed and every other field in clear; reads, read models and exports open them")
    func sealedAtRest() async throws {
        try await Deployment.with { d in
            try await d.recordAda()
            #expect(try Deployment.leaks(under: d.dir + "/log", of: secrets).isEmpty, "the log holds plaintext")
            #expect(try !Deployment.leaks(under: d.dir + "/log", of: ["c_ada", "k_ada", "meeting"]).isEmpty, "ids and kinds stay in clear")
            let state = try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state
            #expect(state.emails.sorted() == ["ada.l@engines.example", "ada.lovelace@example.org"])
            #expect(state.personName?.family == "Lovelace-Byron")
            let view = try await d.service.query("customer-360", atLeast: d.log.committedThrough) { engine in
                try Customer360Query.customer(engine, id: "c_ada")
            }
            #expect(view?.emails.contains("ada.lovelace@example.org") == true)
            let timeline = try await d.service.query("customer-timeline", atLeast: d.log.committedThrough) { engine in
                try CustomerTimelineQuery.page(engine, customerId: "c_ada", limit: 100)
            }
            #expect(timeline?.entries.contains { $0.detail?.contains("Difference engine retrofit notes") == true } == true)
            let signer = try TreeHeadSigner.generate()
            let export = try await d.service.exportSubject("c_ada", signer: signer)
            #expect(export.json.range(of: Array("ada.lovelace@example.org".utf8)) != nil)
            let check = SubjectAccessExport.verify(export.json, publicKey: signer.publicKey)
            #expect(check.isIntact, "\(check.problems)")
            #expect(try await d.log.verify(full: true).isIntact)

            // The disclosed event keys must open the signed ciphertext to the text shown: a wrong one is caught offline.
            let text = String(decoding: export.json, as: UTF8.self)
            guard let keys = text.range(of: #""eventKeys":{"c_ada/customer/2026-04":""#) else {
                Issue.record("no disclosed event key")
                return
            }
            let wrongKey = String(repeating: "A", count: 43) + "="
            let altered = Array(
                text.replacingCharacters(in: keys.upperBound..<text.index(keys.upperBound, offsetBy: 44), with: wrongKey).utf8)
            let problems = SubjectAccessExport.verify(altered, publicKey: signer.publicKey).problems
            #expect(problems.contains { $0.contains("does not open with the disclosed key") }, "\(problems.prefix(3))")
        }
    }

    @Test("After erasure no read, read model, export, stream or later backup shows the data, no file holds it, and the log verifies")
    func erasure() async throws {
        try await Deployment.with { d in
            try await d.recordAda()
            let erased = try await d.service.forget("c_dup", requestId: "dsr-7", legalBasis: "GDPR Art. 17(1)(a)", meta(actor: "u_dpo"))
            // c_dup was merged into c_ada: the survivor is the person, so the request erases both.
            #expect(erased.events.map(\.type) == ["customers.PersonalDataErased"])
            _ = try await d.service.forget("c_ada", requestId: "dsr-7", legalBasis: "GDPR Art. 17(1)(a)", meta(actor: "u_dpo"))
            try await d.engine.waitUntil(position: d.log.committedThrough, timeout: .seconds(30))
            try await d.service.purgeReadModels()

            // The record of what was done stays: who, when, why; nothing personal.
            let record = try #require(try d.log.readStream("customer-c_ada", from: 1, limit: 100).last)
            #expect(record.type == "customers.PersonalDataErased" && record.actor == "u_dpo")
            #expect(String(decoding: record.payload, as: UTF8.self).contains("GDPR Art. 17(1)(a)"))

            // Reads: the domain state, every payload, both read models.
            let state = try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state
            #expect(state.erased && state.emails.isEmpty)
            let opened = try d.everyPayloadOpened()
            #expect(Deployment.contained(in: opened).isEmpty, "payloads still open to \(Deployment.contained(in: opened))")
            let view = try await d.service.query("customer-360", atLeast: d.log.committedThrough) { engine in
                try Customer360Query.customer(engine, id: "c_ada")
            }
            #expect(view?.emails.isEmpty == true && view?.status == .erased)
            let grace = try await d.service.query("customer-360") { engine in try Customer360Query.customer(engine, id: "c_grace") }
            #expect(grace?.emails == ["grace@example.org"], "another customer is untouched")

            // An export after the erasure verifies, and holds none of it.
            let signer = try TreeHeadSigner.generate()
            let export = try await d.service.exportSubject("c_ada", signer: signer)
            #expect(Deployment.contained(in: export.json).isEmpty)
            #expect(!export.html.contains("ada.lovelace@example.org"))
            let check = SubjectAccessExport.verify(export.json, publicKey: signer.publicKey)
            #expect(check.isIntact, "\(check.problems)")

            // The chain and the Merkle tree still verify: they cover the ciphertext.
            #expect(try await d.log.verify(full: true).isIntact)

            // No file under the data directory holds any of it; nor does a backup made now.
            try d.expectNoFileHolds(secrets)

            // The addresses are suppressed: kept only as keyed hashes, and a new capture is refused.
            #expect(try d.service.isSuppressed("Ada.Lovelace@example.org"))
            #expect(try d.service.isSuppressed("lead-ada@example.org"), "the address the lead's update replaced")
            #expect(try d.service.isSuppressed("lead-ada2@example.org") && d.service.isSuppressed("+447700900778"), "the lead's own")
            #expect(try d.service.isSuppressed("+447700900777"))
            #expect(try !d.service.isSuppressed("grace@example.org"))
            let again = await commandError {
                try await d.service.execute(.capture(.init(leadId: "l_again", source: "fair", email: "ada.lovelace@example.org")), meta())
            }
            #expect(again?.code == "contact.suppressed")
            // Erasing again is refused and changes nothing.
            let head = d.log.committedThrough
            let twice = await commandError {
                try await d.service.forget("c_ada", requestId: "dsr-8", legalBasis: "GDPR Art. 17(1)(a)", meta())
            }
            #expect(twice?.code == "customer.erased" && d.log.committedThrough == head)
        }
    }

    @Test("A lead that never became a customer is erased: no read or file shows its data, its addresses are suppressed, the log verifies")
    func leadErasure() async throws {
        let eve = ["eve.lead@example.org", "eve.new@example.org", "+447700900555", "Moneypenny-Quill", "Prefers calls after six"]
        try await Deployment.with { d in
            try await d.recordAda()
            try await d.service.execute(
                .capture(
                    .init(
                        leadId: "l_eve", source: "fair", campaignId: "m_fair", personName: PersonName(given: "Eve", family: "Moneypenny-Quill"),
                        email: "eve.lead@example.org", phone: "+447700900555")), meta())
            try await d.service.execute(.update(.init(leadId: "l_eve", email: "eve.new@example.org")), meta())
            try await d.service.execute(.qualify(leadId: "l_eve", note: "Prefers calls after six"), meta())
            try await d.service.execute(.capture(.init(leadId: "l_kit", source: "fair", companyName: "Kit Ltd", email: "kit@example.org")), meta())

            // A converted lead belongs to its customer now: refused, and nothing is destroyed.
            let head = d.log.committedThrough
            let converted = await commandError {
                try await d.service.forgetLead("l_ada", requestId: "dsr-10", legalBasis: "GDPR Art. 17(1)(a)", meta())
            }
            #expect(converted?.code == "lead.converted" && d.log.committedThrough == head)
            #expect(try d.service.load(LeadDecider.self, StreamName(.lead, "l_ada")).state.email == "lead-ada2@example.org")
            #expect(try !d.service.isSuppressed("lead-ada2@example.org"))
            let unknown = await commandError {
                try await d.service.forgetLead("l_nobody", requestId: "dsr-10", legalBasis: "GDPR Art. 17(1)(a)", meta())
            }
            #expect(unknown?.code == "lead.notFound" && d.log.committedThrough == head)

            let erased = try await d.service.forgetLead("l_eve", requestId: "dsr-11", legalBasis: "GDPR Art. 17(1)(a)", meta(actor: "u_dpo"))
            #expect(erased.events.map(\.type) == ["sales.LeadErased"])
            let record = try #require(try d.log.readStream("lead-l_eve", from: 1, limit: 100).last)
            #expect(record.type == "sales.LeadErased" && record.actor == "u_dpo")
            #expect(String(decoding: record.payload, as: UTF8.self).contains("dsr-11"))
            try await d.engine.waitUntil(position: d.log.committedThrough, timeout: .seconds(30))

            // No read opens it: the lead's state, any payload in the log.
            let lead = try d.service.load(LeadDecider.self, StreamName(.lead, "l_eve")).state
            #expect(lead.erased && lead.email == nil && lead.phone == nil && lead.personName == nil && lead.status == .qualified)
            let opened = try d.everyPayloadOpened()
            #expect(eve.filter { opened.range(of: Array($0.utf8)) != nil }.isEmpty, "payloads still open to it")
            #expect(opened.range(of: Array("kit@example.org".utf8)) != nil, "another lead is untouched")
            #expect(try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state.emails.count == 2, "and so are customers")
            // The funnel still counts the lead: erasure removes the person, not the fact of the lead.
            let funnel = try SalesPipelineQueries(d.engine).leadFunnel(by: .campaign)
            #expect(funnel.items.first { $0.key == "m_fair" }.map { [$0.captured, $0.qualified] } == [1, 1])

            // No file holds it, nor a backup made now; the log still verifies.
            try d.expectNoFileHolds(eve)
            #expect(try await d.log.verify(full: true).isIntact)

            // Every address it held is suppressed, the one its update replaced too; it takes no more commands.
            for address in ["Eve.Lead@example.org", "eve.new@example.org", "+447700900555"] {
                #expect(try d.service.isSuppressed(address), "\(address)")
            }
            #expect(try !d.service.isSuppressed("kit@example.org"))
            let after = d.log.committedThrough
            let recapture = await commandError {
                try await d.service.execute(.capture(.init(leadId: "l_eve2", source: "fair", email: "eve.new@example.org")), meta())
            }
            #expect(recapture?.code == "contact.suppressed")
            let qualify = await commandError { try await d.service.execute(.disqualify(leadId: "l_eve", reason: "gone"), meta()) }
            #expect(qualify?.code == "lead.erased")
            let twice = await commandError {
                try await d.service.forgetLead("l_eve", requestId: "dsr-12", legalBasis: "GDPR Art. 17(1)(a)", meta())
            }
            #expect(twice?.code == "lead.erased" && d.log.committedThrough == after)
        }
    }

    @Test("A lead update's personal details are sealed at rest; its company name and cleared details stay in clear")
    func leadUpdateSealed() async throws {
        try await Deployment.with { d in
            try await d.service.execute(
                .capture(
                    .init(
                        leadId: "l_grace", source: "fair", personName: PersonName(given: "Grace", family: "Hopper"),
                        companyName: "Cobol Inc",
                        email: "grace@cobol.example")), meta())
            try await d.service.execute(
                .update(
                    .init(
                        leadId: "l_grace", personName: PersonName(given: "Grace", family: "Brewster-Murray"), email: "g.bm@navy.example",
                        phone: "+12025550199", clear: [.companyName])), meta())
            let record = try #require(try d.log.readStream("lead-l_grace", from: 2, limit: 1).first)
            #expect(record.type == "sales.LeadUpdated")
            let stored = String(decoding: record.payload, as: UTF8.self)
            #expect(stored.hasPrefix(#"{"$sealed":{"data":""#), "not sealed: \(stored)")
            for member in ["email", "phone"] {
                #expect(stored.contains(#""\#(member)":"[erased]""#), "\(member) is not sealed: \(stored)")
            }
            #expect(stored.contains(#""personName":{"family":"[erased]","given":"[erased]"}"#), "personName is not sealed: \(stored)")
            #expect(stored.contains(#""cleared":["companyName"]"#) && stored.contains(#""leadId":"l_grace""#))
            let personal = ["Brewster-Murray", "g.bm@navy.example", "+12025550199"]
            #expect(try Deployment.leaks(under: d.dir + "/log", of: personal).isEmpty, "the log holds plaintext")
            // Reads open them.
            let lead = try d.service.load(LeadDecider.self, StreamName(.lead, "l_grace")).state
            #expect(lead.personName?.family == "Brewster-Murray" && lead.email == "g.bm@navy.example" && lead.phone == "+12025550199")
            #expect(lead.companyName == nil)
            #expect(try await d.log.verify(full: true).isIntact)
        }
    }

    @Test("A lead update or an imported lead row may not collect an erased person's address again")
    func leadUpdateSuppressed() async throws {
        try await Deployment.with { d in
            try await d.service.execute(Fixture.registration("c_gone", email: "gone@example.org"), meta())
            _ = try await d.service.forget("c_gone", requestId: "dsr-1", legalBasis: "GDPR Art. 17(1)(a)", meta())
            try await d.service.execute(
                .capture(.init(leadId: "l_1", source: "fair", companyName: "Acme", email: "new@example.org")), meta())
            let head = d.log.committedThrough
            for update in [
                LeadCommand.DetailChanges(leadId: "l_1", email: "Gone@Example.org"), .init(leadId: "l_1", phone: "+447700900123"),
            ] {
                let refused = await commandError { try await d.service.execute(.update(update), meta()) }
                #expect(refused?.code == "contact.suppressed", "\(update)")
            }
            let row = "id,company,email\nl_1,Acme,gone@example.org\n"
            let report = try await d.service.importCSV(path: try writeTemporaryFile(beside: d.service, row), as: .leads)
            #expect(report.errors.map(\.code) == ["contact.suppressed"])
            #expect(d.log.committedThrough == head)
            // Repeating the lead's own address beside a real change is no new collection.
            try await d.service.execute(.update(.init(leadId: "l_1", companyName: "Acme Ltd", email: "new@example.org")), meta())
            #expect(d.log.committedThrough == head + 1)
        }
    }

    @Test("A legal hold blocks erasure, changing nothing; once released, erasure proceeds")
    func legalHold() async throws {
        try await Deployment.with { d in
            try await d.recordAda()
            try await d.service.placeLegalHold("c_ada", holdId: "hold-1", matter: "Claim 2026-117", meta())
            #expect(try d.vault.keys.heldOwners() == ["c_ada"])
            let head = d.log.committedThrough
            let refused = await commandError {
                try await d.service.forget("c_ada", requestId: "dsr-9", legalBasis: "GDPR Art. 17(1)(a)", meta())
            }
            #expect(refused?.code == "customer.legalHold")
            #expect(d.log.committedThrough == head)
            #expect(try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state.emails.count == 2)
            #expect(try !d.service.isSuppressed("ada.lovelace@example.org"))
            // A hold on a customer that does not exist is refused and leaves no hold behind.
            let unknown = await commandError {
                try await d.service.placeLegalHold("c_nobody", holdId: "hold-2", matter: "Claim", meta())
            }
            #expect(unknown?.code == "customer.notFound")
            #expect(try d.vault.keys.heldOwners() == ["c_ada"])

            try await d.service.releaseLegalHold("c_ada", holdId: "hold-1", meta())
            #expect(try d.vault.keys.heldOwners().isEmpty)
            try await d.service.forget("c_ada", requestId: "dsr-9", legalBasis: "GDPR Art. 17(1)(a)", meta())
            #expect(try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state.erased)
            let timeline = try await d.service.query("customer-timeline", atLeast: d.log.committedThrough) { engine in
                try CustomerTimelineQuery.page(engine, customerId: "c_ada", filter: .init(kinds: [.legalHold]), limit: 100)
            }
            #expect(timeline?.entries.map(\.summary) == ["Legal hold hold-1 placed: Claim 2026-117", "Legal hold hold-1 released"])
        }
    }

    @Test("Retention erases a kind of data older than its months, keeps the rest and what legal holds cover, and records each run")
    func retention() async throws {
        let clock = ManualClock("2024-01-15T09:00:00Z")
        try await Deployment.with(clock: clock) { d in
            for id in ["c_ada", "c_held"] { try await d.service.execute(Fixture.registration(id), meta()) }
            func note(_ id: String, _ customer: String, _ text: String) async throws {
                try await d.service.execute(
                    .log(.init(activityId: id, customerId: customer, kind: .note, occurredAt: d.service.domainNow(), summary: text)), meta()
                )
            }
            try await note("a_old", "c_ada", "Old note about the engine")
            try await note("a_held", "c_held", "Held note about the claim")
            clock.advance(seconds: 86_400 * 800)  // about 26 months later: 2026-03
            try await note("a_new", "c_ada", "New note about the engine")
            try await d.service.placeLegalHold("c_held", holdId: "hold-1", matter: "Claim 2026-117", meta())

            let (_, applied) = try await d.service.applyRetention([try RetentionPolicy(parsing: "activity=24")], meta("run-1"))
            #expect(applied.policies == [.init(kind: "activity", months: 24, keepFrom: "2024-03", keysExpired: 1)])
            #expect(applied.heldCustomers == ["c_held"])

            func summary(_ activity: String) throws -> String? {
                let record = try #require(try d.log.readStream("activity-\(activity)", from: 1, limit: 1).first)
                guard
                    case .activity(.logged(let logged)) = try EventCatalogue.decode(
                        type: record.type, schemaVersion: Int(record.schemaVersion), payload: try d.vault.payload(of: record))
                else { return nil }
                return logged.summary
            }
            #expect(try summary("a_old") == EventCatalogue.erasedPlaceholder)
            #expect(try summary("a_new") == "New note about the engine")
            #expect(try summary("a_held") == "Held note about the claim")
            // The profile is another kind of data, under no policy: untouched.
            #expect(try d.service.load(CustomerDecider.self, StreamName(.customer, "c_ada")).state.emails == ["c_ada@example.com"])
            #expect(try Deployment.leaks(under: d.dir + "/keys", of: []).isEmpty)

            // Every run is recorded, also one that finds nothing left to do; a retried run is not run twice.
            let (_, second) = try await d.service.applyRetention([try RetentionPolicy(parsing: "activity=24")], meta("run-2"))
            #expect(second.policies.map(\.keysExpired) == [0])
            let (replay, replayed) = try await d.service.applyRetention([try RetentionPolicy(parsing: "activity=24")], meta("run-2"))
            #expect(replay.isReplay && replayed == second)
            let runs = try d.log.readStream("compliance-retention", from: 1, limit: 10)
            #expect(runs.map(\.type) == ["compliance.RetentionApplied", "compliance.RetentionApplied"])

            #expect(throws: CommandError.self) { try RetentionPolicy(parsing: "order=12") }
            #expect(throws: CommandError.self) { try RetentionPolicy(parsing: "activity=0") }
            #expect(throws: CommandError.self) { try RetentionPolicy(parsing: "activity") }
        }
    }
}

extension Deployment {
    /// Which of the secrets `bytes` contains.
    static func contained(in bytes: [UInt8]) -> [String] {
        secrets.filter { bytes.range(of: Array($0.utf8)) != nil }
    }
}

extension [UInt8] {
    fileprivate func range(of needle: [UInt8]) -> Range<Int>? {
        guard needle.count <= count, !needle.isEmpty else { return nil }
        for start in 0...(count - needle.count) where self[start] == needle[0] && Array(self[start..<(start + needle.count)]) == needle {
            return start..<(start + needle.count)
        }
        return nil
    }
}
