import HubDomain
import Testing

@Suite("Listings in table, JSON and CSV")
struct ListingTests {
    let listing = Listing(
        columns: ["code", "count", "message"],
        rows: [
            ["schema_violation", 12, "a \"quoted\", comma"],
            ["personal_data", 3, .null],
        ])

    @Test("a table pads columns and aligns numbers right")
    func table() {
        #expect(
            listing.table() == """
                code              count  message
                ----------------  -----  -----------------
                schema_violation     12  a "quoted", comma
                personal_data         3

                """)
    }

    @Test("JSON keeps numbers as numbers and null as null, keys in column order")
    func json() {
        #expect(
            listing.json() == """
                [
                  {"code":"schema_violation","count":12,"message":"a \\"quoted\\", comma"},
                  {"code":"personal_data","count":3,"message":null}
                ]

                """)
        #expect(Listing(columns: ["a"]).json() == "[]\n")
    }

    @Test("CSV quotes what needs quoting, with CRLF line ends")
    func csv() {
        #expect(listing.csv() == "code,count,message\r\nschema_violation,12,\"a \"\"quoted\"\", comma\"\r\npersonal_data,3,\r\n")
    }

    @Test("accented text counts as characters when padding")
    func accents() {
        let table = Listing(columns: ["région", "n"], rows: [["Île-de-France", 1]]).table()
        #expect(table.split(separator: "\n").map(\.count) == [16, 16, 16])
    }
}
