public import Foundation

/// An event as stored: the envelope the log assigned and the event's own fields.
///
/// It keeps the stored record's bytes and decodes text fields when they are read, so scanning
/// and tailing the log costs one copy per event rather than one allocation per field.
public struct RecordedEvent: Sendable {
    /// The stored record: canonical bytes followed by the 32-byte chain hash.
    let record: [UInt8]
    private let layout: RecordLayout

    init(record: [UInt8]) throws {
        self.layout = try record.withUnsafeBytes { try RecordLayout($0) }
        self.record = record
    }

    init(record: [UInt8], layout: RecordLayout) {
        self.record = record
        self.layout = layout
    }

    /// Gapless global position, in commit order, from 1.
    public var position: UInt64 { record.loadBigEndian(at: RecordLayout.positionOffset) }
    public var stream: String { string(layout.stream) }
    /// The event's version within its stream, from 1.
    public var streamVersion: UInt64 { record.loadBigEndian(at: RecordLayout.versionOffset) }
    public var id: UUID {
        record.withUnsafeBytes { raw in
            UUID(uuid: raw.loadUnaligned(fromByteOffset: RecordLayout.idOffset, as: uuid_t.self))
        }
    }
    public var type: String { string(layout.type) }
    public var schemaVersion: UInt32 { record.loadBigEndian(at: RecordLayout.schemaVersionOffset) }
    /// Server time of the append; never decreases along positions.
    public var recordedAt: Timestamp {
        Timestamp(microsecondsSinceEpoch: record.loadBigEndian(at: RecordLayout.recordedAtOffset))
    }
    public var occurredAt: Timestamp? {
        let micros: Int64 = record.loadBigEndian(at: RecordLayout.occurredAtOffset)
        return micros == RecordLayout.absentTime ? nil : Timestamp(microsecondsSinceEpoch: micros)
    }
    public var actor: String { string(layout.actor) }
    public var correlationId: String? { optionalString(layout.correlationId) }
    public var causationId: String? { optionalString(layout.causationId) }
    public var subject: String? { optionalString(layout.subject) }
    public var payload: [UInt8] { Array(record[layout.payload]) }
    /// The stream's category: its id up to the first `-`.
    public var category: String {
        let bytes = record[layout.stream]
        let end = bytes.firstIndex(of: UInt8(ascii: "-")) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
    /// SHA-256 over the previous record's hash and this record's canonical bytes.
    public var hash: SHA256Digest {
        record.withUnsafeBytes { SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: $0[(record.count - 32)...])) }
    }

    /// Reads the payload without copying it.
    public func withPayload<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try record.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[layout.payload])) }
    }

    /// The bytes the chain hash covers (everything stored but the hash itself).
    public func withCanonicalBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try record.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<(record.count - 32)])) }
    }

    private func string(_ range: Range<Int>) -> String { String(decoding: record[range], as: UTF8.self) }
    private func optionalString(_ range: Range<Int>) -> String? { range.isEmpty ? nil : string(range) }
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

    var stream: Range<Int>
    var type: Range<Int>
    var actor: Range<Int>
    var correlationId: Range<Int>
    var causationId: Range<Int>
    var subject: Range<Int>
    var payload: Range<Int>

    init(_ raw: UnsafeRawBufferPointer) throws(RecordFormatError) {
        guard raw.count >= Self.headerSize + 12 + 4 + Self.hashSize else {
            throw RecordFormatError(description: "record of \(raw.count) bytes is shorter than any record")
        }
        guard raw[0] == Self.format else { throw RecordFormatError(description: "unknown record format \(raw[0])") }
        let end = raw.count - Self.hashSize
        var offset = Self.headerSize
        func field() throws(RecordFormatError) -> Range<Int> {
            guard offset + 2 <= end else { throw RecordFormatError(description: "field runs past the record") }
            let length = Int(raw.loadBigEndian(at: offset, as: UInt16.self))
            let start = offset + 2
            guard start + length <= end else { throw RecordFormatError(description: "field runs past the record") }
            offset = start + length
            return start..<offset
        }
        stream = try field()
        type = try field()
        actor = try field()
        correlationId = try field()
        causationId = try field()
        subject = try field()
        guard offset + 4 <= end else { throw RecordFormatError(description: "payload length runs past the record") }
        let length = Int(raw.loadBigEndian(at: offset, as: UInt32.self))
        guard offset + 4 + length == end else {
            throw RecordFormatError(description: "payload length \(length) does not fill the record")
        }
        payload = (offset + 4)..<end
    }
}

/// Encodes a new event into a record's canonical bytes.
struct RecordEncoder {
    let stream: [UInt8]
    let event: NewEvent
    let type: [UInt8]
    let actor: [UInt8]
    let correlationId: [UInt8]
    let causationId: [UInt8]
    let subject: [UInt8]

    init(stream: [UInt8], event: NewEvent) {
        self.stream = stream
        self.event = event
        type = Array(event.type.utf8)
        actor = Array(event.actor.utf8)
        correlationId = Array((event.correlationId ?? "").utf8)
        causationId = Array((event.causationId ?? "").utf8)
        subject = Array((event.subject ?? "").utf8)
    }

    /// Size of the stored record, hash included.
    var recordSize: Int {
        RecordLayout.headerSize + 12 + stream.count + type.count + actor.count + correlationId.count
            + causationId.count + subject.count + 4 + event.payload.count + RecordLayout.hashSize
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
        for field in [stream, type, actor, correlationId, causationId, subject] {
            out.storeBigEndian(UInt16(field.count), at: offset)
            field.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[(offset + 2)...]).copyMemory(from: $0) }
            offset += 2 + field.count
        }
        out.storeBigEndian(UInt32(event.payload.count), at: offset)
        event.payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[(offset + 4)...]).copyMemory(from: $0) }
    }
}
