import CLMDB
import Foundation
import Testing

@testable import CairnStore

@Suite("Integrity and storage")
struct IntegrityTests {
    @Test("An intact log verifies, and verification resumes after the verified prefix")
    func verifyResumes() async throws {
        try await withLog { log, _ in
            for i in 0..<50 { try await log.append([event("x.Y", #"{"i":\#(i)}"#)], to: "s-\(i % 5)") }
            let first = try await log.verify()
            #expect(first.isIntact)
            #expect(first.verifiedThrough == 50)
            #expect(first.recordsChecked == 50)
            #expect(try log.verifiedPrefix()?.position == 50)
            for _ in 0..<7 { try await log.append([event()], to: "s-1") }
            let second = try await log.verify()
            #expect(second.isIntact)
            #expect(second.checkedFrom == 51)
            #expect(second.recordsChecked == 7)
            #expect(second.verifiedThrough == 57)
            let full = try await log.verify(full: true)
            #expect(full.recordsChecked == 57)
        }
    }

    /// Offsets into record 37: the format byte, the position, the event id, the stream id, the
    /// payload, and the stored hash.
    @Test("One changed byte of one stored record is found at its position", arguments: [0, 3, 20, 56, -40, -1])
    func tampering(offset: Int) async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let log = try EventLog(directory: path)
            for i in 0..<100 { try await log.append([event("x.Y", #"{"i":\#(i)}"#)], to: "s-\(i % 3)") }
            #expect(try await log.verify().isIntact)
            await log.close()

            // Change one byte through raw LMDB, below the log's own API.
            let env = try LMDBEnvironment(path: path)
            let events = try env.database("events")
            try env.write { txn in
                var record = Array(try #require(try txn.get(events, UInt64(37))))
                let at = offset >= 0 ? offset : record.count + offset
                record[at] ^= 0x01
                try txn.put(events, [UInt8].bigEndian(37), record)
            }
            env.close()

            let reopened = try EventLog(directory: path)
            let report = try await reopened.verify(full: true)
            #expect(report.firstBadPosition == 37)
            #expect(report.verifiedThrough == 36)
            // Resuming from the remembered prefix (100) notices too, since it re-checks that record only;
            // but a full walk is what names the position.
            await reopened.close()
        }
    }

    @Test("A missing record is a gap verify names")
    func gap() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let log = try EventLog(directory: path)
            for _ in 0..<10 { try await log.append([event()], to: "s-1") }
            await log.close()
            let env = try LMDBEnvironment(path: path)
            let events = try env.database("events")
            try env.write { txn in try txn.delete(events, [UInt8].bigEndian(4)) }
            env.close()
            let reopened = try EventLog(directory: path)
            let report = try await reopened.verify(full: true)
            #expect(report.firstBadPosition == 4)
            await reopened.close()
        }
    }

    @Test("A log opened with a tiny map grows past it without an error")
    func mapGrowth() async throws {
        var options = EventLog.Options()
        options.initialMapSize = 64 * 4096
        try await withLog(options) { log, path in
            let payload = #"{"note":""# + String(repeating: "x", count: 400) + #""}"#
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        for i in 0..<250 {
                            try await log.append((0..<4).map { _ in event("x.Grew", payload) }, to: "s-\(w)-\(i % 10)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stats = try log.stats()
            #expect(stats.events == 4000)
            #expect(stats.mapSize > 64 * 4096)
            #expect(try await log.verify(full: true).isIntact)
            // Readers keep working across growth.
            #expect(try log.read(from: 1, limit: 5000).events.count == 4000)
        }
    }

    @Test("Reopening keeps the chain: head, hash and versions continue")
    func reopen() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            var log = try EventLog(directory: path)
            try await log.append([event(), event()], to: "s-1")
            await log.close()
            log = try EventLog(directory: path)
            #expect(log.committedThrough == 2)
            let result = try await log.append([event()], to: "s-1", expecting: .exact(2))
            #expect(result.positions == [3])
            #expect(try await log.verify(full: true).isIntact)
            let stats = try log.stats()
            #expect(stats.head == 3)
            #expect(stats.streams == 1)
            await log.close()
        }
    }

    @Test("Appends after close are refused")
    func closed() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EventLog(directory: dir + "/log")
            await log.close()
            #expect(await logError(.closed) { try await log.append([event()], to: "s-1") })
        }
    }

    @Test(
        "Timestamps parse and print RFC 3339 with microseconds",
        arguments: [
            ("2026-11-23T05:13:14Z", Int64(1_795_410_794_000_000)),
            ("2026-11-23T05:13:14.123456Z", 1_795_410_794_123_456),
            ("2026-11-23T06:13:14.5+01:00", 1_795_410_794_500_000),
        ])
    func timestamps(text: String, micros: Int64) throws {
        let parsed = try #require(Timestamp(rfc3339: text))
        #expect(parsed.microsecondsSinceEpoch == micros)
        #expect(Timestamp(rfc3339: parsed.rfc3339) == parsed)
    }

    @Test("Malformed timestamps are refused", arguments: ["2026-02-30T00:00:00Z", "2026-11-23", "2026-11-23T05:13:14", "x"])
    func badTimestamps(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}

@Suite("Indexes: the in-memory overlay and its folds into LMDB")
struct LogIndexTests {
    @Test("Reads agree with the records across folds, at every fold threshold", arguments: [1, 7, 64, 100_000])
    func readsAcrossFolds(threshold: Int) async throws {
        var options = EventLog.Options()
        options.indexFoldThreshold = threshold
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            var log = try EventLog(directory: path, options: options)
            var ids: [UUID] = []
            for i in 0..<150 {
                let e = event("x.Y", #"{"i":\#(i)}"#, subject: "customer-\(i % 4)")
                ids.append(e.id)
                try await log.append([e], to: "s-\(i % 5)", expecting: .exact(UInt64(i / 5)))
                if i == 75 {  // reopen halfway: the overlay is rebuilt from the records
                    await log.close()
                    log = try EventLog(directory: path, options: options)
                }
            }
            for s in 0..<5 {
                let events = try log.readStream("s-\(s)")
                #expect(events.map(\.streamVersion) == Array(1...30))
                #expect(events.map(\.position) == (0..<30).map { UInt64($0 * 5 + s + 1) })
                #expect(
                    try log.readStream("s-\(s)", from: .max, direction: .backwards, limit: 40).map(\.streamVersion)
                        == Array((1...30).reversed()))
                #expect(try log.readStream("s-\(s)", from: 17, direction: .backwards, limit: 3).map(\.streamVersion) == [17, 16, 15])
                #expect(try log.readStream("s-\(s)", from: 28).map(\.streamVersion) == [28, 29, 30])
                #expect(try log.streamVersion("s-\(s)") == 30)
            }
            for (i, id) in ids.enumerated() { #expect(try log.event(id: id)?.position == UInt64(i + 1)) }
            #expect(try log.positions(subject: "customer-1") == stride(from: 2, through: 150, by: 4).map(UInt64.init))
            #expect(try log.positions(subject: "customer-1", from: 100, limit: 3) == [102, 106, 110])
            #expect(try log.stats().streams == 5)
            // Idempotency and expected versions see folded and unfolded events alike.
            let retry = try await log.append(
                [NewEvent(id: ids[3], type: "x.Y", payload: Array(#"{"i":3}"#.utf8), subject: "customer-3")], to: "s-3")
            #expect(retry.wasAlreadyStored && retry.positions == [4])
            #expect(await logError(.wrongExpectedVersion) { try await log.append([event()], to: "s-0", expecting: .exact(29)) })
            if threshold == 64 {
                // A commit folds only the overlay's oldest eighth once it holds the threshold,
                // so it keeps between 56 and 63 entries in memory.
                #expect((56...63).contains(150 - (try log.stats().indexedThrough)))
            }
            await log.close()
            let reopened = try EventLog(directory: path, options: options)
            #expect(try reopened.stats().indexedThrough == 150)
            #expect(try reopened.readStream("s-4").count == 30)
            await reopened.close()
        }
    }
}
