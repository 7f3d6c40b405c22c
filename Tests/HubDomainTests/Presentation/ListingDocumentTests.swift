import Foundation
import Testing

@testable import HubDomain

@Suite("Listing documents: several listings rendered together (reports, status)")
struct ListingDocumentTests {
    static let document = ListingDocument(
        title: "Démo, région 11",
        facts: [.init("report", "demo"), .init("region", "11"), .init("regionName", "Île-de-France")],
        sections: [
            .init(name: "first", title: "First", listing: Listing(columns: ["id", "n"], rows: [["a, b", 1], ["c", .null]])),
            .init(name: "second", title: "Second", listing: Listing(columns: ["x"], rows: [])),
        ])

    @Test("table: the title, then each section under its underlined heading; an empty one says so")
    func table() throws {
        #expect(
            try Self.document.rendered(as: .table) == """
                Démo, région 11

                First
                =====
                id    n
                ----  -
                a, b  1
                c

                Second
                ======
                (none)

                """)
        #expect(try Self.document.rendered(as: .table, section: "second") == "Démo, région 11\n\nSecond\n======\n(none)\n")
    }

    @Test("table without a title starts with the first heading")
    func untitled() throws {
        let untitled = ListingDocument(sections: Self.document.sections)
        #expect(try untitled.rendered(as: .table).hasPrefix("First\n=====\nid    n\n"))
    }

    @Test("json: one object with the facts and an array per section, which a JSON parser reads back")
    func json() throws {
        let text = try Self.document.rendered(as: .json)
        #expect(
            text == """
                {
                  "report": "demo",
                  "region": "11",
                  "regionName": "Île-de-France",
                  "first": [
                    {"id":"a, b","n":1},
                    {"id":"c","n":null}
                  ],
                  "second": []
                }

                """)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["first"] as? [[String: Any]])?.count == 2)
        let bare = try ListingDocument(sections: Self.document.sections).rendered(as: .json, section: "second")
        #expect(bare == "{\n  \"second\": []\n}\n", "no facts: the sections alone")
    }

    @Test("csv: one section, the first unless another is named")
    func csv() throws {
        #expect(try Self.document.rendered(as: .csv) == "id,n\r\n\"a, b\",1\r\nc,\r\n")
        #expect(try Self.document.rendered(as: .csv, section: "second") == "x\r\n")
    }

    @Test("an unknown section is refused, naming the known ones")
    func unknownSection() {
        #expect(throws: UnknownListingSection(name: "third", known: ["first", "second"])) {
            try Self.document.rendered(as: .json, section: "third")
        }
    }
}
