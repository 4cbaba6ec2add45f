public import Foundation

/// An event as stored: the envelope the log assigned and the event's own fields.
///
/// It keeps the stored record's bytes and decodes text fields when they are read, so scanning
/// and tailing the log costs one copy per event rather than one allocation per field.
public struct RecordedEvent: Sendable {
    /// Bytes holding the stored record — canonical bytes, then the 32-byte chain hash — at
    /// `base`; a page read shares one buffer among many events (one allocation, not one each).
    private let storage: [UInt8]
    private let base: Int
    private let length: Int
    private let layout: RecordLayout

    init(record: [UInt8]) throws {
        self.layout = try record.withUnsafeBytes { try RecordLayout($0) }
        self.storage = record
        self.base = 0
        self.length = record.count
    }

    init(storage: [UInt8], base: Int, length: Int, layout: RecordLayout) {
        self.storage = storage
        self.base = base
        self.length = length
        self.layout = layout
    }

    /// Gapless global position, in commit order, from 1.
    public var position: UInt64 { load(RecordLayout.positionOffset) }
    public var stream: String { string(layout.stream) }
    /// The event's version within its stream, from 1.
    public var streamVersion: UInt64 { load(RecordLayout.versionOffset) }
    public var id: UUID {
        storage.withUnsafeBytes { raw in
            UUID(uuid: raw.loadUnaligned(fromByteOffset: base + RecordLayout.idOffset, as: uuid_t.self))
        }
    }
    public var type: String { string(layout.type) }
    public var schemaVersion: UInt32 { load(RecordLayout.schemaVersionOffset) }
    /// Server time of the append; never decreases along positions.
    public var recordedAt: Timestamp { Timestamp(microsecondsSinceEpoch: load(RecordLayout.recordedAtOffset)) }
    public var occurredAt: Timestamp? {
        let micros: Int64 = load(RecordLayout.occurredAtOffset)
        return micros == RecordLayout.absentTime ? nil : Timestamp(microsecondsSinceEpoch: micros)
    }
    public var actor: String { string(layout.actor) }
    public var correlationId: String? { optionalString(layout.correlationId) }
    public var causationId: String? { optionalString(layout.causationId) }
    public var subject: String? { optionalString(layout.subject) }
    public var payload: [UInt8] { Array(storage[shifted(layout.payload)]) }
    /// The stream's category: its id up to the first `-`.
    public var category: String {
        let bytes = storage[shifted(layout.stream)]
        let end = bytes.firstIndex(of: UInt8(ascii: "-")) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
    /// SHA-256 over the previous record's hash and this record's canonical bytes.
    public var hash: SHA256Digest {
        storage.withUnsafeBytes { SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: $0[(base + length - 32)..<(base + length)])) }
    }

    /// Reads the payload without copying it.
    public func withPayload<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[shifted(layout.payload)])) }
    }

    /// The bytes the chain hash covers (everything stored but the hash itself).
    public func withCanonicalBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[base..<(base + length - 32)])) }
    }

    @inline(__always) private func load<T: FixedWidthInteger>(_ offset: Int) -> T { storage.loadBigEndian(at: base + offset) }
    @inline(__always) private func shifted(_ range: Range<Int>) -> Range<Int> { (range.lowerBound + base)..<(range.upperBound + base) }
    private func string(_ range: Range<Int>) -> String { String(decoding: storage[shifted(range)], as: UTF8.self) }
    private func optionalString(_ range: Range<Int>) -> String? { range.isEmpty ? nil : string(range) }
}

/// Copies records into shared buffers of about 128 KiB, so a page of events costs a handful
/// of allocations. An event keeps its buffer alive, so a caller that holds on to a few events
/// of a large read for long should copy what it needs.
struct RecordPacker {
    private static let chunkSize = 128 << 10
    private var chunk: [UInt8] = []
    private var pending: [(base: Int, length: Int, layout: RecordLayout)] = []
    private(set) var events: [RecordedEvent] = []

    init(expected: Int) { events.reserveCapacity(expected) }

    mutating func add(_ record: UnsafeRawBufferPointer, _ layout: RecordLayout) {
        if chunk.count + record.count > Self.chunkSize && !pending.isEmpty { seal() }
        if chunk.isEmpty { chunk.reserveCapacity(max(Self.chunkSize, record.count)) }
        pending.append((chunk.count, record.count, layout))
        chunk.append(contentsOf: record)
    }

    private mutating func seal() {
        for item in pending { events.append(RecordedEvent(storage: chunk, base: item.base, length: item.length, layout: item.layout)) }
        pending.removeAll(keepingCapacity: true)
        chunk = []
    }

    mutating func finish() -> [RecordedEvent] {
        seal()
        return events
    }
}

struct RecordFormatError: Error, CustomStringConvertible {
    var description: String
}

/// Where each variable-length field of a stored record lies.
///
/// Record format 1 (integers big-endian):
/// ```
///  0  u8    format (1)
///  1  u64   position
///  9  u64   stream version
/// 17  16 B  event id
/// 33  i64   recordedAt, µs since 1970
/// 41  i64   occurredAt, µs since 1970, or Int64.min when absent
/// 49  u32   schema version
/// 53  u16+bytes ×6: stream, type, actor, correlationId, causationId, subject (empty = absent)
///     u32+bytes: payload
///     32 B  SHA-256 chain hash (not part of the canonical bytes)
/// ```
struct RecordLayout: Sendable {
    static let format: UInt8 = 1
    static let positionOffset = 1
    static let versionOffset = 9
    static let idOffset = 17
    static let recordedAtOffset = 33
    static let occurredAtOffset = 41
    static let schemaVersionOffset = 49
    static let headerSize = 53
    static let hashSize = 32
    static let absentTime = Int64.min

