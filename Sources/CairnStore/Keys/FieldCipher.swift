import CCrypto

/// HMAC-SHA-256 (RFC 2104) over the store's pre-fetched SHA-256: OpenSSL's one-shot `HMAC()`
/// looks its algorithms up on every call, which costs more than the hashing for short inputs.
package enum HMACSHA256 {
    package static func mac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { mac(key: key, [], $0, using: SHA256Hasher()) }
    }

    /// The MAC of `label ‖ data`, the shape of every keyed derivation here, without gathering
    /// the parts into arrays: it is made for every event sealed or opened.
    static func mac(key: [UInt8], _ label: [UInt8], _ data: UnsafeRawBufferPointer, using hasher: borrowing SHA256Hasher) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { block in
            // The key (hashed first when longer than a block) ⊕ ipad, then the message.
            block.initializeMemory(as: UInt8.self, repeating: 0)
            if key.count > 64 {
                let digest = key.withUnsafeBytes { hasher.digest($0) }
                digest.withUnsafeBytes { block.copyMemory(from: $0) }
            } else {
                key.withUnsafeBytes { block.copyMemory(from: $0) }
            }
            xor(block, innerPad)
            hasher.begin()
            hasher.update(UnsafeRawBufferPointer(block))
            label.withUnsafeBytes { hasher.update($0) }
            hasher.update(data)
            let inner = hasher.finish()
            // The key ⊕ opad, then the inner digest.
            xor(block, innerPad ^ outerPad)
            hasher.begin()
            hasher.update(UnsafeRawBufferPointer(block))
            inner.withUnsafeBytes { hasher.update($0) }
            return hasher.finish().withUnsafeBytes { Array($0) }
        }
    }

    private static let innerPad: UInt64 = 0x3636_3636_3636_3636
    private static let outerPad: UInt64 = 0x5C5C_5C5C_5C5C_5C5C

    /// XORs each of the 64-byte block's eight words with `pad`.
    private static func xor(_ block: UnsafeMutableRawBufferPointer, _ pad: UInt64) {
        for offset in stride(from: 0, to: 64, by: 8) {
            block.storeBytes(of: block.load(fromByteOffset: offset, as: UInt64.self) ^ pad, toByteOffset: offset, as: UInt64.self)
        }
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
///
/// A `FieldCipher` holds one digest and one cipher context, reused for every event and member
/// it seals or opens: making and freeing OpenSSL contexts per member cost more than the
/// cryptography. Not thread-safe: one per thread of work (a batch being sealed, a read).
package struct FieldCipher: ~Copyable {
    private let hasher = SHA256Hasher()
    private let cipher = AESGCM.Context()

    package init() {}

    /// The key of the event `eventId` under the data key `dataKey`.
    package func eventKey(dataKey: [UInt8], eventId: [UInt8]) -> [UInt8] {
        eventId.withUnsafeBytes { eventKey(dataKey: dataKey, eventId: $0) }
    }

    /// The same from the id's bytes where they lie (a `UUID`'s), with nothing allocated but the key.
    package func eventKey(dataKey: [UInt8], eventId: UnsafeRawBufferPointer) -> [UInt8] {
        HMACSHA256.mac(key: dataKey, Self.eventLabel, eventId, using: hasher)
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plaintext`, bound to `context` (the key id, event and field).
    package func seal(_ plaintext: [UInt8], eventKey: [UInt8], context: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        plaintext.withUnsafeBufferPointer { seal($0, eventKey: eventKey, context: context, member: "", appendingTo: &out) }
        return out
    }

    /// Appends `nonce ‖ ciphertext ‖ tag` of `plaintext` to `out`, bound to the context
    /// `context ‖ member`: the bytes ``seal(_:eventKey:context:)`` makes of the joined context,
    /// without joining it or allocating anything but `out`'s growth.
    package func seal(
        _ plaintext: UnsafeBufferPointer<UInt8>, eventKey: [UInt8], context: [UInt8], member: String, appendingTo out: inout [UInt8]
    ) {
        precondition(eventKey.count == AESGCM.keySize, "AES-256 needs a 32-byte key")
        var member = member
        member.withUTF8 { name in
            context.withUnsafeBytes { prefix in
                eventKey.withUnsafeBytes { key in
                    // SHA-256 over the secret event key and the length-prefixed inputs: a keyed,
                    // fixed-layout derivation, one digest pass (an HMAC would make two).
                    hasher.begin()
                    hasher.update(key)
                    Self.nonceLabel.withUnsafeBytes { hasher.update($0) }
                    var length = UInt32(prefix.count + name.count).bigEndian
                    withUnsafeBytes(of: &length) { hasher.update($0) }
                    hasher.update(prefix)
                    hasher.update(UnsafeRawBufferPointer(name))
                    hasher.update(UnsafeRawBufferPointer(plaintext))
                    let nonce = hasher.finish()
                    let start = out.count
                    out.append(contentsOf: repeatElement(0, count: AESGCM.nonceSize + plaintext.count + AESGCM.tagSize))
                    out.withUnsafeMutableBufferPointer { buffer in
                        nonce.withUnsafeBytes { nonce in
                            cipher.seal(
                                UnsafeRawBufferPointer(plaintext), key: key.baseAddress!, nonce: nonce.baseAddress!,
                                authenticating: prefix, UnsafeRawBufferPointer(name), into: buffer.baseAddress! + start)
                        }
                    }
                }
            }
        }
    }

    package func open(_ sealed: [UInt8], eventKey: [UInt8], context: [UInt8]) throws(AESGCM.OpenError) -> [UInt8] {
        try cipher.open(sealed, key: eventKey, authenticating: context)
    }

    private static let eventLabel = Array("cairn.event.v1".utf8) + [0]
    private static let nonceLabel = Array("cairn.nonce.v1\u{0}".utf8)
}
