/// A JSON payload parsed once into a flat "tape" of nodes over its bytes: what event decoding
/// reads from.
///
/// Parsing validates the whole document (RFC 8259, as strictly as ``JSONValue/parse(_:)``) but
/// materialises nothing: strings stay byte ranges until a decoder asks for one, numbers stay
/// text until read, and an object's members are found by comparing key bytes instead of
/// hashing them into a dictionary. Decoding an event is thus one pass over its bytes plus one
/// allocation per string that is actually kept; that is what lets every projection read the
/// log at a million events a second.
///
/// Duplicate keys are not looked for while parsing: a strict ``PayloadReader`` finds the first
/// member with a key, so a duplicate is the member left unread, and it reports it then.
final class JSONDocument {
    enum Kind: UInt8 {
        case null, `false`, `true`, number, string, array, object
    }

    struct Node {
        var kind: Kind
        /// Strings: contains a backslash escape, so its bytes are not its text.
        var escaped: Bool
        /// Strings: contains a byte ≥ 0x80, so its UTF-8 must be validated.
        var nonASCII: Bool
        /// Byte range: a string's content between its quotes, a number's text.
        var start: UInt32
        var end: UInt32
        /// Containers: members (objects) or items (arrays).
        var count: UInt32
        /// Index of the first node after this one's subtree.
        var after: UInt32
    }

    let bytes: [UInt8]
    /// Immutable once parsed (a `let`, so reads need no exclusivity checks).
    let nodes: [Node]

