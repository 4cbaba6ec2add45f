/// The one list of every stored event type and schema version, for the layers above:
/// storage form, personal-data paths (what the compliance layer encrypts) and a sample
/// instance (for tests, schema checks and documentation).
///
/// ```swift
/// let event = try EventCatalogue.decode(type: record.type, schemaVersion: record.schemaVersion, payload: record.payload)
/// let paths = EventCatalogue.personalDataPaths(type: record.type, schemaVersion: record.schemaVersion)
/// ```
public enum EventCatalogue {
    public struct Entry: Sendable, Hashable {
        /// `<context>.<PastTense>`.
        public let type: String
        public let schemaVersion: Int
        /// True for the version new events are written with; older versions are only read (and upcast).
        public let isCurrent: Bool
        public let category: StreamCategory
        /// JSON pointers (RFC 6901) of the payload members that hold personal data. A pointer
        /// names a whole member (string, array or object); absent optional members are simply absent.
        public let personalDataPaths: [String]
        /// The top-level members those pointers name.
        public var personalMembers: [String] { personalDataPaths.map { String($0.dropFirst()) } }
        /// A stored payload of this type and version, every optional field filled.
        public let samplePayload: [UInt8]
        /// What `samplePayload` decodes to (upcast to the current version for old versions).
        public let sample: DomainEvent
    }

    /// Every type and version, sorted by type then version.
    public static let entries: [Entry] = {
        var entries = EventCatalogue.samples.map { sample in
            Entry(
                type: sample.type, schemaVersion: sample.schemaVersion, isCurrent: true, category: sample.base.categoryOfType,
                personalDataPaths: personalDataByType[sample.type] ?? [], samplePayload: sample.payload.serializedBytes, sample: sample)
        }
        for legacy in EventCatalogue.legacySamples {
            entries.append(
                Entry(
                    type: legacy.type, schemaVersion: legacy.schemaVersion, isCurrent: false, category: legacy.sample.base.categoryOfType,
                    personalDataPaths: personalDataByType[legacy.type] ?? [], samplePayload: legacy.payload, sample: legacy.sample))
        }
        return entries.sorted { ($0.type, $0.schemaVersion) < ($1.type, $1.schemaVersion) }
    }()

    /// Type → version → entry: a lookup hashes the type once and builds no string.
    private static let index: [String: [Int: Entry]] = Dictionary(grouping: entries, by: \.type).mapValues { versions in
        Dictionary(uniqueKeysWithValues: versions.map { ($0.schemaVersion, $0) })
    }

    public static func entry(type: String, schemaVersion: Int) -> Entry? { index[type]?[schemaVersion] }

    /// Personal-data JSON pointers for a stored event; nil for an unknown type or version.
    public static func personalDataPaths(type: String, schemaVersion: Int) -> [String]? {
        entry(type: type, schemaVersion: schemaVersion)?.personalDataPaths
    }

    /// Decodes any stored event, upcasting old versions. Fails with `.unknownEventType` /
    /// `.unknownSchemaVersion` for anything not catalogued.
    public static func decode(type: String, schemaVersion: Int, payload: [UInt8]) throws(EventDecodingError) -> DomainEvent {
        try decode(type: type, schemaVersion: schemaVersion, source: PayloadSource(bytes: payload))
    }

    /// The same from a payload already parsed, its sealed members opened beside it (see
    /// ``PersonalDataEnvelope/open(payload:_:)``).
    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> DomainEvent {
        guard let entry = index[type]?[schemaVersion] else {
            let knownType = entries.contains { $0.type == type }
            throw EventDecoding.unknown(type, schemaVersion, known: knownType)
        }
        switch entry.category {
        case .customer: return .customer(try CustomerEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .lead: return .lead(try LeadEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .opportunity: return .opportunity(try OpportunityEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .activity: return .activity(try ActivityEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .task: return .task(try TaskEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .order: return .order(try OrderEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .campaign: return .campaign(try CampaignEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .case: return .serviceCase(try CaseEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        case .compliance: return .compliance(try ComplianceEvent.decode(type: type, schemaVersion: schemaVersion, source: source))
        }
    }

    public static func decode(_ stored: EncodedEvent) throws(EventDecodingError) -> DomainEvent {
        try decode(type: stored.type, schemaVersion: stored.schemaVersion, payload: stored.payload)
    }

    static let personalDataByType: [String: [String]] = {
        var all: [String: [String]] = [:]
        for table in [
            CustomerEvent.personalData, LeadEvent.personalData, OpportunityEvent.personalData, ActivityEvent.personalData,
            TaskEvent.personalData, OrderEvent.personalData, CampaignEvent.personalData, CaseEvent.personalData,
            ComplianceEvent.personalData,
        ] {
            all.merge(table) { a, _ in a }
        }
        return all
    }()
}

extension AggregateEvent {
    var categoryOfType: StreamCategory { Self.category }
}
