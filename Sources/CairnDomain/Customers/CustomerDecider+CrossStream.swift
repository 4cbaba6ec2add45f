/// Decisions that read or write more than one customer stream.
extension CustomerDecider {
    /// Merges `duplicateId` into `survivorId`. The duplicate's stream records where it went
    /// (`customers.CustomerMerged`); the survivor's stream records what it took over
    /// (`customers.DuplicateAbsorbed`). Both histories stay; the duplicate refuses later commands
    /// with `customer.merged` and the survivor's id.
    ///
    /// Refused with `customer.erased` when either side was erased: an erased survivor must not
    /// take on personal data again, and an erased duplicate has nothing left to merge.
    public static func decideMerge(
        duplicateId: CustomerID, survivorId: CustomerID,
        duplicate: CustomerState, survivor: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [StreamedEvent] {
        var v = FieldValidator()
        v.id(duplicateId, "/duplicateId")
        v.id(survivorId, "/survivorId")
        try v.finish()
        guard duplicateId != survivorId else {
            throw .rule("customer.mergeIntoSelf", "A customer cannot be merged into itself.", path: "/survivorId")
        }
        try requireReachable(duplicate, duplicateId)
        if duplicate.erased { throw erasedRejection(duplicateId, path: "/duplicateId") }
        switch survivor.status {
        case .notRegistered: throw .notFound("customer", survivorId)
        case .merged(let further):
            throw Rejection(
                kind: .conflict, code: "customer.mergeIntoMerged",
                message: "Customer \(survivorId) was itself merged into \(further); merge into that one.",
                path: "/survivorId", survivorId: further)
        case .closed: throw .rule("customer.closed", "Customer \(survivorId) is closed; reopen it first.", path: "/survivorId")
        case .active: break
        }
        if survivor.erased { throw erasedRejection(survivorId, path: "/survivorId") }
        guard duplicate.kind == survivor.kind else {
            throw .rule("customer.mergeKindMismatch", "A \(duplicate.kind.rawValue) cannot be merged into a \(survivor.kind.rawValue).")
        }
        let absorbed = CustomerEvent.DuplicateAbsorbed(
            customerId: survivorId, duplicateId: duplicateId,
            emails: duplicate.emails.filter { !survivor.emails.contains($0) },
            phones: duplicate.phones.filter { !survivor.phones.contains($0) },
            tags: duplicate.tags.subtracting(survivor.tags).sorted())
        return [
            StreamedEvent(StreamName(.customer, duplicateId), .customer(.merged(.init(customerId: duplicateId, survivorId: survivorId)))),
            StreamedEvent(StreamName(.customer, survivorId), .customer(.duplicateAbsorbed(absorbed))),
        ]
    }

    /// Links a person to an organization after checking the person can be changed and the
    /// organization exists, is an organization and is not closed, merged or erased.
    public static func decideLink(
        _ command: CustomerCommand, person: CustomerState, organization: CustomerState, _ context: CommandContext
    ) throws(Rejection) -> [CustomerEvent] {
        guard case .linkOrganization(let personId, let orgId, _) = command else { return try decide(command, person, context) }
        try FieldValidator.finish(command.validate())
        try requireActive(person, personId)
        switch organization.status {
        case .notRegistered: throw .notFound("customer", orgId)
        case .merged(let survivor):
            throw Rejection(
                kind: .conflict, code: "customer.merged", message: "Organization \(orgId) was merged into \(survivor).",
                path: "/organizationId", survivorId: survivor)
        case .closed: throw .rule("customer.closed", "Organization \(orgId) is closed.", path: "/organizationId")
        case .active: break
        }
        if organization.erased { throw erasedRejection(orgId, path: "/organizationId") }
        guard organization.kind == .organization else {
            throw .rule("customer.notAnOrganization", "Customer \(orgId) is not an organization.", path: "/organizationId")
        }
        return try decide(command, person, context)
    }
}

extension CustomerDecider {
    /// A customer that exists, is not merged away, not closed and not erased.
    static func requireActive(_ state: CustomerState, _ id: CustomerID, path: String? = nil) throws(Rejection) {
        switch state.status {
        case .notRegistered: throw .notFound("customer", id)
        case .merged(let survivor):
            throw Rejection(
                kind: .conflict, code: "customer.merged", message: "Customer \(id) was merged into \(survivor).",
                path: path, survivorId: survivor)
        case .closed: throw .rule("customer.closed", "Customer \(id) is closed.", path: path)
        case .active: break
        }
        if state.erased { throw erasedRejection(id, path: path) }
    }

    static func erasedRejection(_ id: CustomerID, path: String? = nil) -> Rejection {
        .rule("customer.erased", "Customer \(id)'s personal data was erased.", path: path)
    }
}
