import ArgumentParser
import CairnStore
import Foundation

/// Where a data directory keeps the key that signs its tree heads.
func treeSigningKeyPath(_ options: DataOptions, override: String?) -> String {
    override ?? options.dataDirectory + "/signing/tree-head.pem"
}

/// Loads the signing key, making one (and saying so on stderr) when there is none.
func loadTreeSigner(_ path: String) throws -> TreeHeadSigner {
    do {
        let (signer, created) = try TreeHeadSigner.load(orCreateAt: path)
        if created {
            FileHandle.standardError.write(
                Data(
                    "cairn: made a new Ed25519 tree-head signing key at \(path) (owner-only); back it up, and publish its public key \(Data(signer.publicKey).base64EncodedString())\n"
                        .utf8))
        }
        return signer
    } catch {
        throw CLIError("cannot use the tree-head signing key \(path): \(error)")
    }
}

extension JSONText {
    mutating func hashes(_ key: String, _ digests: [SHA256Digest]) {
        self.key(key)
        raw("[")
        for (i, digest) in digests.enumerated() {
            if i > 0 { raw(",") }
            string(digest.hex)
        }
        raw("]")
    }

    mutating func signedTreeHead(_ head: SignedTreeHead, publicKey: [UInt8]?) {
        raw("{")
        key("treeSize", first: true)
        raw(String(head.treeSize))
        key("rootHash")
        string(head.rootHash.hex)
        key("timestamp")
        string(head.timestamp.rfc3339)
        key("keyId")
        string(head.keyId)
        if let publicKey {
            key("publicKey")
            string(Data(publicKey).base64EncodedString())
        }
        key("signature")
        string(Data(head.signature).base64EncodedString())
        raw("}")
    }
}

extension LogCommand {
    struct TreeHeadCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tree-head",
            abstract: "Print the Merkle tree head (size and root) of the log; with --sign, sign it with Ed25519 and keep it in the log.")

        @OptionGroup var options: DataOptions

        @Option(help: "The head at this many records instead of the current head.")
        var size: UInt64?

        @Flag(help: "Sign the current head and keep the signed head in the log.")
        var sign = false

        @Option(help: "PEM signing key (default: <data>/signing/tree-head.pem, made when absent).")
        var key: String?

        @Flag(help: "Print the signed heads kept in the log instead.")
        var list = false

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if sign && size != nil { throw ValidationError("--sign signs the current head; leave out --size") }
        }

        func run() async throws {
            if list {
                let heads = try await withEventLog(options, .read) { log in try log.signedTreeHeads() }
                for head in heads {
                    var out = JSONText()
                    out.signedTreeHead(head, publicKey: nil)
                    emit(
                        json ? out.text : "\(head.treeSize)\t\(head.rootHash.hex)\t\(head.timestamp.rfc3339)\tkey \(head.keyId.prefix(16))")
                }
                return
            }
            if sign {
                let signer = try loadTreeSigner(treeSigningKeyPath(options, override: key))
                let signed = try await withEventLog(options, .maintain) { log in try await log.signTreeHead(with: signer) }
                var out = JSONText()
                out.signedTreeHead(signed, publicKey: signer.publicKey)
                emit(
                    json
                        ? out.text
                        : "signed tree head: \(signed.treeSize) records, root \(signed.rootHash.hex), at \(signed.timestamp.rfc3339)")
                return
            }
            let head = try await withEventLog(options, .read) { log in try log.treeHead(size: size) }
            if json {
                var out = JSONText()
                out.raw("{")
                out.key("treeSize", first: true)
                out.raw(String(head.treeSize))
                out.key("rootHash")
                out.string(head.rootHash.hex)
                out.raw("}")
                emit(out.text)
            } else {
                emit("\(head.treeSize) records, root \(head.rootHash.hex)")
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the proof (RFC 9162 inclusion path) that the record at a position is in the tree, as JSON.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The record's position.")
        var position: UInt64

        @Option(help: "Prove against the tree of this many records (default: the head).")
        var treeSize: UInt64?

        func run() async throws {
            let (proof, head) = try await withEventLog(options, .read) { log in
                let proof = try log.inclusionProof(position: position, treeSize: treeSize)
                return (proof, try log.treeHead(size: proof.treeSize))
            }
            var out = JSONText()
            out.raw("{")
            out.key("position", first: true)
            out.raw(String(proof.position))
            out.key("treeSize")
            out.raw(String(proof.treeSize))
            out.key("rootHash")
            out.string(head.rootHash.hex)
            out.key("recordHash")
            out.string(proof.recordHash.hex)
            out.hashes("path", proof.path)
            out.raw("}")
            emit(out.text)
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the proof (RFC 9162) that the tree at one size extends the tree at a smaller one, as JSON.")

        @OptionGroup var options: DataOptions

        @Argument(help: "The smaller tree's size.")
        var from: UInt64

        @Option(help: "The larger tree's size (default: the head).")
        var to: UInt64?

        func run() async throws {
            let (proof, first, second) = try await withEventLog(options, .read) { log in
                let proof = try log.consistencyProof(from: from, to: to)
                return (proof, try log.treeHead(size: proof.firstSize), try log.treeHead(size: proof.secondSize))
            }
            var out = JSONText()
            out.raw("{")
            out.key("firstSize", first: true)
            out.raw(String(proof.firstSize))
            out.key("firstRoot")
            out.string(first.rootHash.hex)
            out.key("secondSize")
            out.raw(String(proof.secondSize))
            out.key("secondRoot")
            out.string(second.rootHash.hex)
            out.hashes("path", proof.path)
            out.raw("}")
            emit(out.text)
        }
    }
}
