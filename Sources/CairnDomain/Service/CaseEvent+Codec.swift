extension CaseEvent: AggregateEvent {
    public static let category = StreamCategory.case

    public var type: String {
        switch self {
        case .opened: "service.CaseOpened"
        case .assigned: "service.CaseAssigned"
        case .messageRecorded: "service.CaseMessageRecorded"
        case .escalated: "service.CaseEscalated"
        case .priorityChanged: "service.CasePriorityChanged"
        case .resolved: "service.CaseResolved"
        case .reopened: "service.CaseReopened"
        case .closed: "service.CaseClosed"
        case .satisfactionRecorded: "service.SatisfactionRecorded"
        case .slaBreached: "service.SlaBreached"
        }
    }

    public var schemaVersion: Int { 1 }

    public var subject: CustomerID? {
        switch self {
        case .opened(let e): e.customerId
        case .assigned(let e): e.customerId
        case .messageRecorded(let e): e.customerId
        case .escalated(let e): e.customerId
        case .priorityChanged(let e): e.customerId
        case .resolved(let e): e.customerId
        case .reopened(let e): e.customerId
        case .closed(let e): e.customerId
        case .satisfactionRecorded(let e): e.customerId
        case .slaBreached(let e): e.customerId
        }
    }

    public var payload: JSONValue {
        switch self {
        case .opened(let e):
            .object([
                "caseId": e.caseId.json, "customerId": e.customerId.json, "channel": e.channel.json, "priority": e.priority.json,
                "subject": e.subject.json, "description": e.description.json, "openedAt": e.openedAt.json,
                "firstResponseDue": e.deadlines.firstResponseDue.json, "resolutionDue": e.deadlines.resolutionDue.json,
            ])
        case .assigned(let e): .object(["caseId": e.caseId.json, "customerId": e.customerId.json, "agentId": e.agentId.json])
        case .messageRecorded(let e):
            .object(compacting: [
                "caseId": e.caseId.json, "customerId": e.customerId.json, "messageId": e.messageId.json, "author": e.author.json,
                "authorId": e.authorId?.json, "body": e.body.json, "recordedAt": e.recordedAt.json,
            ])
        case .escalated(let e):
            .object(["caseId": e.caseId.json, "customerId": e.customerId.json, "level": e.level.json, "reason": e.reason.json])
        case .priorityChanged(let e):
            .object([
                "caseId": e.caseId.json, "customerId": e.customerId.json, "priority": e.priority.json,
                "firstResponseDue": e.deadlines.firstResponseDue.json, "resolutionDue": e.deadlines.resolutionDue.json,
            ])
        case .resolved(let e):
            .object([
                "caseId": e.caseId.json, "customerId": e.customerId.json, "resolution": e.resolution.json, "resolvedAt": e.resolvedAt.json,
            ])
        case .reopened(let e):
            .object(compacting: [
                "caseId": e.caseId.json, "customerId": e.customerId.json, "reason": e.reason?.json,
                "resolutionDue": e.resolutionDue.json,
            ])
        case .closed(let e): .object(["caseId": e.caseId.json, "customerId": e.customerId.json, "closedAt": e.closedAt.json])
        case .satisfactionRecorded(let e):
            .object(compacting: [
                "caseId": e.caseId.json, "customerId": e.customerId.json, "score": e.score.json, "comment": e.comment?.json,
            ])
        case .slaBreached(let e):
            .object([
                "caseId": e.caseId.json, "customerId": e.customerId.json, "deadline": e.deadline.json, "dueAt": e.dueAt.json,
                "detectedAt": e.detectedAt.json,
            ])
        }
    }

    public static func decode(type: String, schemaVersion: Int, source: PayloadSource) throws(EventDecodingError) -> CaseEvent {
        let known = personalData[type] != nil
        guard known, schemaVersion == 1 else { throw EventDecoding.unknown(type, schemaVersion, known: known) }
        return try EventDecoding.decode(type: type, schemaVersion: schemaVersion, source: source) {
            (r: inout PayloadReader) throws(EventDecodingError) -> CaseEvent in
            let id: CaseID = try r.required("caseId")
            let customerId: CustomerID = try r.required("customerId")
            switch type {
            case "service.CaseOpened":
                return .opened(
                    .init(
                        caseId: id, customerId: customerId, channel: try r.required("channel"), priority: try r.required("priority"),
                        subject: try r.required("subject"), description: try r.required("description"),
                        openedAt: try r.required("openedAt"),
                        deadlines: CaseDeadlines(
                            firstResponseDue: try r.required("firstResponseDue"), resolutionDue: try r.required("resolutionDue"))))
            case "service.CaseAssigned": return .assigned(.init(caseId: id, customerId: customerId, agentId: try r.required("agentId")))
            case "service.CaseMessageRecorded":
                return .messageRecorded(
                    .init(
                        caseId: id, customerId: customerId, messageId: try r.required("messageId"), author: try r.required("author"),
                        authorId: try r.optional("authorId"), body: try r.required("body"), recordedAt: try r.required("recordedAt")))
            case "service.CaseEscalated":
                return .escalated(
                    .init(caseId: id, customerId: customerId, level: try r.required("level"), reason: try r.required("reason")))
            case "service.CasePriorityChanged":
                return .priorityChanged(
                    .init(
                        caseId: id, customerId: customerId, priority: try r.required("priority"),
                        deadlines: CaseDeadlines(
                            firstResponseDue: try r.required("firstResponseDue"), resolutionDue: try r.required("resolutionDue"))))
            case "service.CaseResolved":
                return .resolved(
                    .init(
                        caseId: id, customerId: customerId, resolution: try r.required("resolution"),
                        resolvedAt: try r.required("resolvedAt")))
            case "service.CaseReopened":
                return .reopened(
                    .init(
                        caseId: id, customerId: customerId, reason: try r.optional("reason"), resolutionDue: try r.required("resolutionDue")
                    ))
            case "service.CaseClosed": return .closed(.init(caseId: id, customerId: customerId, closedAt: try r.required("closedAt")))
            case "service.SatisfactionRecorded":
                return .satisfactionRecorded(
                    .init(caseId: id, customerId: customerId, score: try r.required("score"), comment: try r.optional("comment")))
            case "service.SlaBreached":
                return .slaBreached(
                    .init(
                        caseId: id, customerId: customerId, deadline: try r.required("deadline"),
                        dueAt: try r.required("dueAt"), detectedAt: try r.required("detectedAt")))
            default: throw EventDecoding.unknown(type, schemaVersion, known: false)
            }
        }
    }

    static let personalData: [String: [String]] = [
        "service.CaseOpened": ["/subject", "/description"],
        "service.CaseAssigned": [],
        "service.CaseMessageRecorded": ["/body"],
        "service.CaseEscalated": ["/reason"],
        "service.CasePriorityChanged": [],
        "service.CaseResolved": ["/resolution"],
        "service.CaseReopened": ["/reason"],
        "service.CaseClosed": [],
        "service.SatisfactionRecorded": ["/comment"],
        "service.SlaBreached": [],
    ]
}
