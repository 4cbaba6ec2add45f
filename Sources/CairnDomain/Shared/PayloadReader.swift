/// A stored payload ready for decoding: its bytes, or — where personal data is sealed — the
/// payload parsed once with its sealed members opened beside it
/// (``PersonalDataEnvelope/open(payload:_:)``), so each personal member is read from the opened
/// text instead of being spliced back into the payload, which would then be parsed again.
public struct PayloadSource {
    enum Storage {
        case bytes([UInt8])
        /// `overlay` gives the value of each opened member (by its value node in `document`),
        /// whose first member held the sealed data.
        case opened(document: JSONDocument, overlay: [(value: Int, element: JSONElement)])
    }

    let storage: Storage

    public init(bytes: [UInt8]) { storage = .bytes(bytes) }

    init(document: JSONDocument, overlay: [(value: Int, element: JSONElement)]) {
        storage = .opened(document: document, overlay: overlay)
    }
}

/// Reads one JSON object strictly: every field must be read exactly as declared, and
/// `finish()` refuses fields nobody asked for — an unexpected field means a schema drift that
/// must be upcast, not silently dropped.
struct PayloadReader: ~Copyable {
    let path: String
    private let document: JSONDocument
    private let object: Int
    private let memberCount: Int
    /// Members read so far, by ordinal (an event has far fewer than 64 fields; an object with
    /// more has unexpected ones, which ``finish()`` reports).
    private var seen: UInt64 = 0
    /// Where the next lookup starts: fields are mostly read in the order they were written.
    private var hint: (ordinal: Int, key: Int)
    /// Members whose value is read from elsewhere (opened personal data): value node → element.
    private var overlay: [(value: Int, element: JSONElement)] = []

    init(source: PayloadSource) throws(EventDecodingError) {
        switch source.storage {
        case .bytes(let bytes):
            try self.init(bytes: bytes)
        case .opened(let document, let overlay):
            try self.init(json: JSONElement(document: document, index: 0), path: "")
            self.overlay = overlay
            // The first member held the sealed data: the envelope's, not the event's.
            seen = 1
        }
    }

    init(bytes: [UInt8]) throws(EventDecodingError) {
        let document: JSONDocument
        do { document = try JSONDocument(bytes) } catch {
            throw EventDecodingError(path: "", reason: .malformedJSON(error.description))
        }
        try self.init(json: JSONElement(document: document, index: 0), path: "")
    }

    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        guard json.kind == .object else {
            throw EventDecodingError(path: path(), reason: .wrongType(expected: "object"))
        }
        self.document = json.document
        self.object = json.index
        self.memberCount = Int(json.document[json.index].count)
        self.hint = (0, json.index + 1)
        // Materialised once per object; a field's own path is built only if it fails to decode.
        self.path = path()
    }

    private func fieldPath(_ key: String) -> String { "\(path)/\(JSONPointer.escape(key))" }

    /// The value node of the first member named `key`, marking it read.
    private mutating func find(_ key: String) -> JSONElement? {
        guard memberCount > 0 else { return nil }
        var ordinal = hint.ordinal
        var keyNode = hint.key
        for _ in 0..<memberCount {
            if document.string(at: keyNode, equals: key) {
                if ordinal < 64 { seen |= 1 << UInt64(ordinal) }
                let value = keyNode + 1
                let next = Int(document[value].after)
                hint = ordinal + 1 < memberCount ? (ordinal + 1, next) : (0, object + 1)
                if !overlay.isEmpty, let opened = overlay.first(where: { $0.value == value }) { return opened.element }
                return JSONElement(document: document, index: value)
            }
            if ordinal + 1 < memberCount {
                ordinal += 1
                keyNode = Int(document[keyNode + 1].after)
            } else {
                ordinal = 0
                keyNode = object + 1
            }
        }
        return nil
    }

    mutating func required<T: JSONCodableValue>(_ key: String, as type: T.Type = T.self) throws(EventDecodingError) -> T {
        guard let value = find(key), !value.isNull else {
            throw EventDecodingError(path: fieldPath(key), reason: .missingField)
        }
        return try T(json: value, path: fieldPath(key))
    }

    mutating func optional<T: JSONCodableValue>(_ key: String, as type: T.Type = T.self) throws(EventDecodingError) -> T? {
        guard let value = find(key), !value.isNull else { return nil }
        return try T(json: value, path: fieldPath(key))
    }

    /// Arrays that may be omitted when empty.
    mutating func list<T: JSONCodableValue>(_ key: String, of type: T.Type = T.self) throws(EventDecodingError) -> [T] {
        try optional(key, as: [T].self) ?? []
    }

    /// Every member must have been read: the first one that was not is a duplicate of one that
    /// was, or a field this event does not have.
    consuming func finish() throws(EventDecodingError) {
        let complete: UInt64 = memberCount >= 64 ? .max : (1 << UInt64(memberCount)) - 1
        if memberCount <= 64, seen == complete { return }
        var readKeys: [String] = []
        for (ordinal, (keyNode, _)) in document.members(of: object).enumerated() {
            let key = (try? document.string(at: keyNode)) ?? "?"
            if ordinal < 64, seen & (1 << UInt64(ordinal)) != 0 {
                readKeys.append(key)
                continue
            }
            if readKeys.contains(key) {
                throw EventDecodingError(path: path, reason: .malformedJSON("duplicate key \"\(key)\""))
            }
            throw EventDecodingError(path: fieldPath(key), reason: .unexpectedField)
        }
    }
}

/// Nested payload objects (addresses, money, order lines…) read and written as JSON objects.
protocol JSONObjectCodable: JSONCodableValue {
    init(reader: inout PayloadReader) throws(EventDecodingError)
}

extension JSONObjectCodable {
    init(json: JSONElement, path: @autoclosure () -> String) throws(EventDecodingError) {
        // The reader works with paths relative to this object, and the object's own path is
        // put in front only when something fails: building it for every nested object that
        // decodes fine was a measurable share of decoding.
        do {
            var reader = try PayloadReader(json: json, path: "")
            self = try Self(reader: &reader)
            try reader.finish()
        } catch {
            var located = error
            located.path = path() + error.path
            throw located
        }
    }
}
