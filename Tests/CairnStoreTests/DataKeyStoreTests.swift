import Foundation
import Synchronization
import Testing

@testable import CairnStore

@Suite("Per-subject data keys")
struct DataKeyStoreTests {
    @Test("AES-256-GCM opens only with the key and authenticated data it was sealed with")
    func aesGCM() throws {
        let key = AESGCM.randomKey()
        let sealed = AESGCM.seal(Array("ada@example.org".utf8), key: key, authenticating: Array("c_1".utf8))
        #expect(sealed.count == 12 + 15 + 16)
        #expect(try AESGCM.open(sealed, key: key, authenticating: Array("c_1".utf8)) == Array("ada@example.org".utf8))
        #expect(AESGCM.seal(Array("ada@example.org".utf8), key: key) != AESGCM.seal(Array("ada@example.org".utf8), key: key))
        #expect(throws: AESGCM.OpenError.self) { try AESGCM.open(sealed, key: AESGCM.randomKey(), authenticating: Array("c_1".utf8)) }
        #expect(throws: AESGCM.OpenError.self) { try AESGCM.open(sealed, key: key, authenticating: Array("c_2".utf8)) }
        for index in sealed.indices {
            var altered = sealed
            altered[index] ^= 1
            #expect(throws: AESGCM.OpenError.self) { try AESGCM.open(altered, key: key, authenticating: Array("c_1".utf8)) }
        }
        #expect(try AESGCM.open(AESGCM.seal([], key: key), key: key) == [])
    }

