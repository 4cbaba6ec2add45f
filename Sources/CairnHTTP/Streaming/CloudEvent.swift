import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import HTTPTypes

/// Events on the wire: CloudEvents 1.0 JSON, with the log's envelope as extensions. `data` is
/// the payload as `payloads` reads it: personal data opened, or its placeholders once erased.
enum CloudEvent {
    static func json(_ event: RecordedEvent, _ payloads: any EventPayloadReader) throws -> JSONValue {
        var object = envelope(event)
        let payload = try payloads.payload(of: event)
        object["data"] = (try? JSONValue.parse(payload)) ?? .string(String(decoding: payload, as: UTF8.self))
        return .object(object)
    }

    /// The serialized event, with the payload spliced in as `data` unparsed (the log only holds
    /// well-formed JSON payloads, and opening one keeps it so).
    static func bytes(_ event: RecordedEvent, _ payloads: any EventPayloadReader) throws -> [UInt8] {
        var out = JSONValue.object(envelope(event)).serializedBytes
        out.removeLast()  // the closing brace
        out += Array(#","data":"#.utf8)
        out += try payloads.payload(of: event)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func envelope(_ event: RecordedEvent) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "specversion": .string("1.0"),
            "id": .string(event.id.uuidString.lowercased()),
            "source": .string("cairn"),
            "type": .string(event.type),
            "time": .string(event.recordedAt.rfc3339),
            "datacontenttype": .string("application/json"),
            "dataschema": .string("https://cairn.dev/schemas/events/\(event.type).v\(event.schemaVersion).schema.json"),
            "position": .number(Double(event.position)),
            "stream": .string(event.stream),
            "streamversion": .number(Double(event.streamVersion)),
            "schemaversion": .number(Double(event.schemaVersion)),
            "actor": .string(event.actor),
        ]
        if let subject = event.subject { object["subject"] = .string(subject) }
        if let occurredAt = event.occurredAt { object["occurredat"] = .string(occurredAt.rfc3339) }
        if let correlation = event.correlationId { object["correlationid"] = .string(correlation) }
        if let causation = event.causationId { object["causationid"] = .string(causation) }
        return object
    }

    /// One SSE frame: `id` is the position, so `Last-Event-ID` resumes right after it.
    static func sseFrame(_ event: RecordedEvent, _ payloads: any EventPayloadReader) throws -> [UInt8] {
        var out = Array("id: \(event.position)\nevent: \(event.type)\ndata: ".utf8)
        out += try bytes(event, payloads)
        out += Array("\n\n".utf8)
        return out
    }
}
