import CairnStore

/// What the timeline fold remembers about one customer between events: where it was merged,
/// what it absorbed, whether it was erased, and the current value of every field whose changes
/// show an old value (a profile change names the old value, which the event does not carry).
struct CustomerTimelineMeta: Sendable, Hashable {
    struct Absorbed: Sendable, Hashable {
        var customerId: String
        /// `recordedAt` (microseconds) and position of the merge: as-of views before it leave it out.
        var at: Int64
        var position: UInt64
    }

    var survivorId: String?
    var mergedAt: Int64 = 0
    var mergedPosition: UInt64 = 0
    var absorbed: [Absorbed] = []
    var erased = false
    /// Field name → current rendered value (`personName`, `ownerId`, `attributes.<key>`, …).
    var values: [String: String] = [:]

    /// Fields holding personal data, dropped on erasure.
    static func isPersonal(_ field: String) -> Bool {
        field == "personName" || field.hasPrefix("attributes.") || field.hasPrefix("addresses.")
    }

    mutating func erase() {
        erased = true
        values = values.filter { !Self.isPersonal($0.key) }
    }

    func encoded() -> [UInt8] {
        var w = CustomerModelWriter()
        w.optionalString(survivorId)
        w.i64(mergedAt)
        w.u64(mergedPosition)
        w.u32(UInt32(absorbed.count))
        for item in absorbed {
            w.string(item.customerId)
            w.i64(item.at)
            w.u64(item.position)
        }
        w.bool(erased)
        w.u32(UInt32(values.count))
        for key in values.keys.sorted() {
            w.string(key)
            w.string(values[key]!)
        }
        return w.bytes
    }

    init() {}

    init(stored: UnsafeRawBufferPointer) throws {
        var r = CustomerModelReader(stored)
        survivorId = try r.optionalString()
        mergedAt = try r.i64()
        mergedPosition = try r.u64()
        for _ in 0..<Int(try r.u32()) {
            absorbed.append(Absorbed(customerId: try r.string(), at: try r.i64(), position: try r.u64()))
        }
        erased = try r.bool()
        for _ in 0..<Int(try r.u32()) {
            let key = try r.string()
            values[key] = try r.string()
        }
    }
}
