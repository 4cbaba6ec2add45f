import CairnDomain
import CairnStore
import Foundation
import Testing

@testable import CairnService

/// Writes `text` to a fresh file beside `service`'s log (so the test's directory removes it with
/// the log) — or, without a service, in a fresh directory the caller removes — and returns its path.
func writeTemporaryFile(beside service: CairnService? = nil, _ text: String, name: String = "input.csv") throws -> String {
    let root =
        service.map { URL(fileURLWithPath: $0.log.directory).deletingLastPathComponent().path }
        ?? FileManager.default.temporaryDirectory.path
    let dir = root + "/cairn-import-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("The streaming CSV reader")
struct CSVReaderTests {
    private func records(_ text: String) throws -> [CSVRecord] {
        let path = try writeTemporaryFile(text)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let reader = try CSVReader(path: path)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    @Test("Quoted fields with commas, doubled quotes and line breaks; CRLF; BOM; blank lines skipped")
    func rfc4180() throws {
        let text = "\u{FEFF}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,\"two\nlines\",\n3,,\"\"\n"
        let parsed = try records(text)
        #expect(
            parsed == [
                CSVRecord(line: 1, fields: ["a", "b", "c"]),
                CSVRecord(line: 2, fields: ["1", "x, y", "say \"hi\""]),
                CSVRecord(line: 4, fields: ["2", "two\nlines", ""]),
                CSVRecord(line: 6, fields: ["3", "", ""]),
            ])
    }

    @Test("A last record without a line break is read; an unclosed quote is an error naming its line")
    func endOfFile() throws {
        #expect(try records("a,b\n1,2") == [CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["1", "2"])])
        #expect(throws: CSVError(line: 2, message: "a quoted field is not closed before the end of the file")) {
            try records("a,b\n1,\"open\nstill open")
        }
    }

    @Test("Records spanning the reader's 1 MiB chunks come out whole")
    func chunkBoundaries() throws {
        let long = String(repeating: "x", count: 700_000)
        let parsed = try records("k,v\n1,\"\(long)\"\n2,\"\(long)\"\"\(long)\"\n")
        #expect(parsed.count == 3)
        #expect(parsed[1].fields[1].count == 700_000)
        #expect(parsed[2].fields[1].count == 1_400_001)
    }
}

@Suite("CSV import through the service")
struct CSVImportTests {
    static let customers = """
        CustomerID,CompanyName,Contact,E-mail,Phone,City,Country
        ALFKI,Alfreds Futterkiste,,info@alfreds.example,+49300074321,Berlin,Germany
        ANATR,"Ana Trujillo, Emparedados",,ana@anatr.example,,México D.F.,Mexico
        BADEM,Bad Mail GmbH,,not-an-email,,,
        ALFKI,Alfreds again,,other@alfreds.example,,,

        """

    static let mapping = ColumnMapping(["externalId": "CustomerID", "name": "CompanyName", "email": "E-mail"])

