/// What the compliance layer itself did (`compliance-<id>` streams): the record that stays
/// when personal data goes.
public enum ComplianceEvent: Sendable, Hashable {
    /// One run of the retention job: for each policy, the first month kept and how many data
    /// keys were advanced past the months before it (so that data can no longer be read).
    case retentionApplied(RetentionApplied)

    public struct RetentionApplied: Sendable, Hashable {
        public var runId: String
        public var policies: [PolicyOutcome]
        /// Customers under legal hold, whose data every policy spared.
        public var heldCustomers: [CustomerID]

        public init(runId: String, policies: [PolicyOutcome], heldCustomers: [CustomerID]) {
            self.runId = runId
            self.policies = policies
            self.heldCustomers = heldCustomers
        }
    }

    public struct PolicyOutcome: Sendable, Hashable {
        /// The kind of data: a stream category (`activity`, `case`, …).
        public var kind: String
        public var months: Int
        /// `yyyy-mm`: data recorded before this month is erased.
        public var keepFrom: String
        /// Data keys advanced by this run (one per subject whose data of this kind expired).
        public var keysExpired: Int

        public init(kind: String, months: Int, keepFrom: String, keysExpired: Int) {
            self.kind = kind
            self.months = months
            self.keepFrom = keepFrom
            self.keysExpired = keysExpired
        }
    }
}

extension ComplianceEvent.PolicyOutcome: JSONObjectCodable {
    var json: JSONValue {
        .object(["kind": kind.json, "months": months.json, "keepFrom": keepFrom.json, "keysExpired": keysExpired.json])
    }
    init(reader r: inout PayloadReader) throws(EventDecodingError) {
        self.init(
            kind: try r.required("kind"), months: try r.required("months"), keepFrom: try r.required("keepFrom"),
            keysExpired: try r.required("keysExpired"))
    }
}

extension ComplianceEvent: AggregateEvent {
    public static let category = StreamCategory.compliance

    public var type: String {
        switch self {
        case .retentionApplied: "compliance.RetentionApplied"
        }
    }

    public var schemaVersion: Int { 1 }
    public var subject: CustomerID? { nil }

    public var payload: JSONValue {
        switch self {
        case .retentionApplied(let e):
            .object(["runId": e.runId.json, "policies": e.policies.json, "heldCustomers": e.heldCustomers.json])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> ComplianceEvent {
        guard type == "compliance.RetentionApplied" else { throw EventDecoding.unknown(type, schemaVersion, known: false) }
        guard schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: true) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> ComplianceEvent in
            .retentionApplied(
                .init(runId: try r.required("runId"), policies: try r.required("policies"), heldCustomers: try r.required("heldCustomers")))
        }
    }

    static let personalData: [String: [String]] = ["compliance.RetentionApplied": []]
}
