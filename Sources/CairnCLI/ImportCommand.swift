import ArgumentParser
import CairnService
import CairnStore
import Foundation
import Synchronization

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load data through the domain's commands: CSV files, or a Salesforce sObject-tree export.",
        subcommands: [CSVImportCommand.self, SalesforceImportCommand.self]
    )
}

/// Options every import shares: dry run, error report, progress and tuning.
struct ImportRunOptions: ParsableArguments {
    @Flag(help: "Check every row against the rules and the current data; write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Write each refused row (line, key, code, reason) to this CSV file.", valueName: "file"))
    var errors: String?

    @Flag(help: "Progress and the summary as JSON lines.")
    var json = false

    @Option(help: "Rows decided together and committed in one append.")
    var batchSize = ImportOptions().batchSize

    @Option(help: "Batches in flight at once.")
    var concurrency = ImportOptions().concurrency

    func validate() throws {
        guard (1...5000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…5000") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1…64") }
    }

    /// Import options with a progress reporter: a bar on a terminal (standard error), JSON
    /// lines with --json, at most five times a second.
    func importOptions() -> ImportOptions {
        var options = ImportOptions(dryRun: dryRun)
        options.batchSize = batchSize
        options.concurrency = concurrency
        let json = self.json
        let terminal = isatty(STDERR_FILENO) == 1 && !json
        guard json || terminal else { return options }
        let last = Mutex(ContinuousClock.now)
        options.progress = { progress in
            let due = last.withLock { last in
                guard ContinuousClock.now - last >= .milliseconds(200) else { return false }
                last = .now
                return true
            }
            guard due else { return }
            if json {
                emit(progressLine("progress", progress, seconds: nil))
            } else {
                let filled = Int(progress.fraction * 30)
                let line =
                    "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] "
                    + String(format: "%3.0f%%", progress.fraction * 100)
                    + "  \(progress.rows) rows  \(progress.failed) refused"
                FileHandle.standardError.write(Data(("\r" + line).utf8))
            }
        }
        return options
    }

    /// Writes the error file, prints the summary, and fails the command when rows were refused.
    func finish(_ report: ImportReport, what: String) throws {
        clearProgress()
        try writeErrors(report.errors)
        let p = report.progress
        if json {
            emit(progressLine("summary", p, seconds: report.seconds, dryRun: report.dryRun, position: report.position))
        } else {
            emit(
                "\(report.dryRun ? "dry run of " : "")\(what): \(p.rows) rows — \(p.created) created, \(p.updated) updated, "
                    + "\(p.unchanged) unchanged, \(p.failed) refused; \(p.events) events"
                    + (report.dryRun ? " would be written" : " written through position \(report.position)")
                    + String(format: " in %.2f s (%.0f rows/s)", report.seconds, report.rowsPerSecond))
        }
        try failIfRefused(report.errors)
    }

    func clearProgress() {
        if isatty(STDERR_FILENO) == 1 && !json { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// The error report: one CSV line per refused row.
    func writeErrors(_ refused: [ImportRowError]) throws {
        guard let errors else { return }
        var text = "line,key,code,reason\n"
        for error in refused {
            text +=
                [String(error.line), error.key ?? "", error.code, error.file.map { "\($0): " + error.reason } ?? error.reason]
                .map(csvField).joined(separator: ",") + "\n"
        }
        do {
            try text.write(toFile: errors, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write the error report \(errors): \(describe(error))")
        }
    }

    /// One line on standard error and exit status 2 when any row was refused.
    func failIfRefused(_ refused: [ImportRowError]) throws {
        guard let first = refused.first else { return }
        let place = first.file.map { "\($0) record \(first.line)" } ?? "line \(first.line)"
        var note = "cairn: \(refused.count) rows refused, the first at \(place): \(first.code): \(first.reason)"
        if let errors { note += " (all of them in \(errors))" }
        FileHandle.standardError.write(Data((note + "\n").utf8))
        throw ExitCode(2)
    }
}

func progressLine(
    _ event: String, _ p: ImportProgress, seconds: Double?, dryRun: Bool? = nil, position: UInt64? = nil
) -> String {
    var json = JSONText()
    json.raw("{")
    json.key("event", first: true); json.string(event)
    json.key("rows"); json.raw(String(p.rows))
    json.key("created"); json.raw(String(p.created))
    json.key("updated"); json.raw(String(p.updated))
    json.key("unchanged"); json.raw(String(p.unchanged))
    json.key("refused"); json.raw(String(p.failed))
    json.key("events"); json.raw(String(p.events))
    json.key("bytesRead"); json.raw(String(p.bytesRead))
    json.key("bytesTotal"); json.raw(String(p.bytesTotal))
    if let seconds {
        json.key("seconds"); json.raw(String(format: "%.3f", seconds))
        json.key("rowsPerSecond"); json.raw(String(Int((Double(p.rows) / max(seconds, 1e-9)).rounded())))
    }
    if let dryRun { json.key("dryRun"); json.raw(dryRun ? "true" : "false") }
    if let position { json.key("position"); json.raw(String(position)) }
    json.raw("}")
    return json.text
}

private func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Opens the log for appending and a service over it, runs `body`, closes the log.
func withService<T>(_ options: DataOptions, _ body: (CairnService) async throws -> T) async throws -> T {
    try await withVault(options) { vault in
        try await withEventLog(options, .append) { log in try await body(CairnService(log: log, vault: vault)) }
    }
}

struct CSVImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Import a CSV file as customers, contacts, leads, opportunities, orders, activities or cases.",
        discussion: """
            The header row names the columns. A field reads the column of the same name unless \
            --map field=Column or a --mapping file ({"field": "Column", …}) says otherwise. Rows \
            upsert by id, externalId or email: importing the same file again changes nothing, and \
            a changed row updates the record. Every row goes through the domain's rules; refused \
            rows are listed with --errors and make the exit status 2. Events are recorded with \
            the actor "import".

            Fields: customers — id externalId kind name firstName lastName fullName email phone \
            street city region postalCode country owner source tags birthDate title attributes.<key>; \
            contacts — the person fields plus organization (the organization's externalId or email) \
            and role; leads — firstName lastName fullName email phone company source campaign; \
            opportunities — customer name amount currency closeDate owner stage; orders — customer \
            date currency sku description quantity unitPrice amount; activities — customer kind \
            occurredAt direction channel duration outcome summary; cases — customer channel \
            priority subject description. `customer` refers to a customer by externalId or email.
            """)

    @OptionGroup var options: DataOptions
    @OptionGroup var run: ImportRunOptions

    @Argument(help: ArgumentHelp("The CSV file.", valueName: "file"))
    var file: String

    @Option(name: .customLong("as"), help: ArgumentHelp("What each row is.", valueName: "kind"))
    var kind: String

    @Option(help: ArgumentHelp("Fill a field from a column (repeatable).", valueName: "field=Column"))
    var map: [String] = []

    @Option(help: ArgumentHelp("A JSON file mapping fields to columns.", valueName: "file"))
    var mapping: String?

    @Option(
        help: ArgumentHelp(
            "Calling code for national phone numbers, e.g. +1, in rows that name no country (a row's country gives its own).",
            valueName: "code"))
    var callingCode: String?

    @Option(help: ArgumentHelp("Country for addresses without one.", valueName: "country"))
    var country: String?

    @Option(help: ArgumentHelp("Currency for amounts without one.", valueName: "code"))
    var currency: String?

    func run() async throws {
        guard let kind = ImportKind(rawValue: kind) else {
            throw CLIError("--as must be one of " + ImportKind.allCases.map(\.rawValue).joined(separator: ", ") + ", not \(kind)")
        }
        guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError("cannot read \(file)") }
        var columns = ColumnMapping()
        do {
            if let mapping {
                guard let data = FileManager.default.contents(atPath: mapping) else {
                    throw CLIError("cannot read the mapping file \(mapping)")
                }
                columns = try ColumnMapping(json: data)
            }
            columns = columns.merging(try ColumnMapping(pairs: map))
            try columns.check(for: kind)
        } catch let error as ImportError {
            throw CLIError(error.message)
        }
        let defaults = ImportDefaults(callingCode: callingCode, country: country, currency: currency)
        let report = try await withService(options) { service in
            do {
                return try await service.importCSV(
                    path: file, as: kind, mapping: columns, defaults: defaults, options: run.importOptions())
            } catch {
                throw CLIError("import failed: \((error as? ImportError)?.message ?? describe(error))")
            }
        }
        try run.finish(report, what: "\(kind.rawValue) from \(file)")
    }
}

