extension OpportunityState {
    /// The opportunity as its stream holds it, as JSON (absent values left out): what a reader
    /// of its history is shown.
    public var json: JSONValue {
        let status: String =
            switch self.status {
            case .notOpened: "not_opened"
            case .open: "open"
            case .won: "won"
            case .lost: "lost"
            }
        return .object(compacting: [
            "opportunityId": id.json, "status": .string(status), "customerId": customerId.json, "name": name.json,
            "amount": amount.json, "expectedCloseDate": expectedCloseDate.json, "ownerId": ownerId.json, "stage": stage.json,
            "probability": probability.json, "campaignId": campaignId?.json, "leadId": leadId?.json, "closedAt": closedAt?.json,
            "lostReason": lostReason?.json, "timesWon": timesWon.json, "timesLost": timesLost.json,
        ])
    }
}
