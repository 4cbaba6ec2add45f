import Foundation
import Testing

@testable import CairnStore

@Suite("The cairn command line")
struct CommandLineTests {
    @Test("Append, read, tail, verify and stats work together")
    func roundTrip() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let appended = try await cairn([
            "log", "append", "--data", data, "--stream", "customer-1", "--type", "demo.Registered", #"{"name":"Ada"}"#,
            #"{"name":"Grace"}"#,
        ])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.lines.count == 2)
        #expect(appended.lines[0].contains(#""position":1"#))

        let input = """
            {"stream":"customer-2","type":"demo.Registered","payload":{"name":"Edsger"},"expectedVersion":"no_stream","subject":"customer-2"}
            {"stream":"customer-2","type":"demo.Tagged","payload":{"tag":"vip"},"expectedVersion":1}

            """
        let piped = try await cairn(["log", "append", "--data", data], input: input)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.lines.count == 2)
        #expect(piped.lines[1].contains(#""position":4,"stream":"customer-2","version":2"#))

        let stream = try await cairn(["log", "read", "--data", data, "--stream", "customer-2"])
        #expect(stream.lines.count == 2)
        #expect(stream.lines[0].contains(#""payload":{"name":"Edsger"}"#))
        #expect(stream.lines[0].contains(#""subject":"customer-2""#))

        let backwards = try await cairn(["log", "read", "--data", data, "--stream", "customer-1", "--backwards", "--limit", "1"])
        #expect(backwards.lines.count == 1 && backwards.lines[0].contains(#""version":2"#))

        let filtered = try await cairn(["log", "read", "--data", data, "--types", "demo.Tagged"])
        #expect(filtered.lines.count == 1)

        let tail = try await cairn(["log", "tail", "--data", data, "--from", "2", "--limit", "3"])
        #expect(tail.status == 0)
        #expect(tail.lines.map { $0.hasPrefix(#"{"position":"#) } == [true, true, true])
        #expect(tail.lines[0].hasPrefix(#"{"position":2,"#))

        let verify = try await cairn(["log", "verify", "--data", data, "--json"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains(#""intact":true"#))

        let stats = try await cairn(["log", "stats", "--data", data, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["head"] as? Int == 4)
        #expect(object?["streams"] as? Int == 2)
    }

    @Test(
        "Bad input: a non-zero exit, one readable line, nothing written",
        arguments: [
            (["log", "append", "--stream", "bad id", "--type", "a.B", "{}"], ""),
            (["log", "append", "--stream", "s-1", "--type", "NoDot", "{}"], ""),
            (["log", "append", "--stream", "s-1", "--type", "a.B", "{not json"], ""),
            (["log", "append"], "{\"stream\":\"s-1\"}\n"),
            (["log", "append"], "not json\n"),
            (["log", "append"], "{\"stream\":\"s-1\",\"type\":\"a.B\",\"expectedVersion\":\"sometimes\"}\n"),
            (["log", "append"], "{\"stream\":\"s-1\",\"type\":\"a.B\",\"expectedVersion\":3}\n"),
            (["log", "append"], "{\"stream\":\"s-1\",\"type\":\"a.B\",\"expectedVersion\":true}\n"),
            (["log", "append", "--stream", "customer-1", "--type", "customers.CustomerTagged", "{\"tag\":\"vip\"}"], ""),
            (["log", "append", "--stream", "customer-1", "--type", "customers.NoSuchEvent", "{}"], ""),
            (["log", "read", "--id", "not-a-uuid"], ""),
        ])
    func badInput(arguments: [String], input: String) async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try await cairn(arguments + ["--data", data], input: input)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        // Nothing written: no log at all, or an empty one.
        if FileManager.default.fileExists(atPath: data + "/log/data.mdb") {
            let stats = try await cairn(["log", "stats", "--data", data, "--json"])
            #expect(stats.stdout.contains(#""head":0"#))
        }
    }

    @Test(
        "Commands that read refuse a data directory with no log, rather than creating one",
        arguments: [
            ["log", "verify"], ["log", "read"], ["log", "stats"],
        ])
    func missingLog(arguments: [String]) async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try await cairn(arguments + ["--data", data + "/typo"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no log at \(data)/typo/log"))
        #expect(!FileManager.default.fileExists(atPath: data + "/typo"))
    }

    @Test("tail follows a log that does not exist yet, as the service will create it")
    func tailCreates() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let appender = Task { try await cairn(["log", "append", "--data", data, "--stream", "s-1", "--type", "a.B", "{}", "{}"]) }
        let tail = try await cairn(["log", "tail", "--data", data, "--limit", "2"])
        #expect(tail.status == 0, "\(tail.stderr)")
        #expect(tail.lines.count == 2)
        _ = try await appender.value
    }

    @Test("With appends in flight, a failing line still leaves every stored event acknowledged")
    func failureMidStream() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var lines = (0..<200).map { #"{"stream":"s-\#($0 % 7)","type":"a.B","payload":{"i":\#($0)}}"# }
        lines[100] = #"{"stream":"s-1","type":"a.B","expectedVersion":"no_stream","payload":{}}"#
        let result = try await cairn(["log", "append", "--data", data, "--concurrency", "64"], input: lines.joined(separator: "\n") + "\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains("line 101"))
        let stats = try await cairn(["log", "stats", "--data", data, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["events"] as? Int == result.lines.count)
    }

    @Test("A broken chain makes verify exit non-zero, naming the position")
    func verifyFailureExits() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let payloads = (1...10).map { #"{"n":\#($0)}"# }
        let appended = try await cairn(["log", "append", "--data", data, "--stream", "s-1", "--type", "a.B"] + payloads)
        #expect(appended.lines.count == 10)
        let intact = try await cairn(["log", "verify", "--data", data])
        #expect(intact.status == 0)
        #expect(intact.stdout.hasPrefix("intact: positions 1…10"))

        let env = try LMDBEnvironment(path: data + "/log")
        let events = try env.database("events")
        try env.write { txn in
            var record = Array(try #require(try txn.get(events, UInt64(5))))
            record[record.count - 50] ^= 0x20
            try txn.put(events, Array(withUnsafeBytes(of: UInt64(5).bigEndian) { Array($0) }), record)
        }
        env.close()

        let broken = try await cairn(["log", "verify", "--data", data, "--full"])
        #expect(broken.status == 1)
        #expect(broken.stdout.hasPrefix("broken at position 5"))
    }
}

@Suite("Two processes on one log")
struct TwoProcessTests {
    @Test("Another process reads what this one has not folded yet, and appends without a position clash")
    func sharedLog() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = try EventLog(directory: data + "/log")
        for i in 0..<20 {
            try await log.append([NewEvent(id: UUID(), type: "a.B", payload: Array(#"{"i":\#(i)}"#.utf8))], to: "shared-1")
        }
        let read = try await cairn(["log", "read", "--data", data, "--stream", "shared-1"])
        #expect(read.lines.count == 20)

        let appended = try await cairn([
            "log", "append", "--data", data, "--stream", "shared-1", "--type", "a.C", "--expected-version", "20", "{}",
        ])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.lines.first?.contains(#""position":21,"stream":"shared-1","version":21"#) == true)

        let mine = try await log.append([NewEvent(id: UUID(), type: "a.D", payload: [])], to: "shared-1", expecting: .exact(21))
        #expect(mine.positions == [22])
        #expect(try await log.verify(full: true).isIntact)
        await log.close()
    }
}

@Suite("Projections and replay from the command line")
struct ProjectionsCommandLineTests {
    @Test("bench replay builds a realistic log and reports every figure as JSON")
    func replayBench() async throws {
        let result = try await cairn(["bench", "replay", "--events", "1500", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["events"] as? Int ?? 0) >= 1350)
        #expect(object["replay_all"] != nil)
    }

    @Test("projections status and list run against a data directory")
    func statusAndList() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        _ = try await cairn(["log", "append", "--data", data, "--stream", "s-1", "--type", "a.B", "{}"])
        let status = try await cairn(["projections", "status", "--data", data, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let list = try await cairn(["projections", "list"])
        #expect(list.status == 0)
        let unknown = try await cairn(["projections", "rebuild", "nope", "--data", data])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no read model named nope"))
    }
}