    /// Parses exactly one JSON value, with at most 64 levels of nesting.
    init(_ bytes: [UInt8]) throws(JSONParseError) {
        self.bytes = bytes
        var nodes: [Node] = []
        nodes.reserveCapacity(bytes.count / 8 + 4)
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in
            var parser = TapeParser(bytes: buffer)
            parser.skipWhitespace()
            try parser.parseValue(depth: 0, into: &nodes)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("trailing characters") }
        }
        self.nodes = nodes
    }

    subscript(_ index: Int) -> Node { nodes[index] }

    // MARK: Reading values

    /// The text of the string node at `index`.
    func string(at index: Int) throws(JSONParseError) -> String {
        let node = nodes[index]
        return try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> String in
            let raw = UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.end)])
            if !node.escaped && !node.nonASCII { return String(decoding: raw, as: UTF8.self) }
            let unescaped = node.escaped ? try Self.unescape(raw, offset: Int(node.start)) : Array(raw)
            guard let text = String(validating: unescaped, as: UTF8.self) else {
                throw JSONParseError(offset: Int(node.start), reason: "invalid UTF-8")
            }
            return text
        }
    }

    /// Whether the string node at `index` is exactly `text` (keys are compared without
    /// making strings).
    func string(at index: Int, equals text: String) -> Bool {
        let node = nodes[index]
        if node.escaped { return (try? string(at: index)) == text }
        let length = Int(node.end - node.start)
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count == length else { return false }
            return bytes.withUnsafeBufferPointer { buffer in
                length == 0 || memcmpEqual(buffer.baseAddress! + Int(node.start), utf8.baseAddress!, length)
            }
        }
    }

    /// The bytes between a string node's quotes, as they stand (escapes included).
    func rawBytes(of index: Int) -> [UInt8] {
        let node = nodes[index]
        return Array(bytes[Int(node.start)..<Int(node.end)])
    }

    /// Which of `candidates` (UTF-8 texts) the string node at `index` is, comparing bytes;
    /// `bytes` is this document's bytes, already borrowed by the caller.
    func key(at index: Int, in candidates: [[UInt8]], _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let node = nodes[index]
        if node.escaped {
            guard let text = try? string(at: index) else { return nil }
            return candidates.firstIndex { $0.elementsEqual(text.utf8) }
        }
        let start = Int(node.start)
        let length = Int(node.end) - start
        guard length > 0 else { return candidates.firstIndex { $0.isEmpty } }
        let first = bytes[start]
        for (i, candidate) in candidates.enumerated() where candidate.count == length && candidate[0] == first {
            if candidate.withUnsafeBufferPointer({ memcmpEqual(bytes.baseAddress! + start, $0.baseAddress!, length) }) { return i }
        }
        return nil
    }

    /// The number node at `index` as a double; integers of up to 15 digits without a fraction
    /// or exponent are read without going through text.
    func number(at index: Int) -> Double? {
        let node = nodes[index]
        return bytes.withUnsafeBufferPointer { buffer -> Double? in
            let text = UnsafeBufferPointer(rebasing: buffer[Int(node.start)..<Int(node.end)])
            var negative = false
            var digits = text[...]
            if digits.first == UInt8(ascii: "-") {
                negative = true
                digits = digits.dropFirst()
            }
            if digits.count <= 15, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                var value: Int64 = 0
                for digit in digits { value = value * 10 + Int64(digit - 0x30) }
                return Double(negative ? -value : value)
            }
            guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
            return value
        }
    }

    /// The members of the object node at `index`: (key node, value node) pairs in order.
    func members(of index: Int) -> MemberSequence { MemberSequence(document: self, object: index) }

    /// The item nodes of the array node at `index`, in order.
    func items(of index: Int) -> ItemSequence { ItemSequence(document: self, array: index) }

    struct MemberSequence: Sequence, IteratorProtocol {
        let document: JSONDocument
        var cursor: Int
        var remaining: Int

        init(document: JSONDocument, object: Int) {
            self.document = document
            self.cursor = object + 1
            self.remaining = Int(document.nodes[object].count)
        }

        mutating func next() -> (key: Int, value: Int)? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let key = cursor
            cursor = Int(document.nodes[key + 1].after)
            return (key, key + 1)
        }
    }

    struct ItemSequence: Sequence, IteratorProtocol {
        let document: JSONDocument
        var cursor: Int
        var remaining: Int

        init(document: JSONDocument, array: Int) {
            self.document = document
            self.cursor = array + 1
            self.remaining = Int(document.nodes[array].count)
        }

        mutating func next() -> Int? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            defer { cursor = Int(document.nodes[cursor].after) }
            return cursor
        }
    }

    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>, offset: Int) throws(JSONParseError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4() throws(JSONParseError) -> UInt32 {
            guard i + 4 <= raw.count else { throw JSONParseError(offset: offset + i, reason: "short unicode escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let b = raw[i]
                let digit: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
                default: throw JSONParseError(offset: offset + i, reason: "bad unicode escape")
                }
                value = value << 4 | UInt32(digit)
                i += 1
            }
            return value
        }
        while i < raw.count {
            let b = raw[i]
            i += 1
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                continue
            }
            let e = raw[i]  // the parser guarantees a character after a backslash
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 2 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") else {
                        throw JSONParseError(offset: offset + i, reason: "lone surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(offset: offset + i, reason: "bad surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw JSONParseError(offset: offset + i, reason: "lone surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONParseError(offset: offset + i, reason: "bad scalar") }
                out.append(contentsOf: String(Character(u)).utf8)
            default: throw JSONParseError(offset: offset + i - 1, reason: "bad escape")
            }
        }
        return out
    }
}

private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}

