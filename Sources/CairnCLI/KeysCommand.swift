import ArgumentParser
import CairnService
import CairnStore
import Foundation

/// `cairn keys`: the API keys of a data directory.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, list and revoke API keys.",
        discussion: """
            Keys live in <data>/access, stored only as SHA-256 hashes: a new key is printed once and \
            cannot be shown again. A key's name becomes the actor of the events its commands record. \
            Roles: \(AccessRole.allCases.map(\.rawValue).joined(separator: ", ")). These commands work \
            while `cairn serve` runs; it sees changes at the next request.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    static func withStore<T>(_ options: DataOptions, _ body: (AccessKeyStore) throws -> T) throws -> T {
        let store: AccessKeyStore
        do { store = try AccessKeyStore(directory: options.dataDirectory + "/access") } catch {
            throw CLIError("cannot open the keys in \(options.dataDirectory)/access: \(describe(error))")
        }
        defer { store.close() }
        do { return try body(store) } catch let error as AccessKeyError { throw CLIError(error.message) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key and print it (once).")

        @OptionGroup var options: DataOptions

        @Option(help: "Unique name; the actor of the key's events.")
        var name: String

        @Option(help: "One of \(AccessRole.allCases.map(\.rawValue).joined(separator: ", ")).")
        var role: String

        @Flag(help: "Print a JSON object instead of the bare key.")
        var json = false

        func run() async throws {
            guard let role = AccessRole(rawValue: role) else {
                throw ValidationError("--role must be one of \(AccessRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let (key, secret) = try KeysCommand.withStore(options) { try $0.create(name: name, role: role, now: SystemClock().now()) }
            if json {
                var out = JSONText()
                out.raw("{")
                out.key("name", first: true); out.string(key.name)
                out.key("role"); out.string(key.role.rawValue)
                out.key("key"); out.string(secret)
                out.raw("}")
                emit(out.text)
            } else {
                emit(secret)
                FileHandle.standardError.write(Data("cairn: key \(key.name) (\(key.role)) made; it is shown only this once\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @OptionGroup var options: DataOptions

        func run() async throws {
            for key in try KeysCommand.withStore(options, { try $0.list() }) {
                var out = JSONText()
                out.raw("{")
                out.key("name", first: true); out.string(key.name)
                out.key("role"); out.string(key.role.rawValue)
                out.key("hint"); out.string(key.hint + "…")
                out.key("createdAt"); out.string(key.createdAt.rfc3339)
                if let revoked = key.revokedAt { out.key("revokedAt"); out.string(revoked.rfc3339) }
                out.raw("}")
                emit(out.text)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it authenticates nothing from now on.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The key's name.")
        var name: String

        func run() async throws {
            let key = try KeysCommand.withStore(options) { try $0.revoke(name: name, now: SystemClock().now()) }
            emit("revoked \(key.name)")
        }
    }
}
