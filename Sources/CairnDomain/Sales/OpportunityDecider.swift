/// Decides opportunity commands.
public enum OpportunityDecider: Decider {
    public typealias Command = OpportunityCommand
    public typealias Event = OpportunityEvent
    public typealias State = OpportunityState

    public static var initialState: OpportunityState { OpportunityState() }

    public static func decide(
        _ command: OpportunityCommand, _ state: OpportunityState, _ context: CommandContext
    ) throws(Rejection) -> [OpportunityEvent] {
        try FieldValidator.finish(command.validate())
        let id = command.opportunityId
        if case .open(let o) = command {
            guard state.status == .notOpened else {
                throw .rule("opportunity.alreadyExists", "Opportunity \(id) already exists.", path: "/opportunityId")
            }
            return [
                .opened(
                    .init(
                        opportunityId: id, customerId: o.customerId, name: o.name, amount: o.amount,
                        expectedCloseDate: o.expectedCloseDate, ownerId: o.ownerId, stage: o.stage,
                        probability: o.probability ?? o.stage.defaultProbability, campaignId: o.campaignId, leadId: o.leadId))
            ]
        }
        guard state.status != .notOpened else { throw .notFound("opportunity", id) }
        let customerId = state.customerId

        if case .reopen(_, let stage) = command {
            guard state.isClosed else { throw .rule("opportunity.notClosed", "Opportunity \(id) is still open.") }
            return [.reopened(.init(opportunityId: id, customerId: customerId, stage: stage, probability: stage.defaultProbability))]
        }
        guard !state.isClosed else {
            throw .rule("opportunity.closed", "Opportunity \(id) is \(state.status == .won ? "won" : "lost"); reopen it first.")
        }

        switch command {
        case .open, .reopen:
            return []  // handled above
        case .moveToStage(_, let stage, let probability):
            let p = probability ?? stage.defaultProbability
            guard stage != state.stage || p != state.probability else {
                throw .rule("opportunity.sameStage", "Opportunity \(id) is already in \(stage.rawValue).", path: "/stage")
            }
            return [.stageChanged(.init(opportunityId: id, customerId: customerId, from: state.stage, to: stage, probability: p))]
        case .changeAmount(_, let amount):
            guard amount != state.amount else { return [] }
            return [.amountChanged(.init(opportunityId: id, customerId: customerId, amount: amount))]
        case .changeCloseDate(_, let date):
            guard date != state.expectedCloseDate else { return [] }
            return [.closeDateChanged(.init(opportunityId: id, customerId: customerId, expectedCloseDate: date))]
        case .changeOwner(_, let owner):
            guard owner != state.ownerId else { return [] }
            return [.ownerChanged(.init(opportunityId: id, customerId: customerId, ownerId: owner))]
        case .win:
            return [.won(.init(opportunityId: id, customerId: customerId, amount: state.amount, closedAt: context.now))]
        case .lose(_, let reason):
            return [.lost(.init(opportunityId: id, customerId: customerId, reason: reason, closedAt: context.now))]
        }
    }

    /// Opens an opportunity after checking its customer can take one (exists, not merged, not closed).
    public static func decideOpen(
        _ opening: OpportunityCommand.Opening, opportunity: OpportunityState, customer: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [OpportunityEvent] {
        try FieldValidator.finish(OpportunityCommand.open(opening).validate())
        try CustomerDecider.requireActive(customer, opening.customerId, path: "/customerId")
        return try decide(.open(opening), opportunity, context)
    }
}
