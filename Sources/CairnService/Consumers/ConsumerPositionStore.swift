import CairnDomain
public import CairnStore

/// A downstream consumer's acknowledged position: the last log position it has processed.
public struct ConsumerPosition: Sendable, Hashable {
    public var name: String
    public var position: UInt64
    public var updatedAt: CairnStore.Timestamp
    /// The key that acknowledged it.
    public var updatedBy: String
}

/// Durable positions of named consumers, in an LMDB environment of their own
/// (`<data>/consumers`): a stream opened for a consumer resumes after its position.
public final class ConsumerPositionStore: Sendable {
    private let env: LMDBEnvironment
    private let positions: LMDBDatabase
    /// Consumers acknowledge often, many at once: their writes share commits.
    private let writer: GroupWriter

    public init(directory: String) throws {
        var options = LMDBEnvironment.Options()
        options.mapSize = 16 << 20
        options.maxDatabases = 2
        env = try LMDBEnvironment(path: directory, options: options)
        positions = try env.database("positions")
        writer = GroupWriter(env: env, label: "cairn.consumers")
    }

    public func close() { env.close() }

    public func position(of name: String) throws -> ConsumerPosition? {
        try env.read { txn in
            try txn.get(positions, Array(name.utf8)).map { try Self.decode(name, Array($0)) }
        }
    }

    /// Stores `position` as the consumer's acknowledged position (it may move backwards, to
    /// replay).
    @discardableResult
    public func acknowledge(
        _ name: String, position: UInt64, by actor: String, now: CairnStore.Timestamp
    ) async throws
        -> ConsumerPosition
    {
        let record = ConsumerPosition(name: name, position: position, updatedAt: now, updatedBy: actor)
        let value = JSONValue.object([
            "position": .string(String(position)), "updatedAt": .number(Double(now.microsecondsSinceEpoch)),
            "updatedBy": .string(actor),
        ]).serializedBytes
        let positions = positions
        try await writer.write { txn in try txn.put(positions, Array(name.utf8), value) }
        return record
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "a stored consumer position is malformed" }
    }

    private static func decode(_ name: String, _ bytes: [UInt8]) throws -> ConsumerPosition {
        guard case .object(let o) = try JSONValue.parse(bytes), case .string(let text)? = o["position"],
            let position = UInt64(text), case .number(let at)? = o["updatedAt"], case .string(let by)? = o["updatedBy"]
        else { throw Malformed() }
        return ConsumerPosition(
            name: name, position: position, updatedAt: CairnStore.Timestamp(microsecondsSinceEpoch: Int64(at)), updatedBy: by)
    }
}
