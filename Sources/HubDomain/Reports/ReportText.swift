/// Cell values and facts shared by the report builders.
enum ReportText {
    /// A list in one cell: "a; b; c" (ids and codes never hold "; ").
    static func list<S: Sequence>(_ values: S) -> ListingValue where S.Element == String {
        let items = Array(values)
        return items.isEmpty ? .text("") : .text(items.joined(separator: "; "))
    }

    /// A share as a percentage with no decimals (null when there is nothing to divide by).
    static func percent(_ count: Int, of total: Int) -> ListingValue {
        total == 0 ? .null : .decimal(Double(count) * 100 / Double(total), fractionDigits: 0)
    }

    /// The facts of the region a report is about: its code, then its name.
    static func regionFacts(_ region: Region) -> [ListingDocument.Fact] {
        [.init("region", region.code), .init("regionName", region.name)]
    }
}
