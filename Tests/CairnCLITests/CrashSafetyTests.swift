import CairnStore
import CairnTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Crash safety")
struct CrashSafetyTests {
    /// One round: a child `cairn log append` appends what we feed it and prints each
    /// acknowledged position; after a random number of acknowledgements it is killed with
    /// SIGKILL. Returns the acknowledged events: id → (position, payload).
    static func killedAppender(data: String, round: Int, killAfter: Int) throws -> [UUID: (UInt64, [UInt8])] {
        let process = try ChildProcess(
            executable: cairnExecutable.path, arguments: ["log", "append", "--data", data, "--concurrency", "32"],
            standardError: .null)
        let fd = process.standardInput

        let sent = Mutex<[UUID: [UInt8]]>([:])
        let fed = DispatchSemaphore(value: 0)
        let feeder = Thread {
            defer { fed.signal() }
            var i = 0
            while true {
                let id = UUID()
                let payload = #"{"i":\#(i),"round":\#(round)}"#
                sent.withLock { $0[id] = Array(payload.utf8) }
                let line = #"{"stream":"crash-\#(i % 8)","type":"test.Appended","id":"\#(id.uuidString)","payload":\#(payload)}"# + "\n"
                let written = line.withCString { write(fd, $0, strlen($0)) }
                if written <= 0 { return }  // the child is gone (EPIPE)
                i += 1
            }
        }
        feeder.start()

        var acknowledged: [UUID: (UInt64, [UInt8])] = [:]
        var reader = LineReader(fd: process.standardOutput)
        while let line = reader.next() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let id = UUID(uuidString: object["id"] as! String)!
            let payload = sent.withLock { $0[id] }!
            acknowledged[id] = ((object["position"] as! NSNumber).uint64Value, payload)
            if acknowledged.count == killAfter { kill(process.pid, SIGKILL) }
        }
        try process.wait()
        // The feeder stops at EPIPE now the child is gone; close its descriptor only after that.
        fed.wait()
        process.closeStreams()
        return acknowledged
    }

    @Test("Killed with SIGKILL at random moments, the log reopens intact with every acknowledged event")
    func sigkill() async throws {
        signal(SIGPIPE, SIG_IGN)
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var seed = SystemRandomNumberGenerator()
        var everything: [UUID: (UInt64, [UInt8])] = [:]
        for round in 0..<24 {
            let killAfter = Int.random(in: 1...400, using: &seed)
            let acknowledged = try await onThread {
                try Self.killedAppender(data: data, round: round, killAfter: killAfter)
            }
            #expect(acknowledged.count >= killAfter, "round \(round): killed after \(killAfter) acknowledgements")
            everything.merge(acknowledged) { a, _ in a }

            let log = try EventLog(directory: data + "/log")
            let report = try await log.verify(full: true)
            #expect(report.isIntact, "round \(round): \(report.problem ?? "")")
            let head = try log.head()
            let all = try log.read(from: 1, limit: Int(head) + 1).events
            #expect(all.map(\.position) == Array(1...head), "round \(round): positions are not gapless")
            for (id, (position, payload)) in everything {
                let stored = try log.event(id: id)
                #expect(stored?.position == position, "round \(round): acknowledged event \(id) missing")
                #expect(stored?.payload == payload)
            }
            await log.close()
        }
        #expect(everything.count >= 24)
    }
}