/// The validating pass that builds a ``JSONDocument``'s nodes.
private struct TapeParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("expected \(literal)") }
        for i in 0..<count where bytes[index + i] != literal.utf8Start[i] { throw error("expected \(literal)") }
        index += count
    }

    private func leaf(_ kind: JSONDocument.Kind, _ start: Int, _ end: Int, _ nodes: inout [JSONDocument.Node]) {
        nodes.append(
            JSONDocument.Node(
                kind: kind, escaped: false, nonASCII: false, start: UInt32(start), end: UInt32(end), count: 0,
                after: UInt32(nodes.count + 1)))
    }

    mutating func parseValue(depth: Int, into nodes: inout [JSONDocument.Node]) throws(JSONParseError) {
        guard depth < 64 else { throw error("nesting too deep") }
        guard index < bytes.count else { throw error("unexpected end") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "n"):
            try expect("null")
            leaf(.null, start, index, &nodes)
        case UInt8(ascii: "t"):
            try expect("true")
            leaf(.true, start, index, &nodes)
        case UInt8(ascii: "f"):
            try expect("false")
            leaf(.false, start, index, &nodes)
        case UInt8(ascii: "\""):
            try parseString(into: &nodes)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
            leaf(.number, start, index, &nodes)
        case UInt8(ascii: "["):
            index += 1
            let container = nodes.count
            leaf(.array, start, start, &nodes)
            var count: UInt32 = 0
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    try parseValue(depth: depth + 1, into: &nodes)
                    count += 1
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unterminated array") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "]") {
                        index += 1
                        break
                    }
                    throw error("expected , or ]")
                }
            }
            nodes[container].count = count
            nodes[container].end = UInt32(index)
            nodes[container].after = UInt32(nodes.count)
        case UInt8(ascii: "{"):
            index += 1
            let container = nodes.count
            leaf(.object, start, start, &nodes)
            var count: UInt32 = 0
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected key") }
                    try parseString(into: &nodes)
                    skipWhitespace()
                    try expect(":")
                    skipWhitespace()
                    try parseValue(depth: depth + 1, into: &nodes)
                    count += 1
                    skipWhitespace()
                    guard index < bytes.count else { throw error("unterminated object") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "}") {
                        index += 1
                        break
                    }
                    throw error("expected , or }")
                }
            }
            nodes[container].count = count
            nodes[container].end = UInt32(index)
            nodes[container].after = UInt32(nodes.count)
        default:
            throw error("unexpected character")
        }
    }

    /// Checks the number grammar; the text is converted only when read.
    mutating func scanNumber() throws(JSONParseError) {
        func digits(_ p: inout TapeParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, p.bytes[p.index] >= 0x30, p.bytes[p.index] <= 0x39 { p.index += 1 }
            return p.index - s
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let intStart = index
        let intDigits = digits(&self)
        guard intDigits > 0 else { throw error("expected digits") }
        if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") { throw error("leading zero") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("expected fraction digits") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("expected exponent digits") }
        }
    }

    /// Finds the closing quote; escapes are checked for shape here and decoded on read.
    mutating func parseString(into nodes: inout [JSONDocument.Node]) throws(JSONParseError) {
        index += 1  // opening quote
        let start = index
        var escaped = false
        var nonASCII = false
        let count = bytes.count
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while true {
            // Eight bytes at a time while none is a quote, a backslash or a control character.
            while index &+ 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if Self.hasStringSpecial(word) { break }
                if word & Self.highBits != 0 { nonASCII = true }
                index &+= 8
            }
            guard index < count else { throw error("unterminated string") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw error("control character in string") }
            if b >= 0x80 { nonASCII = true }
            if b == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < count else { throw error("unterminated escape") }
            }
            index += 1
        }
        nodes.append(
            JSONDocument.Node(
                kind: .string, escaped: escaped, nonASCII: nonASCII, start: UInt32(start), end: UInt32(index), count: 0,
                after: UInt32(nodes.count + 1)))
        index += 1  // closing quote
    }

    private static let lowBits: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` is a quote, a backslash or below 0x20 (the classic SWAR tests
    /// for a zero byte and for a byte below n, exact as to whether there is one).
    @inline(__always)
    static func hasStringSpecial(_ word: UInt64) -> Bool {
        let quote = word ^ (lowBits &* 0x22)
        let backslash = word ^ (lowBits &* 0x5C)
        let below = (word &- lowBits &* 0x20) & ~word
        let zeroQuote = (quote &- lowBits) & ~quote
        let zeroBackslash = (backslash &- lowBits) & ~backslash
        return (below | zeroQuote | zeroBackslash) & highBits != 0
    }
}
