import Foundation
import Testing

@testable import CairnStore

private struct MissingField: Error { var key: String }

private func object(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { throw MissingField(key: "{}") }
    return object
}

private func field<T>(_ object: [String: Any], _ key: String, as: T.Type = T.self) throws -> T {
    guard let value = object[key] as? T else { throw MissingField(key: key) }
    return value
}

private func digest(_ object: [String: Any], _ key: String) throws -> SHA256Digest {
    guard let digest = SHA256Digest(hex: try field(object, key)) else { throw MissingField(key: key) }
    return digest
}

private func base64(_ object: [String: Any], _ key: String) throws -> [UInt8] {
    guard let data = Data(base64Encoded: try field(object, key, as: String.self)) else { throw MissingField(key: key) }
    return [UInt8](data)
}

@Suite("Tree heads and proofs from the command line")
struct TreeCommandTests {
    @Test("tree-head --sign, prove and consistency print what an outsider can check with the public key alone")
    func signAndProve() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let payloads = (1...40).map { #"{"n":\#($0)}"# }
        let appended = try await cairn(["log", "append", "--data", data, "--stream", "thing-1", "--type", "demo.Counted"] + payloads)
        #expect(appended.status == 0, "\(appended.stderr)")

        let signed = try await cairn(["log", "tree-head", "--data", data, "--sign", "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("made a new Ed25519 tree-head signing key"))
        let head = try object(signed.stdout)
        let publicKey = try base64(head, "publicKey")
        let sth = SignedTreeHead(
            treeSize: UInt64(try field(head, "treeSize", as: Int.self)), rootHash: try digest(head, "rootHash"),
            timestamp: try #require(Timestamp(rfc3339: try field(head, "timestamp"))), keyId: try field(head, "keyId"),
            signature: try base64(head, "signature"))
        #expect(sth.treeSize == 40)
        #expect(sth.verify(publicKey: publicKey))

        let proved = try await cairn(["log", "prove", "17", "--data", data])
        #expect(proved.status == 0, "\(proved.stderr)")
        let proof = try object(proved.stdout)
        let inclusion = InclusionProof(
            position: 17, treeSize: 40, recordHash: try digest(proof, "recordHash"),
            path: try field(proof, "path", as: [String].self).compactMap(SHA256Digest.init(hex:)))
        #expect(inclusion.verify(root: sth.rootHash))

        let more = try await cairn(["log", "append", "--data", data, "--stream", "thing-1", "--type", "demo.Counted", #"{"n":41}"#])
        #expect(more.status == 0)
        let consistent = try await cairn(["log", "consistency", "40", "--data", data])
        let extended = try object(consistent.stdout)
        let secondRoot = try digest(extended, "secondRoot")
        let consistency = ConsistencyProof(
            firstSize: 40, secondSize: 41, path: try field(extended, "path", as: [String].self).compactMap(SHA256Digest.init(hex:)))
        #expect(consistency.verify(firstRoot: sth.rootHash, secondRoot: secondRoot))

        let beyond = try await cairn(["log", "prove", "99", "--data", data])
        #expect(beyond.status != 0)
        #expect(beyond.stderr.split(separator: "\n").count == 1)
        #expect(beyond.stderr.contains("position 99 is not in a tree of 41 records"))
    }
}
