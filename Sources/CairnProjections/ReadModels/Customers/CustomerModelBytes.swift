import CairnDomain
import CairnStore
import Foundation

/// A compact, deterministic binary form for the customer read models' values: fixed-width
/// little-endian numbers and length-prefixed UTF-8. Hand-written because encoding speed decides
/// replay speed, and because the bytes must not depend on dictionary order or a coder's whims.
struct CustomerModelWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func optionalI64(_ value: Int64?) {
        bool(value != nil)
        if let value { i64(value) }
    }

    /// An amount as its plain-notation text (`Decimal.description`'s, made faster).
    mutating func decimal(_ value: Decimal) { string(value.plainDescription) }

    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { string(value) }
    }
}

/// Reads what ``CustomerModelWriter`` wrote; throws on truncated or foreign bytes instead of
/// trapping, so a damaged model surfaces as a query error.
struct CustomerModelReader {
    let buffer: UnsafeRawBufferPointer
    var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    struct Malformed: Error, CustomStringConvertible {
        var description: String { "customer read model: malformed stored value" }
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, offset + count <= buffer.count else { throw Malformed() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }

    mutating func raw(_ count: Int) throws -> UnsafeRawBufferPointer { try take(count) }
    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func bool() throws -> Bool { try u8() != 0 }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    mutating func string() throws -> String {
        let count = Int(try u32())
        return String(decoding: try take(count), as: UTF8.self)
    }

    mutating func optionalString() throws -> String? { try bool() ? try string() : nil }
    mutating func optionalI64() throws -> Int64? { try bool() ? try i64() : nil }

    mutating func strings() throws -> [String] {
        let count = Int(try u32())
        var values: [String] = []
        values.reserveCapacity(min(count, 1024))
        for _ in 0..<count { values.append(try string()) }
        return values
    }
}

/// Keys of the customer read models.
enum CustomerModelKey {
    /// `<customer id> 0x00 <position, 8 bytes big-endian>`: one customer's entries sort by
    /// position, and ids (restricted to a safe character set) never contain 0x00.
    static func entry(_ customerId: String, _ position: UInt64) -> [UInt8] {
        var key = Array(customerId.utf8)
        key.append(0)
        withUnsafeBytes(of: position.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// `<term> 0x00 <customer id>`: an index row, so one term's customers sort by id.
    static func indexed(_ term: String, _ customerId: String) -> [UInt8] {
        var key = Array(term.utf8)
        key.append(0)
        key.append(contentsOf: customerId.utf8)
        return key
    }

    static func position(fromEntryKey key: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(bigEndian: key.loadUnaligned(fromByteOffset: key.count - 8, as: UInt64.self))
    }

    static func hasPrefix(_ key: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        guard key.count >= prefix.count else { return false }
        for index in prefix.indices where key[index] != prefix[index] { return false }
        return true
    }
}

/// Pagination cursors of the customer read models (see ``PageCursor``).
typealias CustomerModelCursor = PageCursor
