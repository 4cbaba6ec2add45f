import CairnDomain
import CairnStore

/// Remembers what each `Idempotency-Key` was used for and what it answered, so a retry gets the
/// original response and the same key sent with a different request is refused rather than
/// taken for a retry. Keys are scoped per API key. Kept in `<data>/idempotency`.
///
/// The command id derived from the key already makes the log record a command once; this
/// table adds the request's fingerprint (method, path, body) and the response.
public final class IdempotencyStore: Sendable {
    public enum Reservation: Sendable, Equatable {
        /// First use of the key: run the request, then ``complete(scope:key:fingerprint:status:body:)``.
        case new
        /// Same request seen before without a stored answer (it failed, or is running): run it
        /// again — the command id makes the log record it once.
        case retry
        /// Same request answered before: send this again.
        case completed(status: Int, body: [UInt8])
        /// The key was used for a different request.
        case mismatch
    }

    private let env: LMDBEnvironment
    private let requests: LMDBDatabase
    /// Every request writes here twice (its claim, then its answer): concurrent requests share
    /// the commits.
    private let writer: GroupWriter

    public init(directory: String) throws {
        var options = LMDBEnvironment.Options()
        options.mapSize = 64 << 20
        options.maxDatabases = 2
        // A crash may lose the last answers; a retry then runs again and the command id still
        // returns the first result from the log.
        options.durability = .noMetaSync
        env = try LMDBEnvironment(path: directory, options: options)
        requests = try env.database("requests")
        writer = GroupWriter(env: env, label: "cairn.idempotency")
    }

    public func close() { env.close() }

    /// The fingerprint of a request: SHA-256 over its method, path and body.
    public static func fingerprint(method: String, path: String, body: [UInt8]) -> String {
        SHA256Digest.of(Array("\(method) \(path)\n".utf8) + body).hex
    }

    /// Claims `key` for the request with `fingerprint`, or tells how it was used before.
    public func reserve(scope: String, key: String, fingerprint: String) async throws -> Reservation {
        let id = Self.id(scope, key)
        let requests = requests
        return try await writer.write { txn in
            if let stored = try txn.get(requests, id) {
                let (known, answer) = try Self.decode(Array(stored))
                guard known == fingerprint else { return .mismatch }
                if let answer { return .completed(status: answer.status, body: answer.body) }
                return .retry
            }
            try txn.put(requests, id, Self.encode(fingerprint, nil))
            return .new
        }
    }

    /// Stores the answer to a reserved request.
    public func complete(scope: String, key: String, fingerprint: String, status: Int, body: [UInt8]) async throws {
        let (id, value, requests) = (Self.id(scope, key), Self.encode(fingerprint, (status, body)), requests)
        try await writer.write { txn in try txn.put(requests, id, value) }
    }

    private static func id(_ scope: String, _ key: String) -> [UInt8] { Array(scope.utf8) + [0] + Array(key.utf8) }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "a stored idempotency record is malformed" }
    }

    private static func encode(_ fingerprint: String, _ answer: (status: Int, body: [UInt8])?) -> [UInt8] {
        var object: [String: JSONValue] = ["fingerprint": .string(fingerprint)]
        if let answer {
            object["status"] = .number(Double(answer.status))
            object["body"] = .string(String(decoding: answer.body, as: UTF8.self))
        }
        return JSONValue.object(object).serializedBytes
    }

    private static func decode(_ bytes: [UInt8]) throws -> (String, (status: Int, body: [UInt8])?) {
        guard case .object(let o) = try JSONValue.parse(bytes), case .string(let fingerprint)? = o["fingerprint"] else {
            throw Malformed()
        }
        if case .number(let status)? = o["status"], case .string(let body)? = o["body"] {
            return (fingerprint, (Int(status), Array(body.utf8)))
        }
        return (fingerprint, nil)
    }
}
