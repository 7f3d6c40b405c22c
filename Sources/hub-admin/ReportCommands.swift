import ArgumentParser
import Foundation
import HubDomain
import HubPostgres

/// The ARS reports: articulation of a region's CLSMs, regional SISM programme, QPV coverage.
/// The builders are HubCore's (`ArticulationReport`, `SismProgrammeReport`,
/// `QpvCoverageReport`); these commands load the region's slice and print.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reports for a regional health agency (ARS): articulation, SISM programme, QPV coverage.",
        subcommands: [Articulation.self, Sism.self, Coverage.self, Survey.self]
    )

    struct Articulation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Each CLSM of a region against PTSM, CLS, ASV, QPVs, governance and the other dispositifs on its territory; the region's rates beside the national 2022 survey.",
            discussion: """
                Sections: clsms (every CLSM of the region), territoryCounts (per CLSM, how many CLSPD, CPTS, \
                DAC, PRE, contrats de ville, EPCIs, adult and child sectors and PTSM territories lie on its \
                territory), territory (one row per CLSM and such dispositif: kind, id, name, detail, shared \
                communes), declared (the articulation each CLSM declared in its latest activity report beside \
                what lies on its territory), rates (over its active CLSMs). --format csv prints one section: \
                clsms unless --section names another.
                """)

        @OptionGroup var target: RegionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var destination: ReportDestination

        func run() async throws {
            let scope = RegionReportScope(region: target.region, qpvActions: true, activityReports: true)
            try await target.report(scope, as: output.format, to: destination) {
                (state) throws(RegionReportRefusal) in try ArticulationReport(state: state, region: target.region).document
            }
        }
    }

    struct Sism: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The regional SISM programme of an edition: accepted, not cancelled proposals of the region's CLSMs, by start.",
            discussion: """
                --format ics writes an RFC 5545 calendar (one event per proposal, UID <proposalId>@clsm-hub, \
                times in UTC) that calendar applications import; table, json and csv give Europe/Paris times.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json, csv, ics
        }

        @OptionGroup var target: RegionOptions

        @Option(help: "The SISM edition (year), as in the reference data.")
        var edition: Int

        @Option(help: "How to print the programme: table, json, csv, or ics (iCalendar).")
        var format: Format = .table

        @OptionGroup var destination: ReportDestination

        func validate() throws {
            if format == .ics, destination.section != nil {
                throw ValidationError("--section does not apply to --format ics")
            }
        }

        func run() async throws {
            let state = try await target.load(RegionReportScope(region: target.region, sismEdition: edition))
            let report = try RegionOptions.refusing { () throws(RegionReportRefusal) in
                try SismProgrammeReport(state: state, region: target.region, edition: edition)
            }
            switch format {
            case .ics:
                let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                try destination.write(report.calendar.serialized(stamp: now))
            case .table, .json, .csv:
                let listingFormat = ListingFormat(rawValue: format.rawValue)!
                try destination.write(try report.document.text(as: listingFormat, section: destination.section))
            }
        }
    }

    struct Coverage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The QPVs of a region: communes, ASV, covering CLSMs, recorded actions; those covered by a CLSM without ASV.",
            discussion: """
                Sections: qpvs, withoutAsv (covered by an active CLSM, served by no ASV), summary. \
                --format csv prints one section: qpvs unless --section names another.
                """)

        @OptionGroup var target: RegionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var destination: ReportDestination

        func run() async throws {
            try await target.report(RegionReportScope(region: target.region, qpvActions: true), as: output.format, to: destination) {
                (state) throws(RegionReportRefusal) in try QpvCoverageReport(state: state, region: target.region).document
            }
        }
    }
}

/// `--region R` and the loading of its slice.
struct RegionOptions: ParsableArguments {
    @Option(help: "INSEE region code, e.g. 11 for Île-de-France (also the ARS id).")
    var region: String

    /// The region's slice of the stored state; an unknown region is refused (65), and so is
    /// a region the role may not read (a reporting role of other regions: row-level security
    /// would show it an empty region, which must not pass for a region with nothing in it).
    func load(_ scope: RegionReportScope) async throws -> HubState {
        let state = try await AdminContext().withDatabase(doing: "read region \(region) from PostgreSQL") { database in
            if let readable = try await HubRoles.readableRegions(on: database), !readable.contains(region) {
                throw AdminFailure.refusedInput(
                    "this PostgreSQL role may not read region \(region) (row-level security; its regions: "
                        + "\(readable.isEmpty ? "none" : readable.joined(separator: ", "))); hub-admin roles reader grants regions")
            }
            return try await StateStore().loadRegion(scope, on: database)
        }
        guard let state else { throw AdminFailure.refusedInput(RegionReportRefusal.unknownRegion(region).description) }
        return state
    }

    /// Loads the region's slice, builds the report from it and writes it where asked.
    func report(
        _ scope: RegionReportScope, as format: ListingFormat, to destination: ReportDestination,
        _ build: (HubState) throws(RegionReportRefusal) -> ListingDocument
    ) async throws {
        let state = try await load(scope)
        let document = try Self.refusing { () throws(RegionReportRefusal) in try build(state) }
        try destination.write(try document.text(as: format, section: destination.section))
    }

    /// A refusal of the report builders (an edition the reference data lacks...) as a refused input (65).
    static func refusing<T>(_ body: () throws(RegionReportRefusal) -> T) throws(AdminFailure) -> T {
        do {
            return try body()
        } catch {
            throw AdminFailure.refusedInput(error.description)
        }
    }
}

/// `--section` and `--output`, shared by the reports.
struct ReportDestination: ParsableArguments {
    @Option(help: "Print only this section of the report (see the command's sections).")
    var section: String?

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    func write(_ text: String) throws {
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } catch {
            throw AdminFailure.failed("cannot write \(output): \(error.localizedDescription)")
        }
        FileHandle.standardError.write(Data("hub-admin: wrote \(output)\n".utf8))
    }
}