    /// Start and length of each text field (all within the first 64 KiB: the limits keep
    /// them far smaller), and of the payload. Kept small because every scanned event holds one.
    private var starts: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)
    private var counts: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)
    private var payloadStart: UInt16
    private var payloadCount: UInt32

    var stream: Range<Int> { Int(starts.0)..<Int(starts.0) + Int(counts.0) }
    var type: Range<Int> { Int(starts.1)..<Int(starts.1) + Int(counts.1) }
    var actor: Range<Int> { Int(starts.2)..<Int(starts.2) + Int(counts.2) }
    var correlationId: Range<Int> { Int(starts.3)..<Int(starts.3) + Int(counts.3) }
    var causationId: Range<Int> { Int(starts.4)..<Int(starts.4) + Int(counts.4) }
    var subject: Range<Int> { Int(starts.5)..<Int(starts.5) + Int(counts.5) }
    var payload: Range<Int> { Int(payloadStart)..<Int(payloadStart) + Int(payloadCount) }

    init(_ raw: UnsafeRawBufferPointer) throws(RecordFormatError) {
        guard raw.count >= Self.headerSize + 12 + 4 + Self.hashSize else {
            throw RecordFormatError(description: "record of \(raw.count) bytes is shorter than any record")
        }
        guard raw[0] == Self.format else { throw RecordFormatError(description: "unknown record format \(raw[0])") }
        let end = raw.count - Self.hashSize
        var offset = Self.headerSize
        func field() throws(RecordFormatError) -> (UInt16, UInt16) {
            guard offset + 2 <= end else { throw RecordFormatError(description: "field runs past the record") }
            let length = raw.loadBigEndian(at: offset, as: UInt16.self)
            let start = offset + 2
            guard start + Int(length) <= end, start + Int(length) <= Int(UInt16.max) else {
                throw RecordFormatError(description: "field runs past the record")
            }
            offset = start + Int(length)
            return (UInt16(start), length)
        }
        let f0 = try field(), f1 = try field(), f2 = try field(), f3 = try field(), f4 = try field(), f5 = try field()
        starts = (f0.0, f1.0, f2.0, f3.0, f4.0, f5.0)
        counts = (f0.1, f1.1, f2.1, f3.1, f4.1, f5.1)
        guard offset + 4 <= end, offset + 4 <= Int(UInt16.max) else {
            throw RecordFormatError(description: "payload length runs past the record")
        }
        let length = raw.loadBigEndian(at: offset, as: UInt32.self)
        guard offset + 4 + Int(length) == end else {
            throw RecordFormatError(description: "payload length \(length) does not fill the record")
        }
        payloadStart = UInt16(offset + 4)
        payloadCount = length
    }
}

/// Encodes a new event into a record's canonical bytes, straight into the page LMDB reserved.
struct RecordEncoder {
    let stream: String
    let event: NewEvent

    /// Size of the stored record, hash included.
    var recordSize: Int {
        RecordLayout.headerSize + 12 + stream.utf8.count + event.type.utf8.count + event.actor.utf8.count
            + (event.correlationId?.utf8.count ?? 0) + (event.causationId?.utf8.count ?? 0) + (event.subject?.utf8.count ?? 0)
            + 4 + event.payload.count + RecordLayout.hashSize
    }

    /// Writes the canonical bytes into `out` (sized `recordSize`); the caller writes the hash.
    func encode(into out: UnsafeMutableRawBufferPointer, position: UInt64, version: UInt64, recordedAt: Timestamp) {
        out[0] = RecordLayout.format
        out.storeBigEndian(position, at: RecordLayout.positionOffset)
        out.storeBigEndian(version, at: RecordLayout.versionOffset)
        withUnsafeBytes(of: event.id.uuid) { id in
            UnsafeMutableRawBufferPointer(rebasing: out[RecordLayout.idOffset..<RecordLayout.idOffset + 16]).copyMemory(from: id)
        }
        out.storeBigEndian(recordedAt.microsecondsSinceEpoch, at: RecordLayout.recordedAtOffset)
        out.storeBigEndian(event.occurredAt?.microsecondsSinceEpoch ?? RecordLayout.absentTime, at: RecordLayout.occurredAtOffset)
        out.storeBigEndian(event.schemaVersion, at: RecordLayout.schemaVersionOffset)
        var offset = RecordLayout.headerSize
        func field(_ text: String?) {
            let utf8 = (text ?? "").utf8
            out.storeBigEndian(UInt16(utf8.count), at: offset)
            UnsafeMutableRawBufferPointer(rebasing: out[(offset + 2)...]).copyBytes(from: utf8)
            offset += 2 + utf8.count
        }
        field(stream)
        field(event.type)
        field(event.actor)
        field(event.correlationId)
        field(event.causationId)
        field(event.subject)
        out.storeBigEndian(UInt32(event.payload.count), at: offset)
        event.payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[(offset + 4)...]).copyMemory(from: $0) }
    }
}

extension RecordedEvent {
    /// A record from its canonical bytes and the hash stored with it — as an export carries
    /// them — checking only that the bytes are a well-formed record.
    public init(canonical: [UInt8], hash: SHA256Digest) throws {
        try self.init(record: canonical + hash.bytes)
    }

    /// SHA-256(previous ‖ canonical): the hash a record with these canonical bytes has when
    /// the record before it has hash `previous` (`.zero` before position 1).
    public static func chainHash(previous: SHA256Digest, canonical: [UInt8]) -> SHA256Digest {
        let hasher = SHA256Hasher()
        return canonical.withUnsafeBytes { hasher.link(previous, $0) }
    }

    /// The bytes the chain hash covers, copied.
    public var canonicalBytes: [UInt8] { withCanonicalBytes { Array($0) } }
}
