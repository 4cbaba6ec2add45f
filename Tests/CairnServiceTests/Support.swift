import CairnDomain
import CairnService
import CairnStore
import Foundation
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Int64>
    init(_ rfc3339: String = "2026-04-01T12:00:00Z") { current = Mutex(CairnStore.Timestamp(rfc3339: rfc3339)!.microsecondsSinceEpoch) }
    func now() -> CairnStore.Timestamp { CairnStore.Timestamp(microsecondsSinceEpoch: current.withLock { $0 }) }
    func advance(seconds: Int64) { current.withLock { $0 += seconds * 1_000_000 } }
}

/// A service over a log in a fresh directory; closes and removes it afterwards.
func withService<T>(clock: ManualClock = ManualClock(), _ body: (CairnService, ManualClock) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-service-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = EventLog.Options()
    options.clock = clock
    let log = try EventLog(directory: dir + "/log", options: options)
    let vault = try testVault(dir)
    defer { vault.close() }
    do {
        let value = try await body(CairnService(log: log, vault: vault, clock: clock), clock)
        await log.close()
        return value
    } catch {
        await log.close()
        throw error
    }
}

/// Data keys in `<dir>/keys` under a fresh master key.
func testVault(_ dir: String) throws -> PersonalDataVault {
    PersonalDataVault(keys: try DataKeyStore(directory: dir + "/keys", master: .generate()))
}

func meta(_ commandId: String = UUID().uuidString, actor: String = "u_test", expectedVersion: UInt64? = nil) -> CommandMetadata {
    CommandMetadata(commandId: commandId, actor: actor, expectedVersion: expectedVersion)
}

/// The `CommandError` `body` throws, if any.
func commandError(_ body: () async throws -> Void) async -> CommandError? {
    do {
        try await body()
        return nil
    } catch let error as CommandError {
        return error
    } catch {
        return CommandError(kind: .storage, code: "unexpected", message: "\(error)")
    }
}

enum Fixture {
    static func registration(_ id: CustomerID, email: String? = nil, kind: CustomerKind = .person) -> CustomerCommand {
        .register(
            .init(
                customerId: id, kind: kind, personName: kind == .person ? PersonName(given: "Ada", family: id) : nil,
                organizationName: kind == .organization ? "Org \(id)" : nil,
                emails: [email ?? "\(id)@example.com"], phones: ["+447700900123"], addresses: [], ownerId: "u_sam", source: "web"))
    }

    static func marketingConsent(_ id: CustomerID) -> CustomerCommand {
        .grantConsent(
            customerId: id, consent: ConsentGrant(channel: .email, purpose: .marketing, legalBasis: .consent, source: "form"), at: nil)
    }

    static func opening(_ id: OpportunityID, customer: CustomerID) -> OpportunityCommand {
        .open(
            .init(
                opportunityId: id, customerId: customer, name: "Retrofit", amount: Money("1000", "EUR")!,
                expectedCloseDate: CalendarDate(iso8601: "2026-06-30")!, ownerId: "u_sam"))
    }
}
