import CCrypto

/// AES-256-GCM fetched from OpenSSL's provider once (`EVP_aes_256_gcm()` looks it up again on
/// every initialisation); a fetched EVP_CIPHER is immutable and safe to share across threads.
private nonisolated(unsafe) let aes256GCM: OpaquePointer = {
    guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else { fatalError("OpenSSL: AES-256-GCM is unavailable") }
    return cipher
}()

/// AES-256-GCM through libcrypto: 12-byte nonces (random unless given), 16-byte tags, authenticated data.
package enum AESGCM {
    package static let keySize = 32
    package static let nonceSize = 12
    package static let tagSize = 16

    /// Why a ciphertext did not open: a wrong key, a changed byte, or different authenticated data.
    package struct OpenError: Error, Sendable {}

    /// `nonce ‖ ciphertext ‖ tag`, with a fresh random nonce.
    package static func seal(_ plaintext: some Collection<UInt8>, key: [UInt8], authenticating aad: [UInt8] = []) -> [UInt8] {
        seal(plaintext, key: key, nonce: SecureRandom.bytes(nonceSize), authenticating: aad)
    }

    /// `nonce ‖ ciphertext ‖ tag` with the given nonce: the caller guarantees a nonce is never
    /// used twice with one key for different plaintexts.
    package static func seal(
        _ plaintext: some Collection<UInt8>, key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8] = []
    ) -> [UInt8] {
        Context().seal(Array(plaintext), key: key, nonce: nonce, authenticating: aad)
    }

    /// The plaintext of `sealed` (`nonce ‖ ciphertext ‖ tag`), if `key` and `aad` are the ones it was sealed with.
    package static func open(_ sealed: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws(OpenError) -> [UInt8] {
        try Context().open(sealed, key: key, authenticating: aad)
    }

    /// An OpenSSL cipher context, reused across operations. Not thread-safe.
    ///
    /// Sealing again under the key it last sealed with sets only the nonce: expanding the key
    /// and resolving the cipher's parameters again cost more than sealing a short member.
    package struct Context: ~Copyable {
        private let context: OpaquePointer
        /// The key the context is set up to encrypt with, and whether it is (byte `keySize`).
        private let encryptionKey: UnsafeMutablePointer<UInt8>

        package init() {
            guard let context = EVP_CIPHER_CTX_new() else { fatalError("OpenSSL: out of memory") }
            self.context = context
            encryptionKey = .allocate(capacity: keySize + 1)
            encryptionKey.initialize(repeating: 0, count: keySize + 1)
        }

        deinit {
            EVP_CIPHER_CTX_free(context)
            OPENSSL_cleanse(encryptionKey, keySize + 1)
            encryptionKey.deallocate()
        }

        /// Sets the context up to encrypt under `key` with the nonce `iv`.
        private func beginEncryption(key: UnsafePointer<UInt8>, iv: UnsafePointer<UInt8>) -> Bool {
            if encryptionKey[keySize] == 1, (0..<keySize).allSatisfy({ encryptionKey[$0] == key[$0] }) {
                return EVP_EncryptInit_ex(context, nil, nil, nil, iv) == 1
            }
            encryptionKey[keySize] = 0
            guard EVP_EncryptInit_ex(context, aes256GCM, nil, key, iv) == 1 else { return false }
            encryptionKey.update(from: key, count: keySize)
            encryptionKey[keySize] = 1
            return true
        }

        package func seal(_ input: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) -> [UInt8] {
            precondition(key.count == keySize, "AES-256 needs a 32-byte key")
            precondition(nonce.count == nonceSize, "AES-GCM needs a 12-byte nonce")
            return [UInt8](unsafeUninitializedCapacity: nonceSize + input.count + tagSize) { buffer, count in
                key.withUnsafeBytes { key in
                    nonce.withUnsafeBytes { nonce in
                        input.withUnsafeBytes { input in
                            aad.withUnsafeBytes { aad in
                                seal(
                                    input, key: key.baseAddress!, nonce: nonce.baseAddress!, authenticating: aad, into: buffer.baseAddress!)
                            }
                        }
                    }
                }
                count = nonceSize + input.count + tagSize
            }
        }

        /// Writes `nonce ‖ ciphertext ‖ tag` (`nonceSize + input.count + tagSize` bytes) to
        /// `out`, authenticating `aad` and then `moreAAD`: the allocation-free form that sealing
        /// a batch of members uses.
        package func seal(
            _ input: UnsafeRawBufferPointer, key: UnsafeRawPointer, nonce: UnsafeRawPointer,
            authenticating aad: UnsafeRawBufferPointer, _ moreAAD: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
            into out: UnsafeMutablePointer<UInt8>
        ) {
            var length: Int32 = 0
            out.update(from: nonce.assumingMemoryBound(to: UInt8.self), count: nonceSize)
            let key = key.assumingMemoryBound(to: UInt8.self)
            let iv = nonce.assumingMemoryBound(to: UInt8.self)
            let body = out + nonceSize
            let ok = { () -> Bool in
                guard beginEncryption(key: key, iv: iv) else { return false }
                if aad.count > 0 {
                    guard
                        EVP_EncryptUpdate(context, nil, &length, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count))
                            == 1
                    else { return false }
                }
                if moreAAD.count > 0 {
                    guard
                        EVP_EncryptUpdate(
                            context, nil, &length, moreAAD.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(moreAAD.count))
                            == 1
                    else { return false }
                }
                if input.count > 0 {
                    guard
                        EVP_EncryptUpdate(
                            context, body, &length, input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count))
                            == 1
                    else { return false }
                }
                guard EVP_EncryptFinal_ex(context, body + input.count, &length) == 1 else { return false }
                return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), body + input.count) == 1
            }()
            precondition(ok, "OpenSSL: AES-256-GCM encryption failed")
        }

        package func open(_ sealed: [UInt8], key: [UInt8], authenticating aad: [UInt8]) throws(OpenError) -> [UInt8] {
            guard key.count == keySize, sealed.count >= nonceSize + tagSize else { throw OpenError() }
            let count = sealed.count - nonceSize - tagSize
            var plaintext = [UInt8](repeating: 0, count: count)
            var length: Int32 = 0
            var tag = Array(sealed[(nonceSize + count)...])
            let ok = sealed.withUnsafeBufferPointer { input -> Bool in
                let base = input.baseAddress!
                encryptionKey[keySize] = 0
                guard EVP_DecryptInit_ex(context, aes256GCM, nil, key, base) == 1 else { return false }
                if !aad.isEmpty { guard EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1 else { return false } }
                if count > 0 {
                    guard
                        (plaintext.withUnsafeMutableBufferPointer {
                            EVP_DecryptUpdate(context, $0.baseAddress, &length, base + nonceSize, Int32(count))
                        }) == 1
                    else { return false }
                }
                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag) == 1 else { return false }
                var final = [UInt8](repeating: 0, count: 16)
                return EVP_DecryptFinal_ex(context, &final, &length) == 1
            }
            guard ok else { throw OpenError() }
            return plaintext
        }
    }

    /// A new random 256-bit key.
    package static func randomKey() -> [UInt8] { SecureRandom.bytes(keySize) }
}
