/// Open pipeline stages, in order, with the default win probability of each.
public enum OpportunityStage: String, Sendable, Hashable, Comparable, JSONStringEnum {
    case prospecting, qualification, proposal, negotiation

    public var defaultProbability: Int {
        switch self {
        case .prospecting: 10
        case .qualification: 25
        case .proposal: 50
        case .negotiation: 75
        }
    }

    private var order: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.order < b.order }
}
