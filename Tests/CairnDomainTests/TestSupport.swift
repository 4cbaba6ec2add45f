import Testing

@testable import CairnDomain

let now = Timestamp(rfc3339: "2026-04-01T12:00:00.000Z")!
let ctx = CommandContext(now: now, actor: "u_test")

func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }
func date(_ text: String) -> CalendarDate { CalendarDate(iso8601: text)! }
func money(_ amount: String, _ currency: String = "EUR") -> Money { Money(amount, currency)! }

/// What a decision should do: emit events of these types, or refuse with this code.
enum Expected: Sendable, CustomStringConvertible {
    case events([String])
    case rejected(String)

    var description: String {
        switch self {
        case .events(let types): "emits \(types)"
        case .rejected(let code): "rejects \(code)"
        }
    }
}

/// One row of a decider table: the history, the command, the expected outcome.
struct DeciderCase<D: Decider>: Sendable, CustomTestStringConvertible where D.Command: Sendable {
    let name: String
    let given: [D.Event]
    let command: D.Command
    let expected: Expected

    init(_ name: String, given: [D.Event] = [], _ command: D.Command, _ expected: Expected) {
        self.name = name
        self.given = given
        self.command = command
        self.expected = expected
    }

    var testDescription: String { "\(name) → \(expected)" }

    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        let state = D.fold(given)
        check(outcome: Result { try D.decide(command, state, ctx) }.map { $0.map(\.type) }, sourceLocation: sourceLocation)
    }

    func check(outcome: Result<[String], Rejection>, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (expected, outcome) {
        case (.events(let types), .success(let actual)):
            #expect(actual == types, "\(name)", sourceLocation: sourceLocation)
        case (.rejected(let code), .failure(let rejection)):
            #expect(rejection.code == code, "\(name): \(rejection)", sourceLocation: sourceLocation)
        case (.events, .failure(let rejection)):
            Issue.record("\(name): unexpected rejection \(rejection)", sourceLocation: sourceLocation)
        case (.rejected(let code), .success(let actual)):
            Issue.record("\(name): expected \(code) but got \(actual)", sourceLocation: sourceLocation)
        }
    }
}

/// A decider row for a decision that also reads the customer's state (`decideRecord`,
/// `decideSchedule`, …): `customer` is the customer's history.
struct CustomerCheckedCase<D: Decider>: Sendable, CustomTestStringConvertible where D.Command: Sendable {
    let row: DeciderCase<D>
    let customer: [CustomerEvent]

    init(_ name: String, customer: [CustomerEvent], given: [D.Event] = [], _ command: D.Command, _ expected: Expected) {
        row = DeciderCase(name, given: given, command, expected)
        self.customer = customer
    }

    var testDescription: String { row.testDescription }

    func check(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ decide: (D.Command, D.State, CustomerState) throws(Rejection) -> [D.Event]
    ) {
        let outcome = Result { try decide(row.command, D.fold(row.given), CustomerDecider.fold(customer)) }
        row.check(outcome: outcome.map { $0.map(\.type) }, sourceLocation: sourceLocation)
    }
}

extension Result where Failure == Rejection {
    init(_ body: () throws -> Success) {
        do { self = .success(try body()) } catch let error as Rejection { self = .failure(error) } catch {
            fatalError("deciders only throw Rejection, got \(error)")
        }
    }
}

/// Expects `body` to throw a rejection with `code` and returns it.
@discardableResult
func expectRejection<T>(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> Rejection? {
    do {
        let value = try body()
        Issue.record("expected \(code), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let rejection as Rejection {
        #expect(rejection.code == code, "\(rejection)", sourceLocation: sourceLocation)
        return rejection
    } catch {
        Issue.record("expected a Rejection, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

// MARK: - Fixtures

enum Fixture {
    static let ada = "c_ada"
    static let home = PostalAddress(addressId: "home", lines: ["1 Main St"], city: "London", postalCode: "N1 9GU", country: "GB")

    static var adaRegistration: CustomerCommand.Registration {
        .init(
            customerId: ada, kind: .person, personName: PersonName(given: "Ada", family: "Lovelace"),
            emails: ["ada@example.com"], phones: ["+447700900123"], addresses: [home], ownerId: "u_sam", source: "web")
    }

    static let adaRegistered: CustomerEvent = .registered(
        .init(
            customerId: ada, kind: .person, personName: PersonName(given: "Ada", family: "Lovelace"), organizationName: nil,
            emails: ["ada@example.com"], phones: ["+447700900123"], addresses: [home], ownerId: "u_sam", source: "web",
            attributes: ["tier": .string("gold")]))

    static func consent(
        _ channel: ContactChannel = .email, _ purpose: ConsentPurpose = .marketing, customer: CustomerID = ada
    ) -> CustomerEvent {
        .consentGranted(
            .init(customerId: customer, channel: channel, purpose: purpose, legalBasis: .consent, source: "form", grantedAt: now))
    }

    static let org: CustomerEvent = .registered(
        .init(
            customerId: "o_acme", kind: .organization, personName: nil, organizationName: "Acme", emails: [], phones: [],
            addresses: [], ownerId: nil, source: nil, attributes: [:]))

    static func customer(_ events: [CustomerEvent]) -> CustomerState { CustomerDecider.fold(events) }

    /// A reachable, consenting customer with id `id`.
    static func consenting(_ id: CustomerID, tags: [String] = []) -> CustomerState {
        var events: [CustomerEvent] = [
            .registered(
                .init(
                    customerId: id, kind: .person, personName: PersonName(given: "P", family: id), organizationName: nil,
                    emails: ["\(id)@example.com"], phones: [], addresses: [], ownerId: nil, source: nil, attributes: [:])),
            consent(customer: id),
        ]
        events += tags.map { .tagged(.init(customerId: id, tag: $0)) }
        return customer(events)
    }
}
