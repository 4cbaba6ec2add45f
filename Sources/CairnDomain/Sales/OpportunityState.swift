import Foundation

/// An opportunity folded from its stream.
public struct OpportunityState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case notOpened, open, won, lost }

    public var status: Status = .notOpened
    public var id: OpportunityID = ""
    public var customerId: CustomerID = ""
    public var name = ""
    public var amount = Money(amount: 0, currency: "EUR")
    public var expectedCloseDate = CalendarDate(uncheckedYear: 1970, month: 1, day: 1)
    public var ownerId: UserID = ""
    public var stage: OpportunityStage = .prospecting
    public var probability = 0
    public var campaignId: CampaignID?
    public var leadId: LeadID?
    public var closedAt: Timestamp?
    public var lostReason: String?
    /// How often it was won / lost over its life (reopen allows several).
    public var timesWon = 0
    public var timesLost = 0

    public init() {}

    public var isClosed: Bool { status == .won || status == .lost }
}

extension OpportunityDecider {
    public static func evolve(_ state: OpportunityState, _ event: OpportunityEvent) -> OpportunityState {
        var s = state
        switch event {
        case .opened(let e):
            s.status = .open
            s.id = e.opportunityId
            s.customerId = e.customerId
            s.name = e.name
            s.amount = e.amount
            s.expectedCloseDate = e.expectedCloseDate
            s.ownerId = e.ownerId
            s.stage = e.stage
            s.probability = e.probability
            s.campaignId = e.campaignId
            s.leadId = e.leadId
        case .stageChanged(let e):
            s.stage = e.to
            s.probability = e.probability
        case .amountChanged(let e): s.amount = e.amount
        case .closeDateChanged(let e): s.expectedCloseDate = e.expectedCloseDate
        case .ownerChanged(let e): s.ownerId = e.ownerId
        case .won(let e):
            s.status = .won
            s.amount = e.amount
            s.probability = 100
            s.closedAt = e.closedAt
            s.timesWon += 1
        case .lost(let e):
            s.status = .lost
            s.probability = 0
            s.lostReason = e.reason
            s.closedAt = e.closedAt
            s.timesLost += 1
        case .reopened(let e):
            s.status = .open
            s.stage = e.stage
            s.probability = e.probability
            s.closedAt = nil
            s.lostReason = nil
        }
        return s
    }
}
