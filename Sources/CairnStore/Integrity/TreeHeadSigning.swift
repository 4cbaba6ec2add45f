import CCrypto
import Foundation

/// A tree head signed with Ed25519: the log's commitment, at one moment, to every record it
/// then held. Anyone with the public key can check it, and an inclusion proof against it.
public struct SignedTreeHead: Sendable, Hashable {
    public var treeSize: UInt64
    public var rootHash: SHA256Digest
    public var timestamp: Timestamp
    /// SHA-256 of the public key (hex): which key signed.
    public var keyId: String
    /// 64-byte Ed25519 signature over ``signedBytes``.
    public var signature: [UInt8]

    public var head: TreeHead { TreeHead(treeSize: treeSize, rootHash: rootHash) }

    /// What is signed: `"cairn-tree-head-v1" 0x00 ‖ size (u64 BE) ‖ time (µs, i64 BE) ‖ root`.
    public var signedBytes: [UInt8] {
        var bytes = Array("cairn-tree-head-v1".utf8) + [0]
        bytes.appendBigEndian(treeSize)
        bytes.appendBigEndian(timestamp.microsecondsSinceEpoch)
        bytes += rootHash.bytes
        return bytes
    }

    public init(treeSize: UInt64, rootHash: SHA256Digest, timestamp: Timestamp, keyId: String, signature: [UInt8]) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timestamp = timestamp
        self.keyId = keyId
        self.signature = signature
    }

    /// Whether `publicKey` (32 raw Ed25519 bytes) made ``signature`` over this head.
    public func verify(publicKey: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64,
            let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, 32)
        else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let message = signedBytes
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
            && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

/// Why a signing key could not be made, read or used.
public struct SigningKeyError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// An Ed25519 key that signs tree heads, kept as a PKCS#8 PEM file (what `openssl pkey` reads).
public final class TreeHeadSigner: @unchecked Sendable {
    private let key: OpaquePointer
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    private init(key: OpaquePointer) throws {
        var length = 32
        var raw = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1, length == 32 else {
            EVP_PKEY_free(key)
            throw SigningKeyError(description: "the key is not an Ed25519 key")
        }
        self.key = key
        self.publicKey = raw
    }

    deinit { EVP_PKEY_free(key) }

    /// A new random key.
    public static func generate() throws -> TreeHeadSigner {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw SigningKeyError(description: "OpenSSL has no Ed25519") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw SigningKeyError(description: "Ed25519 key generation failed")
        }
        return try TreeHeadSigner(key: key)
    }

    /// Reads a PEM private key.
    public convenience init(pem: String) throws {
        // A memory BIO reads the caller's buffer in place, so the bytes must outlive every read
        // of it: a pointer made from the String for the BIO_new_mem_buf call alone does not.
        let bytes = Array(pem.utf8)
        let key = try bytes.withUnsafeBytes { buffer throws -> OpaquePointer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                throw SigningKeyError(description: "out of memory")
            }
            defer { BIO_free(bio) }
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw SigningKeyError(description: "not a PEM private key") }
            return key
        }
        try self.init(key: key)
    }

    /// The key as a PKCS#8 PEM document.
    public var pem: String {
        guard let bio = BIO_new(BIO_s_mem()) else { fatalError("OpenSSL: out of memory") }
        defer { BIO_free(bio) }
        precondition(PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1, "OpenSSL: cannot write the key")
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// Loads the key at `path`, or makes one there (readable by its owner only) when there is
    /// none. `created` says which.
    public static func load(orCreateAt path: String) throws -> (signer: TreeHeadSigner, created: Bool) {
        if let pem = try? String(contentsOfFile: path, encoding: .utf8) {
            do { return (try TreeHeadSigner(pem: pem), false) } catch {
                throw SigningKeyError(description: "\(path): \(error)")
            }
        }
        let signer = try generate()
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: path, contents: Data(signer.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SigningKeyError(description: "cannot write the signing key to \(path)")
        }
        return (signer, true)
    }

    /// SHA-256 of the public key, hex.
    public var keyId: String { SHA256Digest.of(publicKey).hex }

    /// Signs `head` as made at `time`.
    public func sign(_ head: TreeHead, at time: Timestamp) -> SignedTreeHead {
        var signed = SignedTreeHead(treeSize: head.treeSize, rootHash: head.rootHash, timestamp: time, keyId: keyId, signature: [])
        let message = signed.signedBytes
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        precondition(
            EVP_DigestSignInit(context, nil, nil, nil, key) == 1
                && EVP_DigestSign(context, &signature, &length, message, message.count) == 1 && length == 64,
            "OpenSSL: Ed25519 signing failed")
        signed.signature = signature
        return signed
    }
}

