/// The kinds of event streams the domain writes. The raw value is the frozen stream prefix.
public enum StreamCategory: String, Sendable, Hashable, CaseIterable {
    case customer
    case lead
    case opportunity
    /// Activities (calls, emails, meetings, notes) are immutable facts with their own id.
    case activity
    /// Follow-up tasks have a lifecycle of their own (schedule → reassign → complete/cancel).
    case task
    /// Orders are recorded once; they reference the customer and optionally an opportunity.
    case order
    case campaign
    /// Service cases (`case-…`).
    case `case`
    /// What the compliance layer did (retention runs).
    case compliance
}

/// `<category>-<id>`, e.g. `customer-c_123`. Always a valid store stream id.
public struct StreamName: Sendable, Hashable, CustomStringConvertible {
    public let category: StreamCategory
    public let id: String

    public init(_ category: StreamCategory, _ id: String) {
        self.category = category
        self.id = id
    }

    public var description: String { "\(category.rawValue)-\(id)" }

    /// Splits `customer-abc` back into category and id; nil for foreign categories or bad ids.
    public init?(parsing text: String) {
        guard let dash = text.firstIndex(of: "-"),
            let category = StreamCategory(rawValue: String(text[..<dash]))
        else { return nil }
        let id = String(text[text.index(after: dash)...])
        guard Identifier.isValid(id) else { return nil }
        self.init(category, id)
    }
}
