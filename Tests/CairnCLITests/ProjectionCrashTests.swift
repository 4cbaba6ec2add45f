import CairnTestSupport
import Foundation
import Testing

@Suite("Projection crash safety")
struct ProjectionCrashTests {
    static let names = [
        "campaign-performance", "customer-360", "customer-analysis", "customer-timeline", "sales-pipeline", "service-desk",
    ]

    /// Starts `cairn projections rebuild --all --json` and kills it with SIGKILL as soon as it
    /// reports a build in progress (every 10 ms), so mid-batch in one of the first rebuilds.
    /// Returns whether it was killed.
    static func killedRebuild(data: String) throws -> Bool {
        let process = try ChildProcess(
            executable: cairnExecutable.path,
            arguments: ["projections", "rebuild", "--all", "--json", "--progress-every", "10", "--data", data], standardInput: .null,
            standardError: .null)
        var reader = LineReader(fd: process.standardOutput)
        var killed = false
        while let line = reader.next() {
            if !killed && line.contains(#""serving":false"#) {
                kill(process.pid, SIGKILL)
                killed = true
            }
        }
        try process.wait()
        process.closeStreams()
        return killed
    }

    @Test("Rebuilds killed with SIGKILL resume from their checkpoints and end with exactly the content of an uninterrupted build")
    func killedRebuildsResume() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let victim = root + "/victim"
        let reference = root + "/reference"
        // A realistic log, generated through the service.
        let generated = try await cairn(["bench", "replay", "--events", "12000", "--log", victim + "/log", "--json"])
        #expect(generated.status == 0, "\(generated.stderr)")
        try FileManager.default.createDirectory(atPath: reference + "/log", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: victim + "/log/data.mdb", toPath: reference + "/log/data.mdb")
        // The personal data in it opens with the victim's keys.
        try FileManager.default.copyItem(atPath: victim + "/keys", toPath: reference + "/keys")
        try FileManager.default.copyItem(atPath: victim + "/master.key", toPath: reference + "/master.key")

        var kills = 0
        for _ in 0..<3 {
            if try await onThread({ try Self.killedRebuild(data: victim) }) { kills += 1 }
        }
        // Reopening resumes the interrupted builds; --all waits for them (and rebuilds the rest).
        let finished = try await cairn(["projections", "rebuild", "--all", "--data", victim])
        #expect(finished.status == 0, "\(finished.stderr)")

        for name in Self.names {
            let expected = try await cairn(["projections", "digest", name, "--data", reference])
            let actual = try await cairn(["projections", "digest", name, "--data", victim])
            #expect(expected.status == 0 && actual.status == 0, "\(expected.stderr) \(actual.stderr)")
            #expect(actual.stdout == expected.stdout, "\(name) differs after killed rebuilds")
        }
        #expect(kills > 0, "no rebuild was still running when its progress arrived")
    }
}
