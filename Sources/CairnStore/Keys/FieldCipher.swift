import CCrypto

/// HMAC-SHA-256 through libcrypto.
package enum HMACSHA256 {
    package static func mac(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        var message: [UInt8] = []
        for part in parts { message += part }
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let ok = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length) != nil
            }
        }
        precondition(ok && length == 32, "OpenSSL: HMAC-SHA-256 failed")
        return out
    }
}

/// How one event's personal fields are sealed: each event gets a key of its own, derived from
/// its subject's data key and its id, so that an export can disclose the keys of the events it
/// contains (letting anyone check the ciphertext against the plaintext shown) without
/// disclosing the subject's data key.
///
/// Sealing is deterministic — the nonce is derived from the event key, the field and the
/// plaintext (a synthetic IV) — so a retried command seals to the same bytes and the log can
/// recognise the retry, and two different plaintexts never share a nonce.
package enum FieldCipher {
    /// The key of the event `eventId` under the data key `dataKey`.
    package static func eventKey(dataKey: [UInt8], eventId: [UInt8]) -> [UInt8] {
        HMACSHA256.mac(key: dataKey, Array("cairn.event.v1".utf8), [0], eventId)
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plaintext`, bound to `context` (the key id, event and field).
    package static func seal(_ plaintext: [UInt8], eventKey: [UInt8], context: [UInt8]) -> [UInt8] {
        let nonce = Array(
            HMACSHA256.mac(key: eventKey, Array("cairn.nonce.v1".utf8), [0], context, [0], plaintext).prefix(AESGCM.nonceSize))
        return AESGCM.seal(plaintext, key: eventKey, nonce: nonce, authenticating: context)
    }

    package static func open(_ sealed: [UInt8], eventKey: [UInt8], context: [UInt8]) throws(AESGCM.OpenError) -> [UInt8] {
        try AESGCM.open(sealed, key: eventKey, authenticating: context)
    }
}
