/// Every route the server serves, in the order the OpenAPI document lists them.
enum RouteTable {
    static let all: [Route] =
        OpsRoutes.all + CustomerCommandRoutes.all + SalesCommandRoutes.all + MarketingCommandRoutes.all + CaseCommandRoutes.all
        + ComplianceRoutes.all + QueryRoutes.all + EventRoutes.all
}
