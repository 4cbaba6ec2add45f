/// Aggregate ids: client-supplied or server-generated, 1–100 characters of `[A-Za-z0-9_-]`.
/// With a category prefix they stay inside the store's stream-id rule
/// (`[A-Za-z0-9][A-Za-z0-9_.:@-]*`, ≤ 200 bytes).
public enum Identifier {
    public static let maxLength = 100

    public static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard (1...maxLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }
}

public typealias CustomerID = String
public typealias LeadID = String
public typealias OpportunityID = String
public typealias CampaignID = String
public typealias CaseID = String
public typealias ActivityID = String
public typealias TaskID = String
public typealias OrderID = String
/// A user of the CRM (sales rep, agent, marketer): owners, assignees, actors.
public typealias UserID = String
