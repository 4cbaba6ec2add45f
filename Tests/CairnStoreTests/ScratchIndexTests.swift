import Foundation
import Testing

@testable import CairnStore

@Suite("Scratch index: a first-come map on disk, gone on close")
struct ScratchIndexTests {
    @Test("each key keeps the value it came with first, within a batch and across batches; the map grows; close deletes it")
    func firstComeAndGone() throws {
        let index = try ScratchIndex(label: "test")
        #expect(try index.insert([(Array("a".utf8), 1), (Array("b".utf8), 2), (Array("a".utf8), 3)]) == [nil, nil, 1])
        #expect(try index.insert([(Array("b".utf8), 4), (Array("c".utf8), 5)]) == [2, nil])
        #expect(try index.insert([]) == [])

        // More than the initial 16 MiB map holds: the write grows it and runs again.
        let keys = (0..<300_000).map { n in withUnsafeBytes(of: UInt64(n).bigEndian) { Array($0) } + [UInt8](repeating: 7, count: 40) }
        var firsts: [UInt64?] = []
        for start in stride(from: 0, to: keys.count, by: 50_000) {
            firsts += try index.insert(keys[start..<(start + 50_000)].enumerated().map { ($1, UInt64(start + $0)) })
        }
        #expect(firsts.allSatisfy { $0 == nil })
        #expect(try index.insert([(keys[123_456], 0), (keys[0], 0)]) == [123_456, 0])

        #expect(FileManager.default.fileExists(atPath: index.directory + "/data.mdb"))
        index.close()
        index.close()
        #expect(!FileManager.default.fileExists(atPath: index.directory), "the index's directory is deleted on close")
    }
}
