import ArgumentParser
import CairnProjections
import CairnService
import CairnStore
import Foundation

struct ComplianceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract:
            "Erasure, legal holds, retention, master-key rotation; subject access exports with proofs, checked offline; the key that signs tree heads.",
        subcommands: [
            Forget.self, Hold.self, Retention.self, Export.self, VerifyExport.self, PublicKey.self, RotateMasterKey.self,
        ]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Export everything recorded about a customer (merged duplicates included), each record proven against a newly signed tree head.",
            discussion: """
                Writes the JSON export (what `cairn compliance verify-export` checks) and a readable \
                HTML report beside it. Needs the data directory to itself (stop `cairn serve`, or use \
                its export endpoint).
                """)

        @OptionGroup var options: DataOptions

        @Argument(help: "The customer's id (a merged duplicate's id exports its survivor).")
        var customer: String

        @Option(help: "Where to write the JSON export (default: subject-access-<customer>.json).")
        var out: String?

        @Option(help: "PEM signing key (default: <data>/signing/tree-head.pem, made when absent).")
        var key: String?

        @Option(help: "Export what was recorded up to this time (RFC 3339): the records, profile and timeline as they stood.")
        var asOf: String?

        @Option(help: "Export what was recorded up to this log position.")
        var asOfPosition: UInt64?

        func run() async throws {
            let point: AsOfPoint?
            switch (asOf, asOfPosition) {
            case (nil, nil): point = nil
            case (let text?, nil):
                guard let time = CairnStore.Timestamp(rfc3339: text) else { throw CLIError("--as-of \(text) is not an RFC 3339 date-time") }
                point = .time(time)
            case (nil, let position?): point = .position(position)
            case (_?, _?): throw CLIError("give --as-of or --as-of-position, not both")
            }
            let json = out ?? "subject-access-\(customer).json"
            let html = (json.hasSuffix(".json") ? String(json.dropLast(5)) : json) + ".html"
            let signer = try loadTreeSigner(treeSigningKeyPath(options, override: key))
            let export = try await withProjectedService(options, access: .maintain) { service in
                do { return try await service.exportSubject(customer, asOf: point, signer: signer) } catch let error as ExportError {
                    throw CLIError(error.description)
                }
            }
            do {
                try Data(export.json).write(to: URL(fileURLWithPath: json))
                try Data(export.html.utf8).write(to: URL(fileURLWithPath: html))
            } catch {
                throw CLIError("cannot write the export: \(error.localizedDescription)")
            }
            emit(
                "exported \(export.recordCount) records about \(customer) to \(json) (and \(html)); check it with: cairn compliance verify-export \(json) --public-key \(Data(signer.publicKey).base64EncodedString())"
            )
        }
    }

    struct VerifyExport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-export",
            abstract: "Check an export offline: every record's bytes, hash and Merkle proof against the signed tree head.",
            discussion: """
                Needs nothing but the file and the log's public key: exit 0 when every record is \
                intact and proven, 1 naming each record and field that is not.
                """)

        @Argument(help: "The JSON export.")
        var file: String

        @Option(help: "The log's Ed25519 public key: base64 of the 32 raw bytes, or a PEM public-key file (`openssl pkey -pubout`).")
        var publicKey: String?

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let key = try publicKey.map(Self.parseKey)
            let check = SubjectAccessExport.verify(Array(bytes), publicKey: key)
            for problem in check.problems { emit("✗ \(problem)") }
            guard check.isIntact else {
                throw CLIError("\(file) is NOT intact: \(check.problems.count) problem(s), first: \(check.problems[0])")
            }
            emit(
                "intact: \(check.recordsChecked) records proven in the signed tree head of \(check.treeSize) records"
                    + (check.usedEmbeddedKey
                        ? " — against the key inside the export; give --public-key to check against the log's published key" : ""))
        }

        /// Base64 of 32 raw bytes, or a file holding a PEM SubjectPublicKeyInfo for Ed25519.
        static func parseKey(_ text: String) throws -> [UInt8] {
            if let raw = Data(base64Encoded: text), raw.count == 32 { return [UInt8](raw) }
            guard let pem = try? String(contentsOfFile: text, encoding: .utf8) else {
                throw CLIError("--public-key is neither base64 of a 32-byte key nor a readable file")
            }
            let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            let prefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
            guard let der = Data(base64Encoded: body), der.count == 44, Array(der.prefix(12)) == prefix else {
                throw CLIError("\(text) is not a PEM Ed25519 public key")
            }
            return [UInt8](der.suffix(32))
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the public key that checks this data directory's tree heads (base64, then PEM), to publish.")

        @OptionGroup var options: DataOptions

        @Option(help: "PEM signing key (default: <data>/signing/tree-head.pem, made when absent).")
        var key: String?

        func run() async throws {
            let signer = try loadTreeSigner(treeSigningKeyPath(options, override: key))
            let spki = Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + signer.publicKey)
            emit(Data(signer.publicKey).base64EncodedString())
            emit("-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----")
        }
    }
}