    @Test("Rows become customers recorded by the import; bad and duplicate rows are reported with their lines")
    func importsCustomers() async throws {
        try await withService { service, _ in
            let file = try writeTemporaryFile(beside: service, Self.customers)
            let report = try await service.importCSV(path: file, as: .customers, mapping: Self.mapping)
            #expect(report.progress.rows == 4)
            #expect(report.progress.created == 2)
            #expect(report.progress.failed == 2)
            #expect(report.errors.map(\.line) == [4, 5])
            #expect(report.errors.map(\.code) == ["validation.failed", "import.duplicateKey"])
            #expect(report.errors[0].reason.contains("/emails/0"))

            let alfki = try service.load(CustomerDecider.self, StreamName(.customer, ImportIdentity.fromExternalId("ALFKI"))).state
            #expect(alfki.organizationName == "Alfreds Futterkiste")
            #expect(alfki.addresses.first?.country == "DE")
            #expect(alfki.source == "import")
            let events = try service.log.read(from: 1, limit: 100).events
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0.actor == "import" })
            // Each event names its row as the cause; its id is time-ordered (UUIDv7), so an
            // import appends to the end of the log's event-id index.
            #expect(events.map { $0.causationId?.split(separator: ":").last } == ["2", "3"])
            #expect(events.allSatisfy { $0.id.uuid.6 >> 4 == 7 })
        }
    }

    @Test("A key seen on an earlier line is refused whichever batch each falls in, and always names the first line")
    func duplicatesAcrossBatches() async throws {
        try await withService { service, _ in
            let csv = """
                CustomerID,CompanyName,E-mail
                A1,First,a1@example.org
                B2,Second,b2@example.org
                A1,First again,a1b@example.org
                C3,Third,c3@example.org
                B2,Second again,b2b@example.org
                ,No id,noid@example.org
                ,No id either,noid@example.org
                A1,First a third time,a1c@example.org

                """
            var options = ImportOptions()
            options.batchSize = 2
            options.concurrency = 1
            let report = try await service.importCSV(
                path: try writeTemporaryFile(beside: service, csv), as: .customers, mapping: Self.mapping, options: options)
            #expect(report.errors.map(\.line) == [4, 6, 8, 9])
            #expect(report.errors.allSatisfy { $0.code == "import.duplicateKey" })
            // A row without an id is keyed by its email address (as a digest: the report names no address).
            let reasons = report.errors.map(\.reason)
            #expect(reasons.count == 4 && reasons[2].hasPrefix("line 7 already imports e-") && !reasons[2].contains("noid"))
            #expect(reasons.indices.filter { $0 != 2 }.map { reasons[$0] } == [
                "line 2 already imports x-A1", "line 3 already imports x-B2", "line 2 already imports x-A1",
            ])
            #expect(report.progress.created == 4)
        }
    }

    @Test("A row keyed only by email updates the customer holding that address, however it was registered")
    func upsertByEmail() async throws {
        try await withService { service, _ in
            try await service.execute(Fixture.registration("c_grace", email: "grace@example.org"), meta())
            try await service.execute(Fixture.registration("c_twin1", email: "twin@example.org"), meta())
            try await service.execute(Fixture.registration("c_twin2", email: "twin@example.org"), meta())
            let text = """
                email,firstName,lastName,tags
                Grace@Example.org,Grace,Hopper,navy
                twin@example.org,Twin,One,
                new@example.org,New,Person,

                """
            let report = try await service.importCSV(path: try writeTemporaryFile(beside: service, text), as: .customers)
            #expect(report.progress.updated == 1 && report.progress.created == 1, "\(report.progress)")
            #expect(report.errors.map(\.code) == ["import.ambiguousEmail"])
            let grace = try service.load(CustomerDecider.self, StreamName(.customer, "c_grace")).state
            #expect(grace.personName == PersonName(given: "Grace", family: "Hopper") && grace.tags == ["navy"])
            #expect(try service.log.streamVersion("customer-" + ImportIdentity.fromEmail("grace@example.org")) == 0)
            #expect(try service.customers(withEmail: "GRACE@example.org") == ["c_grace"])
            #expect(try service.customers(withEmail: "new@example.org") == [ImportIdentity.fromEmail("new@example.org")])
            // A removed address no longer leads to its former holder.
            try await service.execute(.addEmail(customerId: "c_grace", email: "g.hopper@example.org"), meta())
            try await service.execute(.removeEmail(customerId: "c_grace", email: "grace@example.org"), meta())
            #expect(try service.customers(withEmail: "grace@example.org").isEmpty)
            #expect(try service.customers(withEmail: "g.hopper@example.org") == ["c_grace"])
        }
    }

    @Test("Importing the same file again changes nothing; a changed row becomes update commands")
    func upserts() async throws {
        try await withService { service, _ in
            let file = try writeTemporaryFile(beside: service, Self.customers)
            _ = try await service.importCSV(path: file, as: .customers, mapping: Self.mapping)
            let head = try service.log.head()
            let again = try await service.importCSV(path: file, as: .customers, mapping: Self.mapping)
            #expect(again.progress.unchanged == 2 && again.progress.events == 0)
            #expect(try service.log.head() == head)

            let changed = Self.customers.replacingOccurrences(of: "Alfreds Futterkiste,,info@", with: "Alfreds Futterkiste AG,,sales@")
            let update = try await service.importCSV(
                path: try writeTemporaryFile(beside: service, changed), as: .customers, mapping: Self.mapping)
            #expect(update.progress.updated == 1 && update.progress.unchanged == 1)
            let types = try service.log.read(from: head + 1, limit: 10).events.map(\.type)
            #expect(types == ["customers.CustomerProfileUpdated", "customers.EmailAdded"])
            let alfki = try service.load(CustomerDecider.self, StreamName(.customer, ImportIdentity.fromExternalId("ALFKI"))).state
            #expect(alfki.emails == ["info@alfreds.example", "sales@alfreds.example"])
        }
    }

    @Test("A dry run decides every row and writes nothing")
    func dryRun() async throws {
        try await withService { service, _ in
            let report = try await service.importCSV(
                path: try writeTemporaryFile(beside: service, Self.customers), as: .customers, mapping: Self.mapping,
                options: ImportOptions(dryRun: true))
            #expect(report.dryRun && report.progress.created == 2 && report.progress.failed == 2 && report.progress.events == 2)
            #expect(try service.log.head() == 0)
        }
    }

    @Test("A mapping that does not fit the file is refused before anything is written")
    func badMapping() async throws {
        try await withService { service, _ in
            let file = try writeTemporaryFile(beside: service, Self.customers)
            for mapping in [ColumnMapping(["email": "Mail"]), ColumnMapping(["colour": "City"])] {
                await #expect(throws: ImportError.self) { try await service.importCSV(path: file, as: .customers, mapping: mapping) }
            }
            #expect(try service.log.head() == 0)
            #expect(throws: ImportError.self) { try ColumnMapping(pairs: ["email"]) }
        }
    }

    @Test("Contacts link to their organization; orders, activities and cases need an existing customer")
    func otherKinds() async throws {
        try await withService { service, _ in
            _ = try await service.importCSV(
                path: try writeTemporaryFile(beside: service, Self.customers), as: .customers, mapping: Self.mapping)
            let contacts = try await service.importCSV(
                path: try writeTemporaryFile(
                    beside: service,
                    "email,fullName,organization,role\nmaria@alfreds.example,Maria Anders,ALFKI,Sales Representative\n"),
                as: .contacts)
            #expect(contacts.progress.created == 1, "\(contacts.errors)")
            let maria = try service.load(CustomerDecider.self, StreamName(.customer, ImportIdentity.fromEmail("maria@alfreds.example")))
                .state
            #expect(maria.personName == PersonName(given: "Maria", family: "Anders"))
            #expect(maria.organizations == [ImportIdentity.fromExternalId("ALFKI"): "Sales Representative"])

            let orders = try await service.importCSV(
                path: try writeTemporaryFile(
                    beside: service,
                    "OrderID,CustomerID,OrderDate,UnitPrice,Quantity\n10248,ALFKI,2026-03-01,14.5,12\n10249,NOSUCH,2026-03-01,1,1\n"),
                as: .orders, mapping: ColumnMapping(["externalId": "OrderID", "customer": "CustomerID", "date": "OrderDate"]),
                defaults: ImportDefaults(currency: "EUR"))
            #expect(orders.progress.created == 1)
            #expect(orders.errors.map(\.code) == ["customer.notFound"])
            let order = try service.load(OrderDecider.self, StreamName(.order, ImportIdentity.fromExternalId("10248"))).state
            #expect(order.recorded?.total == Decimal(174))

            let cases = try await service.importCSV(
                path: try writeTemporaryFile(
                    beside: service, "id,customer,subject,priority\nk1,ALFKI,Late delivery,high\nk2,ALFKI,Bad,extreme\n"),
                as: .cases)
            #expect(cases.progress.created == 1)
            #expect(cases.errors.map(\.code) == ["import.invalidValue"])
            let activities = try await service.importCSV(
                path: try writeTemporaryFile(
                    beside: service,
                    "id,customer,kind,occurredAt,summary\na1,ALFKI,call,2026-03-02T10:00:00Z,Called about the order\n"),
                as: .activities)
            #expect(activities.progress.created == 1, "\(activities.errors)")
        }
    }

    static let leads = """
        externalId,firstName,lastName,email,phone,company
        L1,Grace,Hopper,grace@cobol.example,+12025550143,Cobol Inc
        L2,Alan,Turing,alan@bletchley.example,,Bletchley Park
        L3,Ada,Lovelace,ada@engines.example,,

        """

    @Test(
        "A changed lead row records one LeadUpdated with only the new values; an unchanged row nothing; a converted lead's changed row is refused"
    )
    func leadUpserts() async throws {
        try await withService { service, _ in
            let first = try await service.importCSV(path: try writeTemporaryFile(beside: service, Self.leads), as: .leads)
            #expect(first.progress.created == 3 && first.progress.failed == 0, "\(first.errors)")
            let l1 = StreamName(.lead, ImportIdentity.fromExternalId("L1"))
            let l3 = ImportIdentity.fromExternalId("L3")
            _ = try await service.convertLead(
                LeadConversion(
                    leadId: l3, customer: .register(newCustomerId: "c_ada"), opportunityId: "o_ada", opportunityName: "Engines",
                    amount: Money("100", "EUR")!, expectedCloseDate: CalendarDate(iso8601: "2026-06-30")!, ownerId: "u_sam"), meta())
            let head = try service.log.head()

            let changed = Self.leads
                .replacingOccurrences(of: "+12025550143,Cobol Inc", with: "+12025550199,US Navy")
                .replacingOccurrences(of: "ada@engines.example,,", with: "ada@engines.example,,Analytical Engines")
            let second = try await service.importCSV(path: try writeTemporaryFile(beside: service, changed), as: .leads)
            #expect(second.progress.rows == 3 && second.progress.updated == 1 && second.progress.unchanged == 1, "\(second.progress)")
            #expect(second.progress.failed == 1 && second.progress.events == 1)
            // The converted lead's row is reported, with the domain's reason naming the customer to change instead.
            #expect(second.errors.map(\.line) == [4] && second.errors.map(\.code) == ["lead.converted"])
            #expect(second.errors.first?.reason.contains("c_ada") == true, "\(second.errors)")

            let written = try service.log.read(from: head + 1, limit: 10).events
            #expect(written.map(\.type) == ["sales.LeadUpdated"] && written.first?.stream == l1.description)
            let payload = try JSONValue.parse(try service.vault.payload(of: try #require(written.first)))
            #expect(
                payload
                    == .object([
                        "leadId": .string(l1.id), "phone": .string("+12025550199"), "companyName": .string("US Navy"),
                    ]))
            let lead = try service.load(LeadDecider.self, l1).state
            #expect(lead.phone == "+12025550199" && lead.companyName == "US Navy" && lead.email == "grace@cobol.example")
            #expect(try service.load(LeadDecider.self, StreamName(.lead, l3)).state.companyName == nil)

            // The same file again: every row is what the leads hold now, the converted one included.
            let head2 = try service.log.head()
            let unchanged = Self.leads.replacingOccurrences(of: "+12025550143,Cobol Inc", with: "+12025550199,US Navy")
            let third = try await service.importCSV(path: try writeTemporaryFile(beside: service, unchanged), as: .leads)
            #expect(third.progress.unchanged == 3 && third.progress.failed == 0, "\(third.progress) \(third.errors)")
            #expect(try service.log.head() == head2)
        }
    }

    @Test("A lead row keyed by email names the lead by that address: it updates the other details, never the address")
    func leadKeyedByEmail() async throws {
        try await withService { service, _ in
            let row = "email,fullName,company\nGrace@Example.org,Grace Hopper,\n"
            _ = try await service.importCSV(path: try writeTemporaryFile(beside: service, row), as: .leads)
            let stream = StreamName(.lead, ImportIdentity.fromEmail("grace@example.org"))
            #expect(try service.load(LeadDecider.self, stream).state.email == "grace@example.org")

            // Another case of the address is the same lead; the new company is the change.
            let renamed = "email,fullName,company\ngrace@EXAMPLE.org,Grace Hopper,US Navy\n"
            let update = try await service.importCSV(path: try writeTemporaryFile(beside: service, renamed), as: .leads)
            #expect(update.progress.updated == 1 && update.progress.events == 1, "\(update.progress) \(update.errors)")

            // The lead's address is changed through the API; the old file still names the same lead and leaves the address.
            try await service.execute(.update(.init(leadId: stream.id, email: "g.hopper@navy.example")), meta())
            let head = try service.log.head()
            let again = try await service.importCSV(path: try writeTemporaryFile(beside: service, renamed), as: .leads)
            #expect(again.progress.unchanged == 1, "\(again.progress) \(again.errors)")
            #expect(try service.log.head() == head)
            #expect(try service.load(LeadDecider.self, stream).state.email == "g.hopper@navy.example")
        }
    }

    @Test("A lead row keyed by email updates the lead holding the address, however it was captured; two holders are refused")
    func leadUpsertByEmail() async throws {
        try await withService { service, _ in
            let ada = PersonName(given: "Ada", family: "Lovelace")
            try await service.execute(.capture(.init(leadId: "l_web", source: "web", personName: ada, email: "Ada@Example.org")), meta())
            try await service.execute(.capture(.init(leadId: "l_twin1", source: "web", companyName: "Twins", email: "twin@example.org")), meta())
            try await service.execute(.capture(.init(leadId: "l_twin2", source: "fair", companyName: "Twins", email: "twin@example.org")), meta())
            #expect(try service.leads(withEmail: "ada@EXAMPLE.org") == ["l_web"])
            #expect(try service.leads(withEmail: "twin@example.org") == ["l_twin1", "l_twin2"])
            #expect(try service.customers(withEmail: "twin@example.org").isEmpty)

            let text = "email,fullName,company\nada@example.org,Ada Lovelace,Analytical Engines\ntwin@example.org,Twin,Twins\n"
            let report = try await service.importCSV(path: try writeTemporaryFile(beside: service, text), as: .leads)
            #expect(report.progress.updated == 1 && report.progress.created == 0 && report.progress.events == 1, "\(report.progress)")
            #expect(report.errors.map(\.code) == ["import.ambiguousEmail"])
            let lead = try service.load(LeadDecider.self, StreamName(.lead, "l_web")).state
            #expect(lead.companyName == "Analytical Engines" && lead.personName == ada && lead.source == "web")
            #expect(try service.log.streamVersion("lead-" + ImportIdentity.fromEmail("ada@example.org")) == 0)

            // An update moves the address: the new one finds the lead, the old one no longer does.
            try await service.execute(.update(.init(leadId: "l_web", email: "countess@example.org")), meta())
            #expect(try service.leads(withEmail: "ada@example.org").isEmpty)
            #expect(try service.leads(withEmail: "Countess@example.org") == ["l_web"])
            let again = try await service.importCSV(
                path: try writeTemporaryFile(beside: service, "email,company\ncountess@example.org,Analytical Engines\n"), as: .leads)
            #expect(again.progress.unchanged == 1, "\(again.progress) \(again.errors)")
        }
    }

    @Test("Northwind's customers, as the README imports them: national phone numbers take their row's country's calling code")
    func northwindCustomers() async throws {
        let file = try sharedDatasets() + "/northwind/Customers.csv"
        try await withService { service, _ in
            let mapping = ColumnMapping(["externalId": "CustomerID", "name": "CompanyName", "street": "Address"])
            let report = try await service.importCSV(path: file, as: .customers, mapping: mapping)
            #expect(report.progress.created == 91 && report.errors.isEmpty, "\(report.progress) \(report.errors.prefix(3))")
            func customer(_ northwindId: String) throws -> CustomerState {
                try service.load(CustomerDecider.self, StreamName(.customer, ImportIdentity.fromExternalId(northwindId))).state
            }
            #expect(try customer("ALFKI").phones == ["+49300074321"])  // Germany: 030-0074321, the trunk 0 dropped
            #expect(try customer("REGGC").phones == ["+390522556721"])  // Italy keeps its 0
            #expect(try customer("GREAL").phones == ["+15035557555"])  // USA: (503) 555-7555
            #expect(try customer("ANATR").phones == ["+5255554729"])  // Mexico: (5) 555-4729
            let horn = try customer("AROUT")  // "UK": GB's calling code and country code
            #expect(horn.phones == ["+441715557788"] && horn.addresses.map(\.country) == ["GB"])
            #expect(horn.addresses.first?.lines == ["120 Hanover Sq."] && horn.organizationName == "Around the Horn")
        }
    }

    @Test("Phone numbers as people write them become E.164")
    func phoneNumbers() {
        #expect(ImportValues.phone("+1 (503) 555-7555", callingCode: "+49") == "+15035557555")
        #expect(ImportValues.phone("0049 30 0074321", callingCode: nil) == "+49300074321")
        #expect(ImportValues.phone("1-503-555-7555", callingCode: "+1") == "+15035557555")
        #expect(ImportValues.phone("503.555.7555", callingCode: "+1") == "+15035557555")
        #expect(ImportValues.phone("06 1234 5678", callingCode: "+39") == "+390612345678")
        #expect(ImportValues.phone("555-4729", callingCode: nil) == "555-4729")  // left for the domain to refuse
        #expect(ImportValues.callingCode(ofCountry: "NO") == "+47" && ImportValues.callingCode(ofCountry: "ZZ") == nil)
        #expect(ImportValues.country("UK") == "GB" && ImportValues.country("Germany") == "DE" && ImportValues.country("de") == "DE")
        let defaults = ImportDefaults(callingCode: "+1", country: "France")
        #expect(defaults.callingCode(for: ImportRecord(line: 2, values: ["country": "Norway"])) == "+47")
        #expect(defaults.callingCode(for: ImportRecord(line: 2, values: [:])) == "+1")
        #expect(ImportDefaults(country: "France").callingCode(for: ImportRecord(line: 2, values: [:])) == "+33")
    }

    @Test("Many small batches in flight import every row once, and a second run finds them all unchanged")
    func concurrentBatches() async throws {
        try await withService { service, _ in
            var text = "externalId,firstName,lastName,email,tags\n"
            for n in 0..<600 { text += "P\(n),Ada,Lovelace \(n),ada\(n)@example.com,\(n % 2 == 0 ? "vip;beta" : "")\n" }
            let file = try writeTemporaryFile(beside: service, text)
            var options = ImportOptions()
            options.batchSize = 7
            options.concurrency = 6
            let first = try await service.importCSV(path: file, as: .customers, options: options)
            #expect(first.progress.created == 600 && first.progress.failed == 0)
            #expect(first.progress.events == 600 + 600)
            #expect(try service.log.head() == 1200)
            let second = try await service.importCSV(path: file, as: .customers, options: options)
            #expect(second.progress.unchanged == 600)
            #expect(try service.log.head() == 1200)
        }
    }
}
