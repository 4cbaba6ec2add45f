import ArgumentParser
import CairnService
import CairnStore
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the Northwind Traders sample, with generated activities, campaigns and cases, through the domain's commands.",
        discussion: """
            Customers become organizations with their contact person; the sales reps own them; \
            the 830 orders are recorded with their lines, shipments logged, late deliveries \
            opened (and settled) as cases. Generated on top, from a fixed seed: calls and \
            meetings, an opportunity per customer, three e-mail campaigns to the contacts who \
            consented, and a few service questions. Running it again changes nothing.

            The data is read from --northwind, else $CAIRN_SHARED/datasets/northwind, else \
            shared/datasets/northwind in the working directory, the executable's directory, or one of their parents.
            """)

    @OptionGroup var options: DataOptions

    @Option(help: ArgumentHelp("The Northwind CSV directory.", valueName: "dir"))
    var northwind: String?

    @Option(help: "Seed for the generated part.")
    var seed: UInt64 = 1996

    @Flag(help: "The summary as one JSON object.")
    var json = false

    func run() async throws {
        let directory = try northwindDirectory()
        let summary = try await withService(options) { service in
            do {
                return try await NorthwindDemo(directory: directory, seed: seed).load(into: service)
            } catch let error as ImportError {
                throw CLIError(error.message)
            } catch let error as CommandError {
                throw CLIError("the demo data was refused: \(error)")
            }
        }
        let figures: [(String, Int)] = [
            ("salesReps", summary.salesReps), ("customers", summary.customers), ("contacts", summary.contacts),
            ("orders", summary.orders), ("orderLines", summary.orderLines), ("shipments", summary.shipments),
            ("lateDeliveryCases", summary.lateDeliveryCases), ("serviceCases", summary.serviceCases),
            ("activities", summary.activities), ("opportunities", summary.opportunities), ("campaigns", summary.campaigns),
            ("campaignSends", summary.campaignSends), ("campaignResponses", summary.campaignResponses), ("events", summary.events),
            ("alreadyLoaded", summary.replayed),
        ]
        if json {
            var text = JSONText()
            text.raw("{")
            for (index, (key, value)) in figures.enumerated() {
                text.key(key, first: index == 0)
                text.raw(String(value))
            }
            text.raw("}")
            emit(text.text)
            return
        }
        if summary.events == 0 {
            emit("the Northwind demo data is already loaded in \(options.dataDirectory) (\(summary.replayed) commands found recorded)")
            return
        }
        emit(
            "loaded Northwind into \(options.dataDirectory): \(summary.customers) customers with \(summary.contacts) contacts, "
                + "owned by \(summary.salesReps) sales reps; \(summary.orders) orders (\(summary.orderLines) lines), "
                + "\(summary.shipments) shipments, \(summary.lateDeliveryCases) late-delivery cases")
        emit(
            "generated: \(summary.activities) activities, \(summary.opportunities) opportunities, \(summary.serviceCases) service cases, "
                + "\(summary.campaigns) campaigns with \(summary.campaignSends) sends and \(summary.campaignResponses) responses; "
                + "\(summary.events) events in all")
    }

    private func northwindDirectory() throws -> String {
        let fm = FileManager.default
        if let northwind {
            guard fm.fileExists(atPath: northwind + "/Customers.csv") else {
                throw CLIError("no Northwind data in \(northwind) (it needs Customers.csv, Orders.csv, …)")
            }
            return northwind
        }
        var candidates: [String] = []
        if let shared = ProcessInfo.processInfo.environment["CAIRN_SHARED"], !shared.isEmpty {
            candidates.append(shared + "/datasets/northwind")
        }
        // Beside the working directory or the executable (a clone's .build/…/cairn), or a parent.
        for start in [fm.currentDirectoryPath, URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path] {
            var dir = URL(fileURLWithPath: start)
            for _ in 0..<6 {
                candidates.append(dir.appendingPathComponent("shared/datasets/northwind").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        if let found = candidates.first(where: { fm.fileExists(atPath: $0 + "/Customers.csv") }) { return found }
        throw CLIError("cannot find the Northwind data: give --northwind DIR or set CAIRN_SHARED")
    }
}
