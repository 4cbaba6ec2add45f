import CCrypto

extension SHA256Digest {
    /// SHA-256 of `bytes`, for the layers above the store (API-key hashes, request fingerprints).
    package static func of(_ bytes: [UInt8]) -> SHA256Digest {
        let hasher = SHA256Hasher()
        return bytes.withUnsafeBytes { hasher.digest($0) }
    }
}

/// Cryptographically secure random bytes from OpenSSL's CSPRNG.
package enum SecureRandom {
    package static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            precondition(
                RAND_bytes(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1, "OpenSSL: RAND_bytes failed")
        }
        return out
    }
}
