import CairnStore
import Foundation

/// Writes JSON by hand: deterministic key order and no detour through Foundation objects,
/// which matters when tailing millions of events.
struct JSONText {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func raw(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                raw("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `"key":` (with a leading comma unless it is the first member).
    mutating func key(_ key: String, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension RecordedEvent {
    /// The event as one JSON object: the envelope, then the payload as stored.
    var jsonLine: String {
        var json = JSONText()
        json.raw("{")
        json.key("position", first: true); json.raw(String(position))
        json.key("stream"); json.string(stream)
        json.key("version"); json.raw(String(streamVersion))
        json.key("id"); json.string(id.uuidString.lowercased())
        json.key("type"); json.string(type)
        json.key("schemaVersion"); json.raw(String(schemaVersion))
        json.key("recordedAt"); json.string(recordedAt.rfc3339)
        if let occurredAt { json.key("occurredAt"); json.string(occurredAt.rfc3339) }
        json.key("actor"); json.string(actor)
        if let correlationId { json.key("correlationId"); json.string(correlationId) }
        if let causationId { json.key("causationId"); json.string(causationId) }
        if let subject { json.key("subject"); json.string(subject) }
        json.key("payload")
        withPayload { payload in
            if payload.isEmpty { json.raw("null") } else { json.raw(payload) }
        }
        json.key("hash"); json.string(hash.hex)
        json.raw("}")
        return json.text
    }
}

/// Parses one append given as a JSON object:
/// `{"stream": "customer-1", "type": "customers.CustomerRegistered", "payload": {…}}`, with
/// optional `id`, `schemaVersion`, `expectedVersion` (`any`, `no_stream`, `stream_exists` or a
/// number), `subject`, `actor`, `occurredAt`, `correlationId`, `causationId`; or with
/// `"events": [{…}, …]` in place of one event's fields to append several to one stream.
struct AppendLine {
    var append: StreamAppend

    init(json line: String, defaultActor: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CLIError("input is not a JSON object: \(line.prefix(80))")
        }
        guard let stream = object["stream"] as? String else { throw CLIError("\"stream\" (a string) is required") }
        let expected = try Self.expectedVersion(object["expectedVersion"])
        let eventObjects: [[String: Any]]
        if let events = object["events"] {
            guard let list = events as? [[String: Any]] else { throw CLIError("\"events\" must be an array of objects") }
            eventObjects = list
        } else {
            eventObjects = [object]
        }
        // With "events", the top level supplies defaults for them all — but never an id.
        var defaults = object
        defaults.removeValue(forKey: "id")
        let events = try eventObjects.map { try Self.event($0, defaultActor: defaultActor, defaults: defaults) }
        append = StreamAppend(stream: stream, expectedVersion: expected, events: events)
    }

    static func expectedVersion(_ value: Any?) throws -> ExpectedVersion {
        switch value {
        case nil, is NSNull: return .any
        case let text as String:
            switch text {
            case "any": return .any
            case "no_stream": return .noStream
            case "stream_exists": return .streamExists
            default:
                guard let version = UInt64(text) else {
                    throw CLIError("expectedVersion must be any, no_stream, stream_exists or a number, not \(text)")
                }
                return .exact(version)
            }
        case let number as NSNumber:
            // JSON true and false arrive as NSNumbers of type char ("c").
            guard String(cString: number.objCType) != "c", let version = UInt64(exactly: number.doubleValue) else {
                throw CLIError("expectedVersion must be any, no_stream, stream_exists or a whole number ≥ 0")
            }
            return .exact(version)
        default:
            throw CLIError("expectedVersion must be any, no_stream, stream_exists or a number")
        }
    }

    static func event(_ object: [String: Any], defaultActor: String, defaults: [String: Any]) throws -> NewEvent {
        func text(_ key: String) throws -> String? {
            guard let value = object[key] ?? defaults[key], !(value is NSNull) else { return nil }
            guard let string = value as? String else { throw CLIError("\"\(key)\" must be a string") }
            return string
        }
        guard let type = try text("type") else { throw CLIError("\"type\" (a string) is required") }
        let payload = try payloadBytes(object["payload"] ?? [String: Any]())
        var id = UUID.v7()
        if let given = try text("id") {
            guard let parsed = UUID(uuidString: given) else { throw CLIError("\"id\" must be a UUID, not \(given)") }
            id = parsed
        }
        var schemaVersion: UInt32 = 1
        if let value = object["schemaVersion"] {
            guard let number = value as? NSNumber, let v = UInt32(exactly: number.doubleValue) else {
                throw CLIError("\"schemaVersion\" must be a whole number ≥ 1")
            }
            schemaVersion = v
        }
        var occurredAt: Timestamp?
        if let given = try text("occurredAt") {
            guard let parsed = Timestamp(rfc3339: given) else { throw CLIError("\"occurredAt\" must be an RFC 3339 time, not \(given)") }
            occurredAt = parsed
        }
        return NewEvent(
            id: id, type: type, schemaVersion: schemaVersion, payload: payload, subject: try text("subject"),
            occurredAt: occurredAt, actor: try text("actor") ?? defaultActor, correlationId: try text("correlationId"),
            causationId: try text("causationId"))
    }

    static func payloadBytes(_ value: Any) throws -> [UInt8] {
        guard JSONSerialization.isValidJSONObject([value]) else { throw CLIError("\"payload\" must be JSON") }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        return Array(data)
    }
}