    @Test("HMAC-SHA-256 matches RFC 4231; field sealing is deterministic, bound to its context, and opens only with its event key")
    func fieldCipher() throws {
        let mac = HMACSHA256.mac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(mac.withUnsafeBytes { SHA256Digest(bytes: $0) }.hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // RFC 4231 case 6: a key longer than the block is hashed first.
        let long = HMACSHA256.mac(
            key: Array(repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(long.withUnsafeBytes { SHA256Digest(bytes: $0) }.hex == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        // The label-and-data form MACs the same bytes as the one-message form.
        let message = Array("what do ya want for nothing?".utf8)
        let split = message.withUnsafeBytes {
            HMACSHA256.mac(key: Array("Jefe".utf8), Array(message[..<9]), UnsafeRawBufferPointer(rebasing: $0[9...]), using: SHA256Hasher())
        }
        #expect(split == mac)
        let dataKey = AESGCM.randomKey()
        let cipher = FieldCipher()
        let eventKey = cipher.eventKey(dataKey: dataKey, eventId: Array(repeating: 7, count: 16))
        #expect(eventKey != cipher.eventKey(dataKey: dataKey, eventId: Array(repeating: 8, count: 16)))
        let text = Array("\"ada@example.org\"".utf8)
        let sealed = cipher.seal(text, eventKey: eventKey, context: Array("c/email".utf8))
        #expect(sealed == cipher.seal(text, eventKey: eventKey, context: Array("c/email".utf8)))
        #expect(sealed != cipher.seal(Array("\"bob@example.org\"".utf8), eventKey: eventKey, context: Array("c/email".utf8)))
        #expect(Array(sealed.prefix(12)) != Array(cipher.seal(text, eventKey: eventKey, context: Array("c/phone".utf8)).prefix(12)))
        #expect(try cipher.open(sealed, eventKey: eventKey, context: Array("c/email".utf8)) == text)
        #expect(throws: AESGCM.OpenError.self) { try cipher.open(sealed, eventKey: eventKey, context: Array("c/phone".utf8)) }
        #expect(throws: AESGCM.OpenError.self) { try cipher.open(sealed, eventKey: dataKey, context: Array("c/email".utf8)) }
    }

    @Test("Field sealing matches its specification byte for byte, so logs sealed by any build keep opening")
    func fieldCipherKnownAnswer() throws {
        // Computed independently (Python's hmac, hashlib and cryptography's AESGCM) from the
        // layout documented on FieldCipher: event key = HMAC-SHA-256(data key, "cairn.event.v1\0" ‖
        // event id); nonce = SHA-256(event key ‖ "cairn.nonce.v1\0" ‖ u32be(|context|) ‖ context ‖
        // plaintext)[0..<12]; sealed = nonce ‖ AES-256-GCM(event key, nonce, plaintext, aad: context).
        let cipher = FieldCipher()
        let eventKey = cipher.eventKey(dataKey: Array(0..<32), eventId: Array(repeating: 7, count: 16))
        #expect(hex(eventKey) == "92cd1dbf7db2a5fcd08a17cbbcd01258992e97bfa19910973b82837cbf1784a7")
        let sealed = cipher.seal(Array("\"ada@example.org\"".utf8), eventKey: eventKey, context: Array("c/email".utf8))
        #expect(hex(sealed) == "b1421c7c2b40003cc0672f6d1190b65c02025423bb8ca09bc453adb51009ea1bb773d855c6afc2ab90ddce4749")
        // One context reused — sealing again under the same key (which sets only the nonce),
        // under another key, and after opening — seals exactly what a fresh one does.
        let otherKey = cipher.eventKey(dataKey: Array(32..<64), eventId: Array(repeating: 7, count: 16))
        let text = Array("\"ada@example.org\"".utf8)
        let fresh = FieldCipher().seal(Array("\"bob\"".utf8), eventKey: eventKey, context: Array("c/name".utf8))
        #expect(cipher.seal(Array("\"bob\"".utf8), eventKey: eventKey, context: Array("c/name".utf8)) == fresh)
        let other = cipher.seal(text, eventKey: otherKey, context: Array("c/email".utf8))
        #expect(other == FieldCipher().seal(text, eventKey: otherKey, context: Array("c/email".utf8)))
        #expect(try cipher.open(other, eventKey: otherKey, context: Array("c/email".utf8)) == text)
        #expect(cipher.seal(text, eventKey: eventKey, context: Array("c/email".utf8)) == sealed)
        #expect(try cipher.open(sealed, eventKey: eventKey, context: Array("c/email".utf8)) == text)
        #expect(cipher.seal(text, eventKey: otherKey, context: Array("c/email".utf8)) == other)
        #expect(cipher.seal(text, eventKey: otherKey, context: Array("c/email".utf8)) == other)
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("Months: from timestamps, to and from yyyy-mm, across years and before 1970")
    func months() {
        #expect(KeyMonth(Timestamp(rfc3339: "2026-11-23T10:00:00Z")!).description == "2026-11")
        #expect(KeyMonth(Timestamp(rfc3339: "2026-12-31T23:59:59.999Z")!).description == "2026-12")
        #expect(KeyMonth(Timestamp(rfc3339: "2027-01-01T00:00:00Z")!).description == "2027-01")
        #expect(KeyMonth(Timestamp(rfc3339: "1969-12-31T23:59:59Z")!).description == "1969-12")
        #expect(KeyMonth("2024-02")!.adding(months: 11).description == "2025-01")
        #expect(KeyMonth("2024-13") == nil && KeyMonth("24-01") == nil)
        #expect(DataKeyID("c_1/activity") == DataKeyID(owner: "c_1", scope: "activity"))
        #expect(DataKeyID("c_1") == nil && DataKeyID("c_1/a/b") == nil)
        #expect(DataKeyID("/activity") == nil && DataKeyID("c_1/") == nil && DataKeyID("") == nil)
        #expect(KeyMonth("1970-01")?.index == 0 && KeyMonth("2026-12")?.index == 56 * 12 + 11)
        for malformed in ["2024-00", "2024-1", "2024-012", "2024/01", "20a4-01", "2024-0x", "+024-01", "", "2024-01 "] {
            #expect(KeyMonth(Substring(malformed)) == nil, "\(malformed)")
        }
    }

    @Test("Keys survive reopening, only with their master key; an erased owner's keys are gone from every file and never remade")
    func lifecycle() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let month = KeyMonth("2026-11")!
            let ada = DataKeyID(owner: "c_ada", scope: "customer")
            let adaNotes = DataKeyID(owner: "c_ada", scope: "activity")
            let grace = DataKeyID(owner: "c_grace", scope: "customer")
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            _ = try store.sealingKeys(for: [ada, adaNotes, grace], month: month)
            let adaKey = try store.sealingKey(for: ada, month: month)
            #expect(adaKey.month == month)
            let graceKey = try #require(try store.openingKey(for: grace, month: month))
            #expect(try store.openingKey(for: ada, month: month) == adaKey.key)
            #expect { try store.openingKey(for: DataKeyID(owner: "c_nobody", scope: "customer"), month: month) } throws: {
                ($0 as? DataKeyError)?.code == .missing
            }
            store.close()
            let raw = try LMDBEnvironment(path: dir + "/keys")
            let keysDatabase = try raw.database("keys")
            let wrapped = try raw.read { txn in Array(try #require(try txn.get(keysDatabase, Array("c_ada/customer".utf8)))) }
            raw.close()

            #expect { try DataKeyStore(directory: dir + "/keys", master: MasterKey.generate()) } throws: {
                ($0 as? DataKeyError)?.code == .wrongMasterKey
            }
            let reopened = try DataKeyStore(directory: dir + "/keys", master: master)
            #expect(try reopened.openingKey(for: ada, month: month) == adaKey.key)
            #expect(try reopened.erase(owners: ["c_ada"], at: Timestamp(microsecondsSinceEpoch: 1)).count == 2)
            #expect(try reopened.erasure(of: "c_ada") == Timestamp(microsecondsSinceEpoch: 1))
            #expect(try reopened.openingKey(for: ada, month: month) == nil)
            #expect(try reopened.openingKey(for: adaNotes, month: month.adding(months: 3)) == nil)
            #expect { try reopened.sealingKey(for: DataKeyID(owner: "c_ada", scope: "case"), month: month) } throws: {
                ($0 as? DataKeyError)?.code == .destroyed
            }
            #expect(try reopened.openingKey(for: grace, month: month) == graceKey)
            #expect(try reopened.keyCount() == 1)
            reopened.close()

            // Neither the key nor its wrapped form is anywhere under the directory.
            let files = try FileManager.default.subpathsOfDirectory(atPath: dir).map { dir + "/" + $0 }
            #expect(files.contains { $0.hasSuffix("data.mdb") })
            for file in files {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                let holdsKey = contains([UInt8](bytes), adaKey.key)
                let holdsWrapped = contains([UInt8](bytes), wrapped)
                #expect(!holdsKey, "\(file) holds the destroyed key")
                #expect(!holdsWrapped, "\(file) holds the destroyed key, wrapped")
            }
        }
    }

    @Test("Threads making, reading and erasing keys at once agree on every key, and an erased owner's keys never come back")
    func concurrentThreads() async throws {
        try await withTemporaryDirectory { dir in
            // Caches smaller than the 40 owners, so threads also meet evictions.
            let store = try DataKeyStore(directory: dir + "/keys", master: .generate(), cacheLimit: 16)
            defer { store.close() }
            let month = KeyMonth("2026-11")!
            let owners = (0..<40).map { "c_\($0)" }
            let erased = Set(owners.prefix(10))
            let seen = Mutex<[DataKeyID: Set<[UInt8]>]>([:])
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 9) { worker in
                if worker == 8 {
                    // One thread erases while the others make and read keys.
                    do { try store.erase(owners: erased.sorted(), at: Timestamp(microsecondsSinceEpoch: 1)) } catch {
                        failures.withLock { $0.append("erase: \(error)") }
                    }
                    return
                }
                for round in 0..<60 {
                    let ids = Set(
                        (0..<5).map { DataKeyID(owner: owners[(worker * 7 + round * 3 + $0 * 11) % owners.count], scope: "customer") })
                    do {
                        let found = try store.sealingKeys(for: ids, month: month)
                        for (id, key) in found {
                            guard let key else {
                                if !erased.contains(id.owner) { failures.withLock { $0.append("\(id) shown erased") } }
                                continue
                            }
                            _ = seen.withLock { $0[id, default: []].insert(key.key) }
                            _ = try store.openingKey(for: id, month: month)
                        }
                    } catch let error as DataKeyError where error.code == .destroyed && ids.contains(where: { erased.contains($0.owner) }) {
                        continue  // made just as its owner was being erased: refused, as it must be
                    } catch {
                        failures.withLock { $0.append("\(ids): \(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            // Every thread was given the same key for an id.
            #expect(seen.withLock { $0.values.allSatisfy { $0.count == 1 } })
            for owner in owners {
                let id = DataKeyID(owner: owner, scope: "customer")
                if erased.contains(owner) {
                    #expect(try store.sealingKeys(for: [id], month: month)[id]! == nil)
                    #expect(try store.openingKey(for: id, month: month) == nil)
                } else {
                    let key = try store.sealingKey(for: id, month: month).key
                    #expect(seen.withLock { $0[id] }.map { $0 == [key] } ?? true)
                }
            }
            #expect(try store.keyCount() == owners.count - erased.count)
        }
    }

    @Test("Tasks making keys at once share the writer's flushes, agree on every key, and find them all after reopening")
    func groupCommittedTasks() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            let month = KeyMonth("2026-11")!
            try store.erase(owners: ["c_gone"], at: Timestamp(microsecondsSinceEpoch: 1))
            let results = try await withThrowingTaskGroup(of: [DataKeyID: [UInt8]?].self) { group in
                for task in 0..<16 {
                    group.addTask {
                        // Overlapping new ids, an erased owner, and a contact link each.
                        var ids = Set((0..<6).map { DataKeyID(owner: "c_\((task * 5 + $0) % 40)", scope: "customer") })
                        ids.insert(DataKeyID(owner: "c_gone", scope: "customer"))
                        let found = try await store.sealingKeys(
                            for: ids, month: month, linking: [(address: "t\(task)@example.org", owner: "c_\(task)")])
                        return found.mapValues { $0?.key }
                    }
                }
                return try await group.reduce(into: [[DataKeyID: [UInt8]?]]()) { $0.append($1) }
            }
            var agreed: [DataKeyID: [UInt8]] = [:]
            for found in results {
                for (id, key) in found {
                    if id.owner == "c_gone" {
                        #expect(key == nil)
                    } else if let key {
                        #expect(agreed[id] == nil || agreed[id] == key, "\(id) was given two keys")
                        agreed[id] = key
                    } else {
                        Issue.record("\(id) shown erased")
                    }
                }
            }
            store.close()
            let reopened = try DataKeyStore(directory: dir + "/keys", master: master)
            defer { reopened.close() }
            for (id, key) in agreed { #expect(try reopened.openingKey(for: id, month: month) == key) }
            #expect(try reopened.keyCount() == agreed.count)
            #expect(try reopened.contactOwners(of: "t3@example.org") == ["c_3"])
        }
    }

    @Test("Retention advances a key past the months it expires: they never open again, later months still do, held owners keep theirs")
    func retention() async throws {
        try await withTemporaryDirectory { dir in
            let store = try DataKeyStore(directory: dir + "/keys", master: MasterKey.generate())
            let start = KeyMonth("2024-01")!
            let ada = DataKeyID(owner: "c_ada", scope: "activity")
            let held = DataKeyID(owner: "c_held", scope: "activity")
            let profile = DataKeyID(owner: "c_ada", scope: "customer")
            _ = try store.sealingKeys(for: [ada, held, profile], month: start)
            let before = try (0..<6).map { try #require(try store.openingKey(for: ada, month: start.adding(months: $0))) }
            #expect(Set(before).count == 6)
            let heldKeys = try (0..<6).map { try store.openingKey(for: held, month: start.adding(months: $0)) }
            let profileKey = try store.openingKey(for: profile, month: start)

            let expired = try store.expire(scope: "activity", before: start.adding(months: 3), sparing: ["c_held"])
            #expect(expired == [ada])
            #expect(try (0..<3).map { try store.openingKey(for: ada, month: start.adding(months: $0)) } == [nil, nil, nil])
            #expect(try (3..<6).map { try store.openingKey(for: ada, month: start.adding(months: $0)) } == Array(before[3...]))
            #expect(try store.sealingKey(for: ada, month: start).month == start.adding(months: 3))
            #expect(try store.firstKeptMonth(of: ada) == start.adding(months: 3))
            #expect(try (0..<6).map { try store.openingKey(for: held, month: start.adding(months: $0)) } == heldKeys)
            #expect(try store.openingKey(for: profile, month: start) == profileKey)
            #expect(try store.expire(scope: "activity", before: start.adding(months: 3), sparing: []) == [held])
            store.close()

            for file in try FileManager.default.subpathsOfDirectory(atPath: dir).map({ dir + "/" + $0 }) {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                #expect(!contains([UInt8](bytes), before[0]), "\(file) holds an expired key")
            }
        }
    }

    @Test("Caches smaller than the keys in use keep every answer right: keys read back after eviction, erasure and retention still apply")
    func boundedCaches() async throws {
        try await withTemporaryDirectory { dir in
            // Four entries per cache against 24 owners, made and read over three months: every
            // lookup after the first few misses the cache, and a batch of keys larger than the
            // cache is made in one request.
            let store = try DataKeyStore(directory: dir + "/keys", master: MasterKey.generate(), cacheLimit: 4)
            let start = KeyMonth("2026-01")!
            let ids = (0..<24).map { DataKeyID(owner: "c_\($0)", scope: $0 % 2 == 0 ? "customer" : "activity") }
            let made = try store.sealingKeys(for: Set(ids), month: start)
            var keys: [DataKeyID: [[UInt8]]] = [:]
            for id in ids {
                let key = try #require(made[id] ?? nil)
                #expect(key.month == start)
                keys[id] = try (0..<3).map { try #require(try store.openingKey(for: id, month: start.adding(months: $0))) }
                #expect(keys[id]![0] == key.key)
            }
            #expect(Set(keys.values.flatMap { $0 }).count == 24 * 3)
            for id in ids.reversed() {
                #expect(try store.sealingKey(for: id, month: start.adding(months: 2)).key == keys[id]![2])
                #expect(try (0..<3).map { try store.openingKey(for: id, month: start.adding(months: $0)) } == keys[id]!)
            }
            // Erasure and retention reach keys whether or not they are cached at the time.
            #expect(try store.erase(owners: ["c_0", "c_23"], at: Timestamp(microsecondsSinceEpoch: 1)).count == 2)
            #expect(try store.expire(scope: "activity", before: start.adding(months: 1), sparing: []).count == 11)
            for id in ids {
                let opened = try (0..<3).map { try store.openingKey(for: id, month: start.adding(months: $0)) }
                if id.owner == "c_0" || id.owner == "c_23" {
                    #expect(opened == [nil, nil, nil])
                } else if id.scope == "activity" {
                    #expect(opened == [nil] + keys[id]![1...].map { Optional($0) })
                } else {
                    #expect(opened == keys[id]!.map { Optional($0) })
                }
            }
            store.close()
        }
    }

    @Test("Legal holds and fingerprints persist; a fingerprint is a keyed hash, not the value")
    func holdsAndFingerprints() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            try store.setHold("h1", on: "c_1", placed: true)
            try store.setHold("h2", on: "c_1", placed: true)
            try store.setHold("h1", on: "c_2", placed: true)
            try store.setHold("h1", on: "c_1", placed: false)
            try store.addFingerprint(of: "ada@example.org", at: Timestamp(microsecondsSinceEpoch: 5))
            store.close()
            let reopened = try DataKeyStore(directory: dir + "/keys", master: master)
            #expect(try reopened.heldOwners() == ["c_1", "c_2"])
            try reopened.setHold("h2", on: "c_1", placed: false)
            #expect(try reopened.heldOwners() == ["c_2"])
            #expect(try reopened.hasFingerprint(of: "ada@example.org"))
            #expect(try !reopened.hasFingerprint(of: "bob@example.org"))
            #expect(try reopened.fingerprintCount() == 1)
            reopened.close()
            for file in try FileManager.default.subpathsOfDirectory(atPath: dir).map({ dir + "/" + $0 }) {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                #expect(!contains([UInt8](bytes), Array("ada@example.org".utf8)))
            }
        }
    }

    @Test("A store opens where its parent directory does not exist yet (a master key from the environment, a fresh data directory)")
    func freshParent() async throws {
        try await withTemporaryDirectory { dir in
            let store = try DataKeyStore(directory: dir + "/data/keys", master: MasterKey.generate())
            #expect(try store.keyCount() == 0)
            store.close()
            #expect(FileManager.default.fileExists(atPath: dir + "/data/keys.lock"))
        }
    }

    @Test("Rotating the master key rewraps every data key; the old master no longer opens the store")
    func rotation() async throws {
        try await withTemporaryDirectory { dir in
            let old = MasterKey.generate()
            let new = MasterKey.generate()
            let month = KeyMonth("2026-01")!
            let store = try DataKeyStore(directory: dir + "/keys", master: old)
            let ids = (0..<50).map { DataKeyID(owner: "c_\($0)", scope: "customer") }
            _ = try store.sealingKeys(for: Set(ids), month: month)
            let keys = try ids.map { try store.openingKey(for: $0, month: month)! }
            try store.rotate(to: new)
            #expect(try ids.map { try store.openingKey(for: $0, month: month)! } == keys)
            store.close()
            #expect(throws: DataKeyError.self) { try DataKeyStore(directory: dir + "/keys", master: old) }
            let reopened = try DataKeyStore(directory: dir + "/keys", master: new)
            #expect(try reopened.openingKey(for: ids[7], month: month) == keys[7])
            reopened.close()
        }
    }

    @Test("The master key comes from the environment, else its file, else is made owner-only")
    func masterKeyResolution() async throws {
        try await withTemporaryDirectory { dir in
            let (made, created) = try MasterKey.resolve(environment: [:], file: dir + "/master.key")
            #expect(created)
            let mode = try FileManager.default.attributesOfItem(atPath: dir + "/master.key")[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let (read, createdAgain) = try MasterKey.resolve(environment: [:], file: dir + "/master.key")
            #expect(!createdAgain && read.id == made.id)
            let other = MasterKey.generate()
            let (fromEnvironment, _) = try MasterKey.resolve(environment: ["CAIRN_MASTER_KEY": other.base64], file: dir + "/master.key")
            #expect(fromEnvironment.id == other.id)
            #expect(throws: DataKeyError.self) { try MasterKey.resolve(environment: ["CAIRN_MASTER_KEY": "c2hvcnQ="], file: dir + "/x") }
        }
    }

    @Test("A compaction interrupted between its two renames is finished on open")
    func interruptedCompaction() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            let id = DataKeyID(owner: "c_1", scope: "customer")
            let key = try store.sealingKey(for: id, month: KeyMonth("2026-01")!).key
            store.close()
            // As if the process died after moving the old store aside and before moving the copy in.
            let env = try LMDBEnvironment(path: dir + "/keys")
            try env.copy(to: dir + "/keys.compacting", compact: true)
            env.close()
            try FileManager.default.moveItem(atPath: dir + "/keys", toPath: dir + "/keys.retired")
            let recovered = try DataKeyStore(directory: dir + "/keys", master: master)
            #expect(try recovered.openingKey(for: id, month: KeyMonth("2026-01")!) == key)
            #expect(!FileManager.default.fileExists(atPath: dir + "/keys.retired"))
            recovered.close()
        }
    }
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if Array(haystack[start..<(start + needle.count)]) == needle { return true }
    }
    return false
}

@Suite("Data keys shared between processes")
struct DataKeySharingTests {
    @Test("Erasure, retention and rotation are refused, changing nothing, while another process has the keys open")
    func twoProcesses() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            let id = DataKeyID(owner: "c_1", scope: "activity")
            let month = KeyMonth("2026-01")!
            // Another process holding the store open: a second open file description's shared lock.
            let other = try ProcessLock(path: dir + "/keys.lock")
            let theirs = try store.sealingKey(for: id, month: month).key
            #expect { try store.erase(owners: ["c_1"], at: Timestamp(microsecondsSinceEpoch: 1)) } throws: {
                ($0 as? DataKeyError)?.code == .busy
            }
            #expect { try store.expire(scope: "activity", before: month.adding(months: 1), sparing: []) } throws: {
                ($0 as? DataKeyError)?.code == .busy
            }
            #expect { try store.rotate(to: .generate()) } throws: { ($0 as? DataKeyError)?.code == .busy }
            #expect(try store.openingKey(for: id, month: month) == theirs, "a refused erasure changes nothing")
            other.release()
            #expect(try store.erase(owners: ["c_1"], at: Timestamp(microsecondsSinceEpoch: 1)).count == 1)
            store.close()
        }
    }
}