extension SignedTreeHead {
    /// root ‖ time (i64 BE) ‖ signature ‖ key id, as the log keeps it under its size.
    var stored: [UInt8] {
        var bytes = rootHash.bytes
        bytes.appendBigEndian(timestamp.microsecondsSinceEpoch)
        bytes += signature
        bytes += Array(keyId.utf8)
        return bytes
    }

    init?(size: UInt64, stored: UnsafeRawBufferPointer) {
        guard stored.count >= 32 + 8 + 64 else { return nil }
        self.init(
            treeSize: size, rootHash: SHA256Digest(bytes: stored),
            timestamp: Timestamp(microsecondsSinceEpoch: stored.loadBigEndian(at: 32, as: Int64.self)),
            keyId: String(decoding: stored[(32 + 8 + 64)...], as: UTF8.self), signature: Array(stored[40..<104]))
    }
}

extension EventLog {
    /// Signs the tree head at the current head, keeps it in the log, and returns it. The head
    /// is read and signed inside one write transaction, so it is exactly what was stored then.
    public func signTreeHead(with signer: TreeHeadSigner) async throws -> SignedTreeHead {
        guard let nodes = dbs.merkleNodes, let treeHeads = dbs.treeHeads else {
            throw EventLogError(.readOnly, "tree heads are signed by a log opened for writing")
        }
        let dbs = self.dbs
        let clock = self.clock
        let result = SignedHeadBox()
        try await perform { txn in
            let size = try dbs.lastPosition(txn)
            let reader = MerkleReader(nodes: nodes)
            let root = size == 0 ? SHA256Digest(emptyTree: ()) : try reader.hash(start: 0, count: size, txn)
            let signed = signer.sign(TreeHead(treeSize: size, rootHash: root), at: clock.now())
            try txn.put(treeHeads, .bigEndian(size), signed.stored)
            result.value = signed
        }
        return result.value!
    }

    /// Signed tree heads kept in the log, by size, from `size` on.
    public func signedTreeHeads(from size: UInt64 = 0, limit: Int = 1000) throws -> [SignedTreeHead] {
        guard let treeHeads = dbs.treeHeads else { return [] }
        return try env.read { txn in
            var heads: [SignedTreeHead] = []
            let cursor = try txn.cursor(treeHeads)
            var entry = try cursor.seek(atLeast: size)
            while let current = entry, heads.count < limit {
                if let head = SignedTreeHead(size: current.key.loadBigEndian(at: 0, as: UInt64.self), stored: current.value) {
                    heads.append(head)
                }
                entry = try cursor.next()
            }
            return heads
        }
    }

    /// The most recent signed tree head kept in the log.
    public func latestSignedTreeHead() throws -> SignedTreeHead? {
        guard let treeHeads = dbs.treeHeads else { return nil }
        return try env.read { txn in
            try txn.cursor(treeHeads).last().flatMap {
                SignedTreeHead(size: $0.key.loadBigEndian(at: 0, as: UInt64.self), stored: $0.value)
            }
        }
    }
}

/// Carries the head signed inside the writer's transaction back to the caller.
private final class SignedHeadBox: @unchecked Sendable {
    var value: SignedTreeHead?
}
