import CCrypto

/// A SHA-256 digest, held inline (no allocation per record).
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest that precedes the first record of a chain.
    public static let zero = SHA256Digest(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    init(filling body: (UnsafeMutableRawBufferPointer) -> Void) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words, body)
        self.words = words
    }

    /// Reads 32 bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32)
        var value = SHA256Digest.zero
        withUnsafeMutableBytes(of: &value.words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<32])) }
        self = value
    }

    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = hexValue(utf8[2 * i]), let lo = hexValue(utf8[2 * i + 1]) else { return nil }
            bytes[i] = hi << 4 | lo
        }
        self = bytes.withUnsafeBytes { SHA256Digest(bytes: $0) }
    }

    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: 64) { out in
                for (i, byte) in raw.enumerated() {
                    out[2 * i] = digits[Int(byte >> 4)]
                    out[2 * i + 1] = digits[Int(byte & 0x0f)]
                }
                return 64
            }
        }
    }

    public var description: String { hex }

    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// SHA-256 fetched from OpenSSL's provider once: `EVP_sha256()` makes OpenSSL 3 look the
/// algorithm up by name on every initialisation, a measurable cost per record.
/// An EVP_MD is immutable once fetched and OpenSSL documents it as safe to share across threads.
private nonisolated(unsafe) let sha256Algorithm: OpaquePointer = {
    guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL: SHA-256 is unavailable") }
    return md
}()

/// An OpenSSL SHA-256 context reused across digests. Not thread-safe: one per thread of work.
struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL: out of memory for a digest context") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// SHA-256 of the concatenation of `parts`.
    func digest(_ parts: UnsafeRawBufferPointer...) -> SHA256Digest {
        begin()
        for part in parts { update(part) }
        return finish()
    }

    /// Starts a digest fed piece by piece with ``update(_:)``, ended by ``finish()``.
    func begin() {
        precondition(EVP_DigestInit_ex2(context, sha256Algorithm, nil) == 1, "OpenSSL: SHA-256 init failed")
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "OpenSSL: SHA-256 update failed")
    }

    func finish() -> SHA256Digest {
        SHA256Digest { out in
            var length: UInt32 = 0
            let rc = EVP_DigestFinal_ex(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
            precondition(rc == 1 && length == 32, "OpenSSL: SHA-256 final failed")
        }
    }

    /// The chain link: SHA-256(previous ‖ canonical record bytes).
    func link(_ previous: SHA256Digest, _ canonical: UnsafeRawBufferPointer) -> SHA256Digest {
        previous.withUnsafeBytes { digest($0, canonical) }
    }
}
