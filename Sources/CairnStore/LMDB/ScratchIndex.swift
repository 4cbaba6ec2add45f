import Foundation

/// A first-come map from byte keys to numbers, kept in a temporary LMDB environment rather than
/// in memory: for sets that grow with an input of any size (every key an import has seen), so
/// the process's memory stays flat however long the input. Nothing in it has to survive a
/// crash, so it is written without syncing; ``close()`` (or deinit) deletes it.
package final class ScratchIndex {
    private let env: LMDBEnvironment
    private let entries: LMDBDatabase
    /// Where its files are, until ``close()``.
    package let directory: String

    /// Creates an empty index in a directory of its own under the system's temporary directory.
    package init(label: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-\(label)-\(UUID().uuidString)").path
        var options = LMDBEnvironment.Options()
        options.mapSize = 16 << 20  // grows when full
        options.maxDatabases = 1
        options.durability = .none
        do {
            env = try LMDBEnvironment(path: directory, options: options)
            entries = try env.database("entries")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        self.directory = directory
    }

    deinit { close() }

    /// Records each key (at most 511 bytes, LMDB's limit) with its value unless it is there
    /// already, in order, in one transaction: for each, nil when it was new, else the value it
    /// was first recorded with (a key repeated within `batch` finds the earlier one's value).
    package func insert(_ batch: [(key: [UInt8], value: UInt64)]) throws -> [UInt64?] {
        let entries = entries
        return try env.write { txn in
            var earlier: [UInt64?] = []
            earlier.reserveCapacity(batch.count)
            for (key, value) in batch {
                earlier.append(try txn.insert(entries, key, .bigEndian(value))?.loadBigEndian(at: 0, as: UInt64.self))
            }
            return earlier
        }
    }

    /// Closes the environment and deletes its files. Idempotent.
    package func close() {
        env.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
