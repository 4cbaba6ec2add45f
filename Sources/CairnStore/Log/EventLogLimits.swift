import Foundation

/// Bounds on what one append may carry. Anything past them is refused with a typed error
/// before the writer sees it.
public struct EventLogLimits: Sendable {
    public var maxPayloadBytes = 1 << 20
    public var maxEventsPerAppend = 10_000
    public var maxAppendBytes = 64 << 20
    public var maxStreamIdLength = 200
    public var maxEventTypeLength = 128
    /// Actor, correlation id, causation id and subject.
    public var maxMetadataLength = 256

    public init() {}

    /// Stream ids: an ASCII letter or digit, then letters, digits and `_ . : @ -`.
    /// The category is the part before the first `-`.
    func validate(streamId: String) throws(EventLogError) {
        let bytes = streamId.utf8
        guard !bytes.isEmpty else { throw EventLogError(.invalidStreamId, "stream id is empty", stream: streamId) }
        guard bytes.count <= maxStreamIdLength else {
            throw EventLogError(
                .invalidStreamId, "stream id is \(bytes.count) bytes; at most \(maxStreamIdLength) are allowed",
                stream: String(streamId.prefix(40)) + "…")
        }
        guard isAlphanumeric(bytes.first!), bytes.allSatisfy({ isAlphanumeric($0) || "_.:@-".utf8.contains($0) }) else {
            throw EventLogError(
                .invalidStreamId, "stream id \"\(streamId)\" must start with a letter or digit and hold only letters, digits and _ . : @ -",
                stream: streamId)
        }
    }

    /// Event types: dot-separated segments of ASCII letters and digits, each starting with a
    /// letter, at least two segments (`<context>.<PastTense>`).
    func validate(eventType: String) throws(EventLogError) {
        var valid = eventType.utf8.count <= maxEventTypeLength
        var segments = 0
        var atSegmentStart = true
        for byte in eventType.utf8 where valid {
            if atSegmentStart {
                valid = isLetter(byte)
                segments += 1
                atSegmentStart = false
            } else if byte == UInt8(ascii: ".") {
                atSegmentStart = true
            } else {
                valid = isAlphanumeric(byte)
            }
        }
        guard valid, segments >= 2, !atSegmentStart else {
            throw EventLogError(
                .invalidEventType,
                "event type \"\(eventType.prefix(maxEventTypeLength + 10))\" must look like context.PastTense (letters and digits, at most \(maxEventTypeLength) bytes)"
            )
        }
    }

    func validate(metadata value: String?, named name: String) throws(EventLogError) {
        guard let value else { return }
        let bytes = value.utf8
        guard bytes.count <= maxMetadataLength, !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw EventLogError(.invalidMetadata, "\(name) must be at most \(maxMetadataLength) bytes without control characters")
        }
    }

    /// Checks a whole append; returns its size in bytes.
    func validate(_ appends: [StreamAppend]) throws(EventLogError) {
        var events = 0
        var bytes = 0
        var streams = Set<String>(minimumCapacity: appends.count > 1 ? appends.count : 0)
        var ids = Set<UUID>()
        guard !appends.isEmpty else { throw EventLogError(.emptyAppend, "an append needs at least one event") }
        let checkIds = appends.count > 1 || appends[0].events.count > 1
        for append in appends {
            try validate(streamId: append.stream)
            guard appends.count == 1 || streams.insert(append.stream).inserted else {
                throw EventLogError(
                    .duplicateStream, "stream \(append.stream) appears twice in one append; put its events together", stream: append.stream)
            }
            for event in append.events {
                try validate(eventType: event.type)
                guard event.schemaVersion >= 1 else {
                    throw EventLogError(.invalidEventType, "schema version of \(event.type) must be at least 1")
                }
                guard event.payload.count <= maxPayloadBytes else {
                    throw EventLogError(
                        .payloadTooLarge,
                        "payload of \(event.type) is \(event.payload.count) bytes; at most \(maxPayloadBytes) are allowed",
                        stream: append.stream)
                }
                try validate(metadata: event.actor, named: "actor")
                guard !event.actor.isEmpty else { throw EventLogError(.invalidMetadata, "actor is empty") }
                try validate(metadata: event.correlationId, named: "correlation id")
                try validate(metadata: event.causationId, named: "causation id")
                try validate(metadata: event.subject, named: "subject")
                guard !checkIds || ids.insert(event.id).inserted else {
                    throw EventLogError(.duplicateEventId, "event id \(event.id) appears twice in one append", stream: append.stream)
                }
                events += 1
                bytes += event.payload.count + 256
            }
        }
        guard events > 0 else { throw EventLogError(.emptyAppend, "an append needs at least one event") }
        guard events <= maxEventsPerAppend else {
            throw EventLogError(.appendTooLarge, "an append of \(events) events; at most \(maxEventsPerAppend) are allowed")
        }
        guard bytes <= maxAppendBytes else {
            throw EventLogError(.appendTooLarge, "an append of about \(bytes) bytes; at most \(maxAppendBytes) are allowed")
        }
    }
}

@inline(__always) private func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
@inline(__always) private func isAlphanumeric(_ c: UInt8) -> Bool { isLetter(c) || (c >= 0x30 && c <= 0x39) }