struct SalesforceImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "salesforce",
        abstract: "Import a Salesforce sObject-tree export (Contact, Case, Guest_Review__c) through the domain's commands.",
        discussion: """
            DIR holds the export's data files and its plan (data-plan.json unless --plan names \
            another), which gives the load order. Contacts become person customers keyed by \
            External_Id__c; cases open service cases on their contact; guest reviews are logged \
            as notes. Contacts sharing an External_Id__c with another person, birth dates in the \
            future and contacts with no phone or address are refused and listed (--errors), as \
            is anything referring to them; the exit status is then 2. Running it again changes \
            nothing.
            """)

    @OptionGroup var options: DataOptions
    @OptionGroup var run: ImportRunOptions

    @Argument(help: ArgumentHelp("The export's directory.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("The plan file in DIR.", valueName: "file"))
    var plan = "data-plan.json"

    func run() async throws {
        let report = try await withService(options) { service in
            do {
                return try await service.importSalesforce(directory: directory, plan: plan, options: run.importOptions())
            } catch {
                throw CLIError("import failed: \((error as? ImportError)?.message ?? describe(error))")
            }
        }
        run.clearProgress()
        try run.writeErrors(report.errors)
        for step in report.steps {
            let p = step.report.progress
            if run.json {
                var line = progressLine("step", p, seconds: step.report.seconds, dryRun: step.report.dryRun, position: step.report.position)
                line.removeLast()
                var extra = JSONText()
                extra.key("sobject"); extra.string(step.sobject)
                extra.key("file"); extra.string(step.file)
                emit(line + extra.text + "}")
            } else if let note = step.note {
                emit("\(step.sobject) (\(step.file)): not imported — \(note)")
            } else {
                emit(
                    "\(step.sobject) (\(step.file)): \(p.rows) records — \(p.created) created, \(p.updated) updated, "
                        + "\(p.unchanged) unchanged, \(p.failed) refused")
            }
        }
        let total = report.total
        if run.json {
            emit(progressLine("summary", total, seconds: nil, dryRun: run.dryRun, position: report.steps.last?.report.position))
        } else {
            emit(
                "\(run.dryRun ? "dry run: " : "")\(total.rows) records, \(total.created) created, \(total.updated) updated, "
                    + "\(total.unchanged) unchanged, \(total.failed) refused; \(total.events) events"
                    + (run.dryRun ? " would be written" : " written"))
        }
        try run.failIfRefused(report.errors)
    }
}
