import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based, counting the header).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// Why a CSV file could not be read.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public var description: String { "line \(line): \(message)" }
}

/// A streaming RFC 4180 reader: reads the file in 1 MiB chunks and hands out one record at a
/// time, so memory stays flat whatever the file's size. Accepts a UTF-8 byte-order mark,
/// quoted fields with embedded commas, quotes (`""`) and line breaks, and LF or CRLF line
/// ends; skips blank lines. Not thread-safe.
public final class CSVReader {
    private let fd: Int32
    /// The reader's state lives in a value that `next()` moves out and back: worked on as a
    /// local, its bytes are read without a dynamic exclusivity check each (a class's stored
    /// properties pay one per access, which was a third of reading).
    private var scanner: Scanner

    public init(path: String, separator: Character = ",") throws(CSVError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVError(line: 0, message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        scanner = Scanner(fd: fd, separator: separator.asciiValue ?? UInt8(ascii: ","))
    }

    deinit { close(fd) }

    /// The next record, or nil at the end of the file.
    public func next() throws(CSVError) -> CSVRecord? {
        var local = Scanner.moved
        swap(&local, &scanner)
        defer { swap(&local, &scanner) }
        return try local.next()
    }

    /// Bytes of the file consumed so far.
    public var bytesRead: Int { scanner.consumedBefore + scanner.index }
}

private struct Scanner {
    let fd: Int32
    let separator: UInt8
    var chunk: [UInt8]
    var count = 0
    var index = 0
    var atEnd = false
    var isFirstChunk = true
    /// Bytes of the chunks before the current one.
    var consumedBefore = 0
    /// Lines begun so far (1-based line of the byte at `index`).
    var line = 1
    var field: [UInt8] = []
    var fields: [String] = []

    init(fd: Int32, separator: UInt8) {
        self.fd = fd
        self.separator = separator
        chunk = [UInt8](repeating: 0, count: 1 << 20)
        field.reserveCapacity(256)
    }

    /// What stands in the reader while `next()` works on its scanner.
    static let moved = Scanner(placeholder: ())
    private init(placeholder: Void) {
        fd = -1
        separator = 0
        chunk = []
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    mutating func next() throws(CSVError) -> CSVRecord? {
        var state = State.fieldStart
        let start = line
        var recordLine = start
        var sawAnything = false
        fields.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        while true {
            if index == count {
                try fill()
                if count == 0 {
                    if state == .quoted {
                        throw CSVError(line: recordLine, message: "a quoted field is not closed before the end of the file")
                    }
                    guard sawAnything || !fields.isEmpty else { return nil }
                    endField()
                    return CSVRecord(line: recordLine, fields: fields)
                }
            }
            let byte = chunk[index]
            index += 1
            switch state {
            case .quoted:
                if byte == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            case .fieldStart, .unquoted, .quoteInQuoted:
                switch byte {
                case separator:
                    sawAnything = true
                    endField()
                    state = .fieldStart
                case UInt8(ascii: "\n"):
                    line += 1
                    if !sawAnything && fields.isEmpty && field.isEmpty && state == .fieldStart {
                        // A blank line: not a record.
                        recordLine = line
                        continue
                    }
                    endField()
                    return CSVRecord(line: recordLine, fields: fields)
                case UInt8(ascii: "\r"):
                    continue
                case UInt8(ascii: "\""):
                    sawAnything = true
                    if state == .fieldStart {
                        state = .quoted
                    } else if state == .quoteInQuoted {
                        field.append(byte)
                        state = .quoted
                    } else {
                        field.append(byte)
                    }
                default:
                    sawAnything = true
                    field.append(byte)
                    state = .unquoted
                }
            }
        }
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
    }

    private mutating func fill() throws(CSVError) {
        consumedBefore += count
        index = 0
        count = 0
        guard !atEnd else { return }
        let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard got >= 0 else { throw CSVError(line: line, message: "cannot read: \(String(cString: strerror(errno)))") }
        if got == 0 { atEnd = true }
        count = got
        if isFirstChunk {
            isFirstChunk = false
            if count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { index = 3 }
        }
    }
}
