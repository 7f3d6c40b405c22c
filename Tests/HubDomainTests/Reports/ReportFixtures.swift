import HubTestSupport
import Testing

@testable import HubDomain

/// States the report tests start from.
enum ReportFixture {
    /// The demo reference data with every example event of docs/examples/events folded in:
    /// region 11, CLSMs of Saint-Denis (93066, 93001) and Aubervilliers (93001), PTSM 93 v2,
    /// four SISM 2026 proposals (one refused), two QPV actions.
    static func demoHub() throws -> Harness {
        var hub = try Harness.demo()
        for file in try Fixture.exampleEventFiles() {
            try hub.send(try Fixture.exampleEvent(file))
        }
        return hub
    }

    /// A listing's rows as text cells, for compact expectations.
    static func cells(_ listing: Listing) -> [[String]] {
        listing.rows.map { $0.map(\.description) }
    }

    /// The row whose first cell is `key`, as column -> cell text.
    static func row(_ listing: Listing, _ key: String) throws -> [String: String] {
        let row = try #require(listing.rows.first { $0.first?.description == key }, "no row \(key)")
        return Dictionary(uniqueKeysWithValues: zip(listing.columns, row.map(\.description)))
    }
}
