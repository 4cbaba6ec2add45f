package import CairnStore

/// Folds the log into one read model.
///
/// A projector is a pure, deterministic function of the events it is given and of what its
/// read model already holds: the engine may fold the same batch again after an aborted
/// transaction (a grown map, a poison event), and two rebuilds from the same log must produce
/// identical content. It never reads clocks, randomness or anything outside the transaction.
///
/// ```swift
/// struct OpenCases: Projector {
///     let name = "open-cases"
///     let version = 1
///     let eventTypePrefixes = ["service.Case"]
///     let databaseNames = ["byOwner"]
///     func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws {
///         for event in events { … try txn.put(model["byOwner"], key, value) … }
///     }
/// }
/// ```
package protocol Projector: Sendable {
    /// Stable name, used in directory names, the manifest and operations (`[a-z0-9-]`).
    var name: String { get }
    /// Bump it whenever the fold or the model's layout changes: the engine then builds the new
    /// version beside the serving one and switches once it has caught up.
    var version: Int { get }
    /// Event types the projector wants (`sales.` or `sales.Opportunity`); empty means every
    /// event. The runner filters with them, so the fold only sees what it asked for.
    var eventTypePrefixes: [String] { get }
    /// The named LMDB databases the read model keeps in its environment.
    var databaseNames: [String] { get }

    /// Folds `events` (in position order, all matching ``eventTypePrefixes``) into the model,
    /// inside a write transaction that also records the checkpoint. Throwing aborts the whole
    /// transaction; the runner then finds the first event that fails on its own and stops
    /// just before it.
    func fold(_ events: ArraySlice<ProjectedEvent>, into model: ReadModel, _ txn: borrowing LMDBWriteTransaction) throws
}

/// The opened databases of one read-model environment, by the names the projector declared.
package struct ReadModel: Sendable {
    package let name: String
    /// The projector version that built this model; queries may depend on its layout.
    package let version: Int
    let databases: [String: LMDBDatabase]
    /// The databases in name order, which is the order the content digest walks them in.
    let ordered: [(name: String, database: LMDBDatabase)]

    init(name: String, version: Int, databases: [String: LMDBDatabase]) {
        self.name = name
        self.version = version
        self.databases = databases
        self.ordered = databases.keys.sorted().map { ($0, databases[$0]!) }
    }

    /// The database declared as `name`. Asking for an undeclared name is a programming error.
    package subscript(_ name: String) -> LMDBDatabase {
        guard let database = databases[name] else {
            preconditionFailure("read model has no database '\(name)'; declare it in databaseNames")
        }
        return database
    }
}
