/// Every read model Cairn serves, at its current version: what `cairn serve`, the
/// `cairn projections` commands and `cairn bench replay` run.
package enum ReadModels {
    package static var all: [any Projector] {
        [
            CustomerTimelineProjector(),
            Customer360Projector(),
            SalesPipelineProjector(),
            ServiceDeskProjector(),
            CampaignPerformanceProjector(),
            CustomerAnalysisProjector(),
        ]
    }
}
