import CairnStore
import Foundation
import Synchronization

/// A fresh directory per test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Opens a log in a fresh directory, runs `body`, and closes the log.
func withLog<T>(_ options: EventLog.Options = EventLog.Options(), _ body: (EventLog, String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { dir in
        let log = try EventLog(directory: dir + "/log", options: options)
        do {
            let value = try await body(log, dir + "/log")
            await log.close()
            return value
        } catch {
            await log.close()
            throw error
        }
    }
}

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Int64>
    init(_ micros: Int64 = 1_800_000_000_000_000) { current = Mutex(micros) }
    func now() -> Timestamp { Timestamp(microsecondsSinceEpoch: current.withLock { $0 }) }
    func set(_ micros: Int64) { current.withLock { $0 = micros } }
}

func event(_ type: String = "test.Happened", _ payload: String = #"{"n":1}"#, subject: String? = nil) -> NewEvent {
    NewEvent(id: UUID(), type: type, payload: Array(payload.utf8), subject: subject, actor: "tester")
}

/// `body` throws an `EventLogError` with this code.
func logError(_ code: EventLogError.Code, _ body: () async throws -> Void) async -> Bool {
    do {
        try await body()
        return false
    } catch let error as EventLogError {
        return error.code == code
    } catch {
        return false
    }
}
