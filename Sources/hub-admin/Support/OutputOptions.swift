import ArgumentParser
import HubDomain

extension ListingFormat: ExpressibleByArgument {}

/// `--format table|json|csv`, shared by every listing (`@OptionGroup var output: OutputOptions`).
struct OutputOptions: ParsableArguments {
    @Option(help: "How to print the listing: table (for people), json or csv (for scripts and spreadsheets).")
    var format: ListingFormat = .table

    func print(_ listing: Listing) {
        Swift.print(listing.rendered(as: format), terminator: "")
    }
}

extension ListingDocument {
    /// Rendered for the command line: a `--section` the document does not have is a wrong
    /// command line (64), naming the sections it has.
    func text(as format: ListingFormat, section: String?) throws(ValidationError) -> String {
        do {
            return try rendered(as: format, section: section)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
