import CairnTestSupport
import Foundation
import Testing

@Suite("cairn serve and cairn keys")
struct ServeCommandTests {
    @Test("keys create prints the key once; list never shows it; revoke marks it; bad names, roles and duplicates fail")
    func keys() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let created = try await cairn(["keys", "create", "--data", data, "--name", "crm-web", "--role", "sales"])
        #expect(created.status == 0)
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("cairn_") && secret.count == 70)
        let listed = try await cairn(["keys", "list", "--data", data])
        #expect(listed.lines.count == 1)
        #expect(listed.stdout.contains(#""name":"crm-web""#) && listed.stdout.contains(#""role":"sales""#))
        #expect(!listed.stdout.contains(secret))
        #expect(try await cairn(["keys", "create", "--data", data, "--name", "crm-web", "--role", "sales"]).status != 0)
        #expect(try await cairn(["keys", "create", "--data", data, "--name", "x", "--role", "king"]).status != 0)
        #expect(try await cairn(["keys", "create", "--data", data, "--name", "has space", "--role", "ops"]).status != 0)
        #expect(try await cairn(["keys", "revoke", "--data", data, "crm-web"]).status == 0)
        #expect(try await cairn(["keys", "list", "--data", data]).stdout.contains("revokedAt"))
        #expect(try await cairn(["keys", "revoke", "--data", data, "nobody"]).status != 0)
    }

    @Test("serve logs JSON lines, becomes ready, and exits 0 after closing the log on SIGTERM")
    func gracefulSigterm() async throws {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let lines = try await onThread { () -> [String] in
            let process = try ChildProcess(
                executable: cairnExecutable.path, arguments: ["serve", "--data", data, "--port", "0"], standardInput: .null,
                standardOutput: .null)
            var reader = LineReader(fd: process.standardError)
            var lines: [String] = []
            var signalled = false
            while let line = reader.next() {
                lines.append(line)
                let up = ["ready", "listening"].allSatisfy { word in lines.contains { $0.contains(#""message":"\#(word)""#) } }
                if !signalled, up {
                    kill(process.pid, SIGTERM)
                    signalled = true
                }
            }
            let termination = try process.wait()
            process.closeStreams()
            lines.append("exit \(termination.status)")
            return lines
        }
        #expect(lines.last == "exit 0", "\(lines)")
        #expect(lines.contains { $0.contains(#""message":"listening""#) && $0.contains("127.0.0.1") })
        #expect(lines.contains { $0.contains(#""message":"closed""#) })
        for line in lines.dropLast() {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a JSON line: \(line)")
        }
    }
}
