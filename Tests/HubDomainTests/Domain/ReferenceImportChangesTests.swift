import Testing

@testable import HubDomain

/// What `hub-admin reference import` reports and writes: rows inserted, updated, unchanged.
@Suite("Reference import changes")
struct ReferenceImportChangesTests {
    static let edition2026 = SismEdition(
        year: 2026, theme: "Santé mentale et travail",
        startsOn: CalendarDate("2026-10-05")!, endsOn: CalendarDate("2026-10-18")!)

    static func held() -> ReferenceData {
        var reference = ReferenceData()
        reference.importing(
            ReferenceDataDocument(
                regions: [Region(code: "11", name: "Île-de-France")],
                departements: [Departement(code: "93", name: "Seine-Saint-Denis", region: "11")],
                communes: [
                    Commune(code: "93066", name: "Saint-Denis", departement: "93"),
                    Commune(code: "93001", name: "Aubervilliers", departement: "93"),
                ],
                qpvs: [Qpv(code: "QN09301M", name: "Franc-Moisin", communes: ["93066"])],
                cls: [Cls(id: "cls-sd", name: "CLS Saint-Denis", region: "11", communes: ["93066"])],
                asvs: [Asv(id: "asv-sd", name: "ASV Saint-Denis", qpvs: ["QN09301M"])],
                sismEditions: [edition2026]))
        return reference
    }

    @Test("every row compared with the held one by its key: new keys inserted, different rows updated, equal rows unchanged")
    func counts() throws {
        let document = ReferenceDataDocument(
            regions: [Region(code: "11", name: "Île-de-France")],
            communes: [
                Commune(code: "93066", name: "Saint-Denis", departement: "93"),
                Commune(code: "93001", name: "Aubervilliers (renamed)", departement: "93"),
                Commune(code: "93055", name: "Pantin", departement: "93"),
            ],
            qpvs: [Qpv(code: "QN09301M", name: "Franc-Moisin", communes: ["93066", "93001"])],
            cls: [Cls(id: "cls-sd", name: "CLS Saint-Denis", region: "11", communes: ["93066"])],
            asvs: [Asv(id: "asv-au", name: "ASV Aubervilliers", qpvs: ["QN09301M"])],
            sismEditions: [
                SismEdition(
                    year: 2026, theme: "Santé mentale et travail", startsOn: CalendarDate("2026-10-05")!,
                    endsOn: CalendarDate("2026-10-19")!),
                SismEdition(year: 2027, theme: "?", startsOn: CalendarDate("2027-10-04")!, endsOn: CalendarDate("2027-10-17")!),
            ])
        let changes = ReferenceImportChanges(importing: document, into: Self.held())

        #expect(changes.kinds.map(\.kind) == ReferenceImportChanges.Kind.allCases)
        #expect(changes[.regions] == .init(kind: .regions, inserted: [], updated: [], unchanged: 1))
        #expect(changes[.departements].total == 0)
        #expect(changes[.communes] == .init(kind: .communes, inserted: ["93055"], updated: ["93001"], unchanged: 1))
        #expect(changes[.qpvs].updated == ["QN09301M"], "one more commune")
        #expect(changes[.cls].unchanged == 1)
        #expect(changes[.asvs].inserted == ["asv-au"])
        #expect(changes[.sismEditions] == .init(kind: .sismEditions, inserted: ["2027"], updated: ["2026"], unchanged: 0))
        #expect((changes.insertedCount, changes.updatedCount, changes.unchangedCount) == (3, 3, 3))
        #expect(changes.summary == "3 inserted, 3 updated, 3 unchanged")
        #expect(!changes.isEmpty)

        // Only what changes is written; the rest of the held data is kept by the upsert.
        let written = changes.rowsToWrite
        #expect(written.regions.isEmpty && written.cls.isEmpty)
        #expect(written.communes.map(\.code) == ["93001", "93055"])
        #expect(written.qpvs.map(\.code) == ["QN09301M"])
        #expect(written.sismEditions.map(\.year) == [2026, 2027])
        var viaChanges = Self.held()
        viaChanges.importing(written)
        var viaDocument = Self.held()
        viaDocument.importing(document)
        #expect(viaChanges == viaDocument, "writing the changes alone gives what importing the whole document gives")
    }

    @Test("importing what is held changes nothing, and a second import of any document reports it all unchanged")
    func idempotent() throws {
        let document = ReferenceDataDocument(
            communes: [
                Commune(code: "93066", name: "Saint-Denis", departement: "93"),
                Commune(code: "93055", name: "Pantin", departement: "93"),
            ])
        var reference = Self.held()
        let first = ReferenceImportChanges(importing: document, into: reference)
        #expect(first[.communes] == .init(kind: .communes, inserted: ["93055"], updated: [], unchanged: 1))
        reference.importing(first.rowsToWrite)
        let second = ReferenceImportChanges(importing: document, into: reference)
        #expect(second.isEmpty)
        #expect(second[.communes].unchanged == 2)
        #expect(second.rowsToWrite == ReferenceDataDocument())
        #expect(ReferenceImportChanges(importing: ReferenceDataDocument(), into: reference).isEmpty)
    }

    @Test("the listing: one row per kind, zeros included, in table, JSON and CSV")
    func listing() throws {
        let document = ReferenceDataDocument(regions: [Region(code: "11", name: "IDF"), Region(code: "84", name: "ARA")])
        let listing = ReferenceImportChanges(importing: document, into: Self.held()).listing()
        #expect(listing.columns == ["kind", "inserted", "updated", "unchanged"])
        #expect(listing.rows.count == 12)
        #expect(listing.rows[0] == ["regions", 1, 1, 0])
        #expect(listing.rows[6] == ["sismEditions", 0, 0, 0])
        #expect(listing.rows[7] == ["dispositifs", 0, 0, 0])
        #expect(listing.rows[11] == ["sources", 0, 0, 0])
        #expect(listing.csv().hasPrefix("kind,inserted,updated,unchanged\r\nregions,1,1,0\r\ndepartements,0,0,0\r\n"))
        #expect(listing.json().contains(#"{"kind":"communes","inserted":0,"updated":0,"unchanged":0}"#))
        let table = listing.table().split(separator: "\n")
        #expect(table[0] == "kind                inserted  updated  unchanged")
        #expect(table[2] == "regions                    1        1          0")
    }
}
