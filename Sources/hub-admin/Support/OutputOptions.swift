import ArgumentParser
import HubCore

extension ListingFormat: ExpressibleByArgument {}

/// `--format table|json|csv`, shared by every listing (`@OptionGroup var output: OutputOptions`).
struct OutputOptions: ParsableArguments {
    @Option(help: "How to print the listing: table (for people), json or csv (for scripts and spreadsheets).")
    var format: ListingFormat = .table

    func print(_ listing: Listing) {
        Swift.print(listing.rendered(as: format), terminator: "")
    }
}
