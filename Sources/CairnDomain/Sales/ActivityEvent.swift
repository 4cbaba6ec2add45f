/// Kinds of logged contact.
public enum ActivityKind: String, Sendable, Hashable, JSONStringEnum { case call, email, meeting, note }
public enum ActivityDirection: String, Sendable, Hashable, JSONStringEnum { case inbound, outbound }

/// An activity logged on a customer (`activity-<id>` stream; one event per stream).
///
/// `sales.ActivityLogged` is at schema version 2: version 1 stored the duration in whole
/// minutes (`durationMinutes`), version 2 in seconds (`durationSeconds`) so short calls are
/// not rounded to zero. Version 1 payloads are upcast on read.
public enum ActivityEvent: Sendable, Hashable {
    case logged(Logged)

    public struct Logged: Sendable, Hashable {
        public var activityId: ActivityID
        public var customerId: CustomerID
        public var kind: ActivityKind
        public var direction: ActivityDirection?
        public var channel: ContactChannel?
        public var occurredAt: Timestamp
        public var durationSeconds: Int?
        public var outcome: String?
        /// People involved besides the customer: users or named contacts.
        public var participants: [String]
        public var summary: String?

        public init(
            activityId: ActivityID, customerId: CustomerID, kind: ActivityKind, direction: ActivityDirection? = nil,
            channel: ContactChannel? = nil, occurredAt: Timestamp, durationSeconds: Int? = nil, outcome: String? = nil,
            participants: [String] = [], summary: String? = nil
        ) {
            self.activityId = activityId
            self.customerId = customerId
            self.kind = kind
            self.direction = direction
            self.channel = channel
            self.occurredAt = occurredAt
            self.durationSeconds = durationSeconds
            self.outcome = outcome
            self.participants = participants
            self.summary = summary
        }
    }
}

extension ActivityEvent: AggregateEvent {
    public static let category = StreamCategory.activity
    public static let currentSchemaVersion = 2

    public var type: String { "sales.ActivityLogged" }
    public var schemaVersion: Int { Self.currentSchemaVersion }

    public var subject: CustomerID? {
        switch self {
        case .logged(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .logged(let e):
            .object(compacting: [
                "activityId": e.activityId.json, "customerId": e.customerId.json, "kind": e.kind.json,
                "direction": e.direction?.json, "channel": e.channel?.json, "occurredAt": e.occurredAt.json,
                "durationSeconds": e.durationSeconds?.json, "outcome": e.outcome?.json,
                "participants": e.participants.json, "summary": e.summary?.json,
            ])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> ActivityEvent {
        guard type == "sales.ActivityLogged" else { throw EventDecoding.unknown(type, schemaVersion, known: false) }
        guard schemaVersion == 1 || schemaVersion == 2 else { throw EventDecoding.unknown(type, schemaVersion, known: true) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> ActivityEvent in
            let duration: Int?
            if schemaVersion == 1 {
                // Upcast v1 → v2: minutes → seconds.
                duration = try r.optional("durationMinutes", as: Int.self).map { $0 * 60 }
            } else {
                duration = try r.optional("durationSeconds")
            }
            return .logged(
                .init(
                    activityId: try r.required("activityId"), customerId: try r.required("customerId"), kind: try r.required("kind"),
                    direction: try r.optional("direction"), channel: try r.optional("channel"), occurredAt: try r.required("occurredAt"),
                    durationSeconds: duration, outcome: try r.optional("outcome"), participants: try r.list("participants"),
                    summary: try r.optional("summary")))
        }
    }

    static let personalData: [String: [String]] = [
        "sales.ActivityLogged": ["/outcome", "/participants", "/summary"]
    ]
}
