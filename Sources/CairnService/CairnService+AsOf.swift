package import CairnDomain
package import CairnProjections
import CairnStore

extension CairnService {
    /// The customer as it stood at `point`, folded from its own stream with its personal data
    /// opened (or shown erased): what a compliance reviewer asks of a date. Nil for a customer
    /// whose stream holds no event at all, even today.
    package func customer(_ id: CustomerID, asOf point: AsOfPoint) throws -> AsOfState<CustomerState>? {
        guard Identifier.isValid(id) else { return nil }
        guard try log.streamVersion(StreamName(.customer, id).description) > 0 else { return nil }
        return try customerState(id, asOf: point, in: log, payloads: vault)
    }

    /// The opportunity as it stood at `point`, folded from its own stream. Nil for an
    /// opportunity whose stream holds no event at all, even today.
    package func opportunity(_ id: OpportunityID, asOf point: AsOfPoint) throws -> AsOfState<OpportunityState>? {
        guard Identifier.isValid(id) else { return nil }
        guard try log.streamVersion(StreamName(.opportunity, id).description) > 0 else { return nil }
        return try opportunityState(id, asOf: point, in: log, payloads: vault)
    }
}
