import Foundation
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

    @Test("Keys survive reopening, only with their master key; a destroyed key is gone from every file and never remade")
    func lifecycle() async throws {
        try await withTemporaryDirectory { dir in
            let master = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: master)
            let ada = try #require(try store.key(for: "c_ada", create: true))
            let grace = try #require(try store.key(for: "c_grace", create: true))
            #expect(try store.key(for: "c_nobody", create: false) == nil)
            #expect(try store.key(for: "c_ada", create: true) == ada)
            store.close()
            let raw = try LMDBEnvironment(path: dir + "/keys")
            let keysDatabase = try raw.database("keys")
            let wrapped = try raw.read { txn in Array(try #require(try txn.get(keysDatabase, Array("c_ada".utf8)))) }
            raw.close()

            #expect { try DataKeyStore(directory: dir + "/keys", master: MasterKey.generate()) } throws: {
                ($0 as? DataKeyError)?.code == .wrongMasterKey
            }
            let reopened = try DataKeyStore(directory: dir + "/keys", master: master)
            #expect(try reopened.key(for: "c_ada", create: false) == ada)
            #expect(try reopened.destroy("c_ada", at: Timestamp(microsecondsSinceEpoch: 1)))
            #expect(try !reopened.destroy("c_ada", at: Timestamp(microsecondsSinceEpoch: 2)))
            #expect(try reopened.isDestroyed("c_ada"))
            #expect { try reopened.key(for: "c_ada", create: true) } throws: { ($0 as? DataKeyError)?.code == .destroyed }
            #expect(try reopened.key(for: "c_grace", create: false) == grace)
            #expect(try reopened.subjectCount() == 1)
            reopened.close()

            // Neither the key nor its wrapped form is anywhere under the directory.
            let files = try FileManager.default.subpathsOfDirectory(atPath: dir).map { dir + "/" + $0 }
            #expect(files.contains { $0.hasSuffix("data.mdb") })
            for file in files {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                let holdsKey = contains([UInt8](bytes), ada)
                let holdsWrapped = contains([UInt8](bytes), wrapped)
                #expect(!holdsKey, "\(file) holds the destroyed key")
                #expect(!holdsWrapped, "\(file) holds the destroyed key, wrapped")
            }
        }
    }

    @Test("Rotating the master key rewraps every data key; the old master no longer opens the store")
    func rotation() async throws {
        try await withTemporaryDirectory { dir in
            let old = MasterKey.generate()
            let new = MasterKey.generate()
            let store = try DataKeyStore(directory: dir + "/keys", master: old)
            let keys = try (0..<50).map { try store.key(for: "c_\($0)", create: true)! }
            try store.rotate(to: new)
            #expect(try (0..<50).map { try store.key(for: "c_\($0)", create: false)! } == keys)
            store.close()
            #expect(throws: DataKeyError.self) { try DataKeyStore(directory: dir + "/keys", master: old) }
            let reopened = try DataKeyStore(directory: dir + "/keys", master: new)
            #expect(try reopened.key(for: "c_7", create: false) == keys[7])
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
            let key = try #require(try store.key(for: "c_1", create: true))
            store.close()
            // As if the process died after moving the old store aside and before moving the copy in.
            let env = try LMDBEnvironment(path: dir + "/keys")
            try env.copy(to: dir + "/keys.compacting", compact: true)
            env.close()
            try FileManager.default.moveItem(atPath: dir + "/keys", toPath: dir + "/keys.retired")
            let recovered = try DataKeyStore(directory: dir + "/keys", master: master)
            #expect(try recovered.key(for: "c_1", create: false) == key)
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
