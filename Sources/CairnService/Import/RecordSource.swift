import CairnDomain

/// Records already in memory (from a JSON export, say) as an import source. A record whose key
/// an earlier record had is refused, as in a CSV file.
final class RecordSource: ImportSource {
    typealias Planner = @Sendable (ImportRecord) throws(ImportRowError) -> PlannedRow

    private let records: [ImportRecord]
    private var refusedUpfront: [ImportRowError]
    private let keyOf: @Sendable (ImportRecord) -> String?
    private let planner: Planner
    private let file: String?
    private var next = 0
    private let keys: ImportKeyGuard

    /// `refused` are records turned away before planning (reported with the first batch).
    init(
        records: [ImportRecord], refused: [ImportRowError] = [], file: String? = nil, key: @escaping @Sendable (ImportRecord) -> String?,
        plan: @escaping Planner
    ) throws(ImportError) {
        self.records = records
        self.refusedUpfront = refused
        self.file = file
        self.keyOf = key
        self.planner = plan
        keys = try ImportKeyGuard()
    }

    var bytesRead: Int { next }
    var bytesTotal: Int { records.count }

    func next(_ count: Int) throws(ImportError) -> (records: [ImportRecord], refused: [ImportRowError]) {
        let batch = records[next..<min(records.count, next + count)]
        let admitted = try keys.admit(batch, key: keyOf, earlier: "record", file: file)
        next += batch.count
        defer { refusedUpfront = [] }
        return (admitted.records, refusedUpfront + admitted.refused)
    }

    func plan(_ record: ImportRecord) throws(ImportRowError) -> PlannedRow {
        do {
            return try planner(record)
        } catch {
            var error = error
            error.file = error.file ?? file
            throw error
        }
    }
}
