/// How personal data sits in a stored payload: the members the catalogue marks as personal
/// are sealed together, as one JSON object, into the payload's first member,
///
/// ```json
/// {"$sealed": {"data": "<base64 of the ciphertext>", "key": "<key id>"},
///  "address": {"city": "[erased]", …}, "email": "[erased]", "leadId": "l_1", …}
/// ```
///
/// and each keeps its place with its shape-preserving placeholder (see
/// ``EventCatalogue/redact``): what the payload shows once the key is gone, so an erased event
/// still decodes and folds. Every other member stays in clear, so projections and analysis
/// keep reading them.
///
/// Payloads sealed before 2026-12-06 hold one sealed member per personal member,
/// `"email": {"$sealed": "<base64>", "erased": …, "key": "<key id>"}` (a string's placeholder
/// left out); they open the same way.
///
/// This type only moves bytes; what seals and opens (the cipher, the keys) is the caller's.
public enum PersonalDataEnvelope {
    /// A sealed member of a stored payload.
    public struct Sealed: Sendable {
        public let name: String
        public let keyId: String
        public let ciphertext: [UInt8]
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let reason): "malformed payload: \(reason)"
            }
        }
    }

    /// What sealing an event of one type and version involves: the members to seal, and the
    /// kind of data they are (the event's category) — what a subject's data keys are kept by.
    public struct Plan: Sendable {
        public let members: [String]
        public let kind: String
        /// `members` as UTF-8, matched against payload keys without making strings.
        let memberBytes: [[UInt8]]

        init(members: [String], kind: String) {
            self.members = members
            self.kind = kind
            self.memberBytes = members.map { Array($0.utf8) }
        }
    }

    /// The plan for events of `type` and `schemaVersion`; nil for those without personal data.
    public static func plan(type: String, schemaVersion: Int) -> Plan? { plans[type]?[schemaVersion] }

    private static let plans: [String: [Int: Plan]] = Dictionary(
        grouping: EventCatalogue.entries.filter { !$0.personalDataPaths.isEmpty }, by: \.type
    )
    .mapValues { versions in
        Dictionary(uniqueKeysWithValues: versions.map { ($0.schemaVersion, Plan(members: $0.personalMembers, kind: $0.category.rawValue)) })
    }

    /// Seals one member: appends the ciphertext of `json` (the member's value as JSON text) to
    /// `ciphertext`, which comes empty and is reused from member to member.
    public typealias MemberSealer = (_ name: String, _ json: UnsafeBufferPointer<UInt8>, _ ciphertext: inout [UInt8]) throws -> Void

    /// A payload parsed once for sealing: what a write needs to know before it seals (the
    /// addresses it links to the subject) is read from the same parse.
    public struct Prepared {
        public let plan: Plan
        let document: JSONDocument

        /// The email addresses the event gives its subject (see ``ContactValidation/emailAddresses(type:payload:)``).
        public func emailAddresses(type: String) -> [String] { ContactValidation.emailAddresses(type: type, document: document) }
    }

    /// Parses `payload` (a JSON object) for sealing under `plan`.
    public static func prepare(_ plan: Plan, payload: [UInt8]) throws -> Prepared {
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        return Prepared(plan: plan, document: document)
    }

    /// Buffers one sealing pass reuses from event to event, so sealing a batch allocates little
    /// more than each event's new payload.
    public struct Scratch {
        /// `{"name":value,…}`: the personal members, in the payload's (sorted) order.
        var members: [UInt8] = []
        /// The payload after its `{`, each personal value its placeholder.
        var rest: [UInt8] = []
        var ciphertext: [UInt8] = []

        public init() {}
    }

    /// The prepared payload with its personal members (present and not null) sealed together
    /// by `seal` under the key named `keyId`: they become one object, sealed once into the
    /// payload's first member, and each keeps its placeholder in its place. One nonce, tag and
    /// key name per event instead of per member: sealing used to double a payload's bytes, and
    /// the log's writer pays for every byte. The payload is written once, straight into its new
    /// buffer: sealing sits on every append's path.
    public static func seal(_ prepared: Prepared, keyId: KeyName, _ seal: MemberSealer) throws -> [UInt8] {
        var scratch = Scratch()
        return try self.seal(prepared, keyId: keyId, scratch: &scratch, seal)
    }

    /// ``seal(_:keyId:_:)`` with `scratch`'s buffers, kept by the caller across a batch.
    public static func seal(_ prepared: Prepared, keyId: KeyName, scratch: inout Scratch, _ seal: MemberSealer) throws -> [UInt8] {
        let plan = prepared.plan
        let document = prepared.document
        let payload = document.bytes
        scratch.members.removeAll(keepingCapacity: true)
        scratch.rest.removeAll(keepingCapacity: true)
        scratch.ciphertext.removeAll(keepingCapacity: true)
        var cursor = 1
        try payload.withUnsafeBufferPointer { (bytes) throws in
            for (key, value) in document.members(of: 0) {
                guard document[value].kind != .null, let member = document.key(at: key, in: plan.memberBytes, bytes) else { continue }
                let range = document.valueRange(value)
                scratch.members.append(scratch.members.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
                scratch.members.append(UInt8(ascii: "\""))
                scratch.members += plan.memberBytes[member]
                append("\":", to: &scratch.members)
                scratch.members.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range]))
                scratch.rest.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor..<range.lowerBound]))
                try appendPlaceholder(of: value, in: document, bytes, to: &scratch.rest)
                cursor = range.upperBound
            }
            if !scratch.members.isEmpty { scratch.rest.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[cursor...])) }
        }
        guard !scratch.members.isEmpty else { return payload }
        scratch.members.append(UInt8(ascii: "}"))
        try scratch.members.withUnsafeBufferPointer { try seal(sealedMember, $0, &scratch.ciphertext) }
        // {"$sealed":{"data":…,"key":…},…}: first, as `$` sorts before every other member name.
        var out: [UInt8] = []
        out.reserveCapacity(scratch.rest.count + (scratch.ciphertext.count + 2) / 3 * 4 + keyId.json.count + 32)
        append("{\"$sealed\":{\"data\":\"", to: &out)
        appendBase64(scratch.ciphertext, to: &out)
        append("\",\"key\":", to: &out)
        out += keyId.json
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: ","))
        out += scratch.rest
        return out
    }

    /// The name of the member holding an event's sealed members, and what their ciphertext is
    /// bound to in place of a member name.
    public static let sealedMember = "$sealed"

    /// A key id (its UTF-8 bytes) with its JSON text, made once for all the members sealed
    /// under it.
    public struct KeyName: Sendable {
        public let bytes: [UInt8]
        let json: [UInt8]

        public init(_ id: String) { self.init(bytes: Array(id.utf8)) }

        /// `bytes` must be UTF-8; the JSON text is written from them without making a string.
        public init(bytes: [UInt8]) {
            self.bytes = bytes
            var json = [UInt8]()
            json.reserveCapacity(bytes.count + 2)
            bytes.withUnsafeBufferPointer { JSONValue.writeString(utf8: $0, to: &json) }
            self.json = json
        }
    }

    /// The placeholder of the value at `index` (``EventCatalogue/placeholder(for:)``), written
    /// from the parsed document without building the value; `bytes` are the document's.
    static func appendPlaceholder(
        of index: Int, in document: JSONDocument, _ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
    ) throws {
        switch document[index].kind {
        case .string: out += erasedString
        case .array: append("[]", to: &out)
        case .null: append("null", to: &out)
        case .number: out.append(UInt8(ascii: "0"))
        case .true, .false: append("false", to: &out)
        case .object:
            if document[index].count == 2, isTypedValue(index, in: document) {
                out += typedErased
                return
            }
            // Keys in byte order, as payloads are written. Keys without escapes already in that
            // order (what the domain writes) are copied as they stand.
            var previous: Range<Int>? = nil
            var inOrder = true
            for (key, _) in document.members(of: index) {
                let node = document[key]
                let range = Int(node.start)..<Int(node.end)
                if node.escaped || previous.map({ !bytes[$0].lexicographicallyPrecedes(bytes[range]) }) == true {
                    inOrder = false
                    break
                }
                previous = range
            }
            guard inOrder else { return try appendSortingKeys(of: index, in: document, bytes, to: &out) }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in document.members(of: index) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                let node = document[key]
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)]))
                append("\":", to: &out)
                try appendPlaceholder(of: value, in: document, bytes, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether the object at `index` (of two members) is a typed value, `{"type":…,"value":…}`
    /// with one of the attribute types: its placeholder keeps the type.
    private static func isTypedValue(_ index: Int, in document: JSONDocument) -> Bool {
        var kind: Int? = nil
        var hasValue = false
        for (key, value) in document.members(of: index) {
            if document.string(at: key, equals: "type") {
                kind = value
            } else if document.string(at: key, equals: "value") {
                hasValue = true
            }
        }
        guard let kind, hasValue, document[kind].kind == .string else { return false }
        return ["string", "number", "boolean", "date"].contains { document.string(at: kind, equals: $0) }
    }

    /// The object's placeholder with its keys put in byte order first: each key's text as UTF-8
    /// (its raw bytes when it has no escapes), sorted and written as a JSON string.
    private static func appendSortingKeys(
        of index: Int, in document: JSONDocument, _ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
    ) throws {
        var members: [(key: Int, value: Int)] = []
        members.reserveCapacity(Int(document[index].count))
        for member in document.members(of: index) { members.append(member) }
        let keys = try members.map { member in
            document[member.key].escaped ? Array(try document.string(at: member.key).utf8) : document.rawBytes(of: member.key)
        }
        out.append(UInt8(ascii: "{"))
        for (i, ordinal) in keys.indices.sorted(by: { keys[$0].lexicographicallyPrecedes(keys[$1]) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            keys[ordinal].withUnsafeBufferPointer { JSONValue.writeString(utf8: $0, to: &out) }
            out.append(UInt8(ascii: ":"))
            try appendPlaceholder(of: members[ordinal].value, in: document, bytes, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The payload with its sealed members opened: each ``Sealed`` is replaced by what `open`
    /// returns for it — the JSON text it was sealed from — or, when `open` returns nil (the key
    /// is gone), by its members' placeholders. A payload without sealed members comes back as
    /// it is. Reads both forms: one sealed object per event, and (written before 2026-12-06)
    /// one sealed member per personal member.
    public static func reveal(payload: [UInt8], _ open: (Sealed) throws -> [UInt8]?) throws -> [UInt8] {
        guard hasSealedMembers(payload) else { return payload }
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        var replacements: [(Range<Int>, [UInt8])] = []
        var topLevel: [(key: Int, value: Int)] = []
        for member in document.members(of: 0) { topLevel.append(member) }
        for (index, (key, value)) in topLevel.enumerated() where document[value].kind == .object {
            if document.string(at: key, equals: sealedMember) {
                // The event's sealed object; removed with the comma that parts it from a neighbour.
                guard let ciphertext = try sealedFields(of: value, in: document, dataMember: "data", name: sealedMember)?.ciphertext
                else {
                    throw Failure.malformed("\(sealedMember) holds no ciphertext")
                }
                var removed = Int(document[key].start) - 1..<document.valueRange(value).upperBound
                if index + 1 < topLevel.count {
                    removed = removed.lowerBound..<Int(document[topLevel[index + 1].key].start) - 1
                } else if index > 0 {
                    removed = document.valueRange(topLevel[index - 1].value).upperBound..<removed.upperBound
                }
                replacements.append((removed, []))
                guard let plaintext = try open(ciphertext) else { continue }  // the placeholders stay
                let opened = try JSONDocument(plaintext)
                guard opened[0].kind == .object else { throw Failure.malformed("the sealed members are not an object") }
                for (openedKey, openedValue) in opened.members(of: 0) {
                    let name = try opened.string(at: openedKey)
                    guard let target = topLevel.first(where: { document.string(at: $0.key, equals: name) }) else {
                        throw Failure.malformed("sealed member \(name) has no place in the payload")
                    }
                    replacements.append((document.valueRange(target.value), Array(plaintext[opened.valueRange(openedValue)])))
                }
                continue
            }
            guard let (sealed, erased) = try sealedFields(of: value, in: document, dataMember: sealedMember, name: document.string(at: key))
            else {
                continue  // an object in clear
            }
            let plaintext = try open(sealed)
            // A member sealed without a placeholder is a string (see `seal`).
            replacements.append((document.valueRange(value), plaintext ?? erased.map { Array(payload[$0]) } ?? Self.erasedString))
        }
        return splice(payload, replacements)
    }

    /// `payload` ready for decoding, its sealed members opened by `open` (when `open` returns
    /// nil — the key is gone — the placeholders stay): what ``reveal(payload:_:)`` gives, without
    /// splicing the opened members into a new payload and parsing it all again. Nil for a
    /// payload in the per-member form of before 2026-12-06, which `reveal` opens.
    public static func open(payload: [UInt8], _ open: (Sealed) throws -> [UInt8]?) throws -> PayloadSource? {
        // Sealing writes the event's sealed object first (`$` sorts before every member name);
        // the per-member form is left to `reveal` before anything is parsed.
        guard payload.starts(with: sealedPrefix) else { return hasSealedMembers(payload) ? nil : PayloadSource(bytes: payload) }
        let document = try JSONDocument(payload)
        guard document[0].kind == .object else { throw Failure.malformed("not an object") }
        var members = document.members(of: 0)
        guard let (sealedKey, sealedValue) = members.next(), document.string(at: sealedKey, equals: sealedMember),
            document[sealedValue].kind == .object
        else { return nil }
        guard let ciphertext = try sealedFields(of: sealedValue, in: document, dataMember: "data", name: sealedMember)?.ciphertext else {
            throw Failure.malformed("\(sealedMember) holds no ciphertext")
        }
        guard let plaintext = try open(ciphertext) else { return PayloadSource(document: document, overlay: []) }
        let opened = try JSONDocument(plaintext)
        guard opened[0].kind == .object else { throw Failure.malformed("the sealed members are not an object") }
        var overlay: [(value: Int, element: JSONElement)] = []
        overlay.reserveCapacity(Int(opened[0].count))
        for (openedKey, openedValue) in opened.members(of: 0) {
            let name = try opened.string(at: openedKey)
            var target: Int?
            for (key, value) in document.members(of: 0) where document.string(at: key, equals: name) {
                target = value
                break
            }
            guard let target, target != sealedValue else { throw Failure.malformed("sealed member \(name) has no place in the payload") }
            overlay.append((target, JSONElement(document: opened, index: openedValue)))
        }
        return PayloadSource(document: document, overlay: overlay)
    }

    /// The ciphertext (base64 in the string member `dataMember`), key id (`key`) and, for a
    /// member sealed alone, placeholder (`erased`) of the sealed object at `index`; nil when
    /// the object holds no `dataMember` string (it is not sealed).
    private static func sealedFields(
        of index: Int, in document: JSONDocument, dataMember: String, name: String
    ) throws -> (ciphertext: Sealed, erased: Range<Int>?)? {
        var data: Int?
        var keyId: String?
        var erased: Range<Int>?
        for (innerKey, innerValue) in document.members(of: index) {
            if document.string(at: innerKey, equals: dataMember), document[innerValue].kind == .string {
                data = innerValue
            } else if document.string(at: innerKey, equals: "key"), document[innerValue].kind == .string {
                keyId = try document.string(at: innerValue)
            } else if document.string(at: innerKey, equals: "erased") {
                erased = document.valueRange(innerValue)
            }
        }
        guard let data else { return nil }
        let text = document[data]
        guard let keyId, !text.escaped,
            let ciphertext = document.bytes.withUnsafeBufferPointer({
                decodeBase64(UnsafeBufferPointer(rebasing: $0[Int(text.start)..<Int(text.end)]))
            })
        else {
            throw Failure.malformed("sealed member \(name) lacks its key or base64 ciphertext")
        }
        return (Sealed(name: name, keyId: keyId, ciphertext: ciphertext), erased)
    }

    /// Whether the payload may hold sealed members (a quick byte search, no parse).
    public static func hasSealedMembers(_ payload: [UInt8]) -> Bool { contains(payload, marker) }

    private static let marker = Array("\"$sealed\"".utf8)
    private static let sealedPrefix = Array("{\"$sealed\":{".utf8)

    /// Appends a literal's bytes in place (no array to retain and release per member).
    @inline(__always)
    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static let erasedString = JSONValue.string(EventCatalogue.erasedPlaceholder).serializedBytes
    private static let typedErased = JSONValue.object(["type": .string("string"), "value": .string(EventCatalogue.erasedPlaceholder)])
        .serializedBytes
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The two characters of every 12-bit group, as they lie in memory: a lookup per two
    /// characters instead of per character.
    private static let base64Pairs: [UInt16] = (0..<4096).map { n in
        (UInt16(base64Alphabet[n >> 6]) | UInt16(base64Alphabet[n & 63]) << 8).littleEndian
    }

    /// Standard base64 with padding (RFC 4648 §4), straight into `out`.
    static func appendBase64(_ bytes: [UInt8], to out: inout [UInt8]) {
        let encodedCount = (bytes.count + 2) / 3 * 4
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: encodedCount))
        out.withUnsafeMutableBufferPointer { buffer in
            base64Pairs.withUnsafeBufferPointer { pairs in
                bytes.withUnsafeBufferPointer { input in
                    let output = UnsafeMutableRawPointer(buffer.baseAddress! + start)
                    var o = 0
                    var index = 0
                    while index + 3 <= input.count {
                        let n = Int(input[index]) << 16 | Int(input[index + 1]) << 8 | Int(input[index + 2])
                        output.storeBytes(of: pairs[n >> 12], toByteOffset: o, as: UInt16.self)
                        output.storeBytes(of: pairs[n & 0xFFF], toByteOffset: o + 2, as: UInt16.self)
                        o += 4
                        index += 3
                    }
                    let rest = input.count - index
                    if rest > 0 {
                        let n = Int(input[index]) << 16 | (rest == 2 ? Int(input[index + 1]) << 8 : 0)
                        output.storeBytes(of: pairs[n >> 12], toByteOffset: o, as: UInt16.self)
                        let third = rest == 2 ? base64Alphabet[n >> 6 & 63] : UInt8(ascii: "=")
                        output.storeBytes(of: third, toByteOffset: o + 2, as: UInt8.self)
                        output.storeBytes(of: UInt8(ascii: "="), toByteOffset: o + 3, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// The bytes of standard padded base64 text (RFC 4648 §4); nil for anything else.
    static func decodeBase64(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        guard !text.isEmpty else { return [] }
        let padding = text[text.count - 1] == UInt8(ascii: "=") ? (text[text.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        var out = [UInt8](repeating: 0, count: text.count / 4 * 3 - padding)
        let valid = out.withUnsafeMutableBufferPointer { out -> Bool in
            base64Values.withUnsafeBufferPointer { values -> Bool in
                var o = 0
                var index = 0
                while index < text.count {
                    let last = index + 4 == text.count
                    let a = values[Int(text[index])]
                    let b = values[Int(text[index + 1])]
                    let c = last && padding == 2 ? 0 : values[Int(text[index + 2])]
                    let d = last && padding >= 1 ? 0 : values[Int(text[index + 3])]
                    guard (a | b | c | d) & 0x80 == 0 else { return false }
                    let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: n >> 16)
                    if o + 1 < out.count { out[o + 1] = UInt8(truncatingIfNeeded: n >> 8) }
                    if o + 2 < out.count { out[o + 2] = UInt8(truncatingIfNeeded: n) }
                    // Padding must leave no stray bits behind it (canonical encoding).
                    if last && (padding == 1 && n & 0xFF != 0 || padding == 2 && n & 0xFFFF != 0) { return false }
                    o += 3
                    index += 4
                }
                return true
            }
        }
        return valid ? out : nil
    }

    /// Each byte's base64 value; 0xFF for a byte outside the alphabet.
    private static let base64Values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in base64Alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        return values
    }()

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { haystack in
            guard haystack.count >= needle.count else { return false }
            let first = needle[0]
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == first, needle.indices.allSatisfy({ haystack[index + $0] == needle[$0] }) { return true }
                index += 1
            }
            return false
        }
    }

    private static func splice(_ bytes: [UInt8], _ replacements: [(Range<Int>, [UInt8])]) -> [UInt8] {
        guard !replacements.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + replacements.reduce(0) { $0 + $1.1.count })
        var cursor = 0
        for (range, replacement) in replacements.sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) {
            out += bytes[cursor..<range.lowerBound]
            out += replacement
            cursor = range.upperBound
        }
        out += bytes[cursor...]
        return out
    }
}

extension JSONDocument {
    /// The bytes of a value node's whole JSON text (a string with its quotes, a container with
    /// its brackets).
    func valueRange(_ index: Int) -> Range<Int> {
        let node = nodes[index]
        return node.kind == .string ? Int(node.start) - 1..<Int(node.end) + 1 : Int(node.start)..<Int(node.end)
    }
}
