/// The latest consent decision for one channel and purpose, with its evidence.
public struct ConsentRecord: Sendable, Hashable {
    public var granted: Bool
    public var legalBasis: LegalBasis?
    /// Where the decision was captured (`web-form:newsletter`, `import:2024-crm`, …).
    public var source: String
    public var at: Timestamp
}

/// Consents are tracked per channel and purpose.
public struct ConsentKey: Sendable, Hashable {
    public var channel: ContactChannel
    public var purpose: ConsentPurpose

    public init(_ channel: ContactChannel, _ purpose: ConsentPurpose) {
        self.channel = channel
        self.purpose = purpose
    }
}
