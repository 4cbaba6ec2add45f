import CairnDomain
import CairnProjections
import CairnStore
import Foundation
import HTTPTypes

/// Events on the wire: CloudEvents 1.0 JSON, with the log's envelope as extensions. `data` is
/// the payload as `opened` reads it (an ``EventPayloadReader``'s): personal data opened, or its
/// placeholders once erased.
///
/// The envelope is written straight into bytes, members in the order ``JSONValue`` sorts keys
/// (by their UTF-8 bytes): building a dictionary of values per event, then sorting and
/// serializing it, took more than half the CPU of serving a page of events.
enum CloudEvent {
    /// The event in canonical JSON (keys sorted, `data` parsed and written again), appended to
    /// `out`: the form of JSON pages.
    private static func writeJSON(_ event: RecordedEvent, _ opened: (RecordedEvent) throws -> [UInt8], to out: inout [UInt8]) throws {
        let payload = try opened(event)
        let data = (try? JSONValue.parse(payload)) ?? .string(String(decoding: payload, as: UTF8.self))
        write(event, to: &out, dataLast: false) { data.write(to: &$0) }
    }

    /// `"events":[…]` — each event in canonical JSON (see `writeJSON`), their sealed members
    /// opened page-wise — appended to `out`: the member JSON pages and stream reads begin with.
    static func writeJSONList(_ events: [RecordedEvent], _ payloads: any EventPayloadReader, to out: inout [UInt8]) throws {
        out += #""events":["#.utf8
        try payloads.withPayloads { opened in
            for (index, event) in events.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try writeJSON(event, opened, to: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The serialized event, with the payload spliced in as `data` unparsed, after the
    /// envelope's members (the log only holds well-formed JSON payloads, and opening one keeps
    /// it so): the form of NDJSON lines and SSE frames.
    static func bytes(_ event: RecordedEvent, _ opened: (RecordedEvent) throws -> [UInt8]) throws -> [UInt8] {
        let payload = try opened(event)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 512)
        write(event, to: &out, dataLast: true) { $0 += payload }
        return out
    }

    /// `{` envelope members `}` with `data` (written by `data`) among them in key order, or last.
    /// `actor` sorts first and is always there, so every member after it starts with a comma.
    private static func write(
        _ event: RecordedEvent, to out: inout [UInt8], dataLast: Bool, data: (inout [UInt8]) -> Void
    ) {
        out += #"{"actor":"#.utf8
        JSONValue.writeString(event.actor, to: &out)
        if let causation = event.causationId { string("causationid", causation, &out) }
        if let correlation = event.correlationId { string("correlationid", correlation, &out) }
        if !dataLast {
            key("data", &out)
            data(&out)
        }
        string("datacontenttype", "application/json", &out)
        let type = event.type
        string("dataschema", "https://cairn.dev/schemas/events/\(type).v\(event.schemaVersion).schema.json", &out)
        key("id", &out)
        out.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: event.id.uuid) { bytes in
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        out.append(UInt8(ascii: "\""))
        if let occurredAt = event.occurredAt { time("occurredat", occurredAt, &out) }
        integer("position", event.position, &out)
        integer("schemaversion", UInt64(event.schemaVersion), &out)
        string("source", "cairn", &out)
        string("specversion", "1.0", &out)
        string("stream", event.stream, &out)
        integer("streamversion", event.streamVersion, &out)
        if let subject = event.subject { string("subject", subject, &out) }
        time("time", event.recordedAt, &out)
        string("type", type, &out)
        if dataLast {
            key("data", &out)
            data(&out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The lowercase hex digits of a `UUID`'s text form.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `,"name":`
    private static func key(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    private static func string(_ name: StaticString, _ value: String, _ out: inout [UInt8]) {
        key(name, &out)
        JSONValue.writeString(value, to: &out)
    }

    private static func integer(_ name: StaticString, _ value: UInt64, _ out: inout [UInt8]) {
        key(name, &out)
        out += String(value).utf8
    }

    private static func time(_ name: StaticString, _ value: CairnStore.Timestamp, _ out: inout [UInt8]) {
        key(name, &out)
        out.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// One SSE frame: `id` is the position, so `Last-Event-ID` resumes right after it.
    static func sseFrame(_ event: RecordedEvent, _ opened: (RecordedEvent) throws -> [UInt8]) throws -> [UInt8] {
        var out = Array("id: \(event.position)\nevent: \(event.type)\ndata: ".utf8)
        out += try bytes(event, opened)
        out += Array("\n\n".utf8)
        return out
    }
}
