import ArgumentParser
import CairnDomain
import CairnService
import CairnStore
import Foundation

/// Who a compliance operation from the command line is recorded as.
struct ComplianceActor: ParsableArguments {
    @Option(help: "Recorded as the events' actor (default: cli:$USER).")
    var actor: String?

    var metadata: CommandMetadata {
        CommandMetadata(commandId: UUID().uuidString, actor: actor ?? "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")")
    }
}

/// A command refusal as one readable line.
func complianceFailure(_ error: any Error) -> CLIError {
    if let error = error as? CommandError {
        let fields = error.issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        return CLIError("\(error.code): \(error.message)" + (fields.isEmpty ? "" : " (\(fields))"))
    }
    return CLIError(describe(error))
}

extension ComplianceCommand {
    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a customer's (or --lead, a lead's) personal data: destroy its data keys, suppress its addresses, record the erasure.",
            discussion: """
                Also erases every duplicate merged into the customer and every lead converted into \
                them. The log keeps the sealed records (and still verifies); the read models are \
                rebuilt so none of their pages keeps the data. Refused while a legal hold is in \
                force. With --lead, erases a lead that never became a customer (a converted lead \
                goes with its customer). Needs the data directory to itself (stop `cairn serve`, or \
                use its /v1/customers/{id}/erasure or /v1/leads/{id}/erasure endpoint).
                """)

        @OptionGroup var options: DataOptions
        @OptionGroup var who: ComplianceActor

        @Argument(help: "The customer's id (with --lead, the lead's).")
        var customer: String

        @Flag(help: "The id is a lead's that never became a customer.")
        var lead = false

        @Option(help: "The data subject request this fulfils.")
        var request: String

        @Option(help: "The legal basis, for example \"GDPR Art. 17(1)(a)\".")
        var legalBasis: String

        func run() async throws {
            let outcome = try await withProjectedService(options, access: .append) { service in
                let outcome: CommandOutcome
                do {
                    outcome =
                        try await lead
                        ? service.forgetLead(customer, requestId: request, legalBasis: legalBasis, who.metadata)
                        : service.forget(customer, requestId: request, legalBasis: legalBasis, who.metadata)
                } catch {
                    throw complianceFailure(error)
                }
                // No read model holds a lead's personal data; a customer's are rebuilt without it.
                if !lead { try await service.purgeReadModels() }
                return outcome
            }
            emit(
                lead
                    ? "erased lead \(customer) at position \(outcome.position); its data keys are destroyed"
                    : "erased \(customer) at position \(outcome.position); its data keys are destroyed and the read models rebuilt")
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Place (or --release) a legal hold: erasure and retention of the customer's data wait until it is released.")

        @OptionGroup var options: DataOptions
        @OptionGroup var who: ComplianceActor

        @Argument(help: "The customer's id.")
        var customer: String

        @Option(help: "The hold's id.")
        var hold: String

        @Option(help: "The matter the hold is for (required to place one).")
        var matter: String?

        @Flag(help: "Release the hold instead of placing it.")
        var release = false

        func run() async throws {
            if !release && matter == nil { throw ValidationError("--matter is required to place a hold") }
            let outcome = try await withVault(options) { vault in
                try await withEventLog(options, .append) { log in
                    let service = CairnService(log: log, vault: vault)
                    do {
                        return release
                            ? try await service.releaseLegalHold(customer, holdId: hold, who.metadata)
                            : try await service.placeLegalHold(customer, holdId: hold, matter: matter ?? "", who.metadata)
                    } catch { throw complianceFailure(error) }
                }
            }
            emit("\(release ? "released" : "placed") legal hold \(hold) on \(customer) at position \(outcome.position)")
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply retention policies: personal data of each kind older than its months can no longer be read.",
            discussion: """
                Policies are KIND=MONTHS (for example activity=24 case=36), whole calendar months \
                from the month the data was recorded in. Nothing in the log is rewritten: the data \
                keys are advanced past the expired months. Customers under legal hold are spared. \
                Each run is recorded as compliance.RetentionApplied, also when it expires nothing. \
                `cairn serve --retention KIND=MONTHS` runs it daily.
                """)

        @OptionGroup var options: DataOptions
        @OptionGroup var who: ComplianceActor

        @Argument(help: "KIND=MONTHS, for example activity=24.")
        var policies: [String]

        func run() async throws {
            let parsed: [RetentionPolicy]
            do { parsed = try policies.map { try RetentionPolicy(parsing: $0) } } catch { throw complianceFailure(error) }
            let applied = try await withProjectedService(options, access: .append) { service in
                let applied: ComplianceEvent.RetentionApplied
                do { applied = try await service.applyRetention(parsed, who.metadata).applied } catch { throw complianceFailure(error) }
                if applied.policies.contains(where: { $0.keysExpired > 0 }) { try await service.purgeReadModels() }
                return applied
            }
            for policy in applied.policies {
                emit("\(policy.kind): data recorded before \(policy.keepFrom) expired for \(policy.keysExpired) subject(s)")
            }
            if !applied.heldCustomers.isEmpty { emit("spared under legal hold: \(applied.heldCustomers.joined(separator: ", "))") }
        }
    }

    struct RotateMasterKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master-key",
            abstract: "Rewrap every data key under a new master key, written (owner-only) to a new file first.",
            discussion: """
                The current master key comes from CAIRN_MASTER_KEY, CAIRN_MASTER_KEY_FILE or \
                <data>/master.key. The new one is written to --new-key-file before anything \
                changes; afterwards point CAIRN_MASTER_KEY_FILE at it (or put it in \
                CAIRN_MASTER_KEY). Losing the master key loses every piece of personal data: keep \
                a copy away from the data directory.
                """)

        @OptionGroup var options: DataOptions

        @Option(help: "Where to write the new master key; must not exist.")
        var newKeyFile: String

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: newKeyFile) else { throw CLIError("\(newKeyFile) exists; name a new file") }
            let new = MasterKey.generate()
            guard
                FileManager.default.createFile(
                    atPath: newKeyFile, contents: Data((new.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw CLIError("cannot write \(newKeyFile)") }
            try await withVault(options) { vault in
                do { try vault.keys.rotate(to: new) } catch { throw CLIError("rotation failed, nothing changed: \(describe(error))") }
            }
            emit("data keys rewrapped under master key \(new.id), now in \(newKeyFile); set CAIRN_MASTER_KEY_FILE=\(newKeyFile)")
        }
    }
}
