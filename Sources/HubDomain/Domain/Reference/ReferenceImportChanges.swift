/// What importing a `ReferenceDataDocument` changes in the reference data already held:
/// per kind, the rows it inserts (key unknown so far), updates (key known, row different)
/// and leaves unchanged (the same row). `hub-admin reference import` prints it, and writes
/// only `rowsToWrite`, so importing a file twice writes nothing the second time.
public struct ReferenceImportChanges: Sendable, Hashable {
    /// The kinds of reference data, named as the sections of the JSON import format.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case regions, departements, communes, qpvs, cls, asvs, sismEditions, dispositifs, epcis, psychiatricSectors
        case ptsmTerritories, sources
    }

    public struct KindChanges: Sendable, Hashable {
        public var kind: Kind
        /// Keys (code, id or year) of the inserted rows, in document order.
        public var inserted: [String] = []
        /// Keys of the rows that existed with other values, in document order.
        public var updated: [String] = []
        public var unchanged = 0

        public var total: Int { inserted.count + updated.count + unchanged }
    }

    /// One entry per kind, in `Kind.allCases` order.
    public private(set) var kinds: [KindChanges]
    /// The document's inserted and updated rows only.
    public private(set) var rowsToWrite: ReferenceDataDocument

    public init(importing document: ReferenceDataDocument, into existing: ReferenceData) {
        var write = ReferenceDataDocument(description: document.description)
        var kinds: [KindChanges] = []
        func compare<Row: Equatable>(
            _ kind: Kind, _ rows: [Row], _ existing: (Row) -> Row?, _ key: (Row) -> String,
            into written: inout [Row]
        ) {
            var changes = KindChanges(kind: kind)
            for row in rows {
                switch existing(row) {
                case nil:
                    changes.inserted.append(key(row))
                    written.append(row)
                case let current? where current != row:
                    changes.updated.append(key(row))
                    written.append(row)
                default:
                    changes.unchanged += 1
                }
            }
            kinds.append(changes)
        }
        compare(.regions, document.regions, { existing.regions[$0.code] }, \.code, into: &write.regions)
        compare(.departements, document.departements, { existing.departements[$0.code] }, \.code, into: &write.departements)
        compare(.communes, document.communes, { existing.communes[$0.code] }, \.code, into: &write.communes)
        compare(.qpvs, document.qpvs, { existing.qpvs[$0.code] }, \.code, into: &write.qpvs)
        compare(.cls, document.cls, { existing.cls[$0.id] }, \.id, into: &write.cls)
        compare(.asvs, document.asvs, { existing.asvs[$0.id] }, \.id, into: &write.asvs)
        compare(
            .sismEditions, document.sismEditions, { existing.sismEditions[$0.year] }, { String($0.year) },
            into: &write.sismEditions)
        compare(
            .dispositifs, document.dispositifs, { existing.dispositifs[$0.key] }, { "\($0.kind.rawValue) \($0.id)" },
            into: &write.dispositifs)
        compare(.epcis, document.epcis, { existing.epcis[$0.siren] }, \.siren, into: &write.epcis)
        compare(
            .psychiatricSectors, document.psychiatricSectors, { existing.psychiatricSectors[$0.id] }, \.id,
            into: &write.psychiatricSectors)
        compare(.ptsmTerritories, document.ptsmTerritories, { existing.ptsmTerritories[$0.id] }, \.id, into: &write.ptsmTerritories)
        compare(.sources, document.sources, { existing.sources[$0.source] }, \.source, into: &write.sources)
        self.kinds = kinds
        self.rowsToWrite = write
    }

    public subscript(kind: Kind) -> KindChanges {
        kinds.first { $0.kind == kind } ?? KindChanges(kind: kind)
    }

    public var insertedCount: Int { kinds.reduce(0) { $0 + $1.inserted.count } }
    public var updatedCount: Int { kinds.reduce(0) { $0 + $1.updated.count } }
    public var unchangedCount: Int { kinds.reduce(0) { $0 + $1.unchanged } }
    /// Whether importing the document would change nothing.
    public var isEmpty: Bool { insertedCount == 0 && updatedCount == 0 }

    /// One row per kind: `kind, inserted, updated, unchanged` (every kind, zeros included,
    /// so scripts find the same rows whatever the file held).
    public func listing() -> Listing {
        Listing(
            columns: ["kind", "inserted", "updated", "unchanged"],
            rows: kinds.map { changes in
                [
                    .text(changes.kind.rawValue), ListingValue(changes.inserted.count), ListingValue(changes.updated.count),
                    ListingValue(changes.unchanged),
                ]
            })
    }

    /// One line for people, e.g. "3 inserted, 1 updated, 40 unchanged".
    public var summary: String {
        "\(insertedCount) inserted, \(updatedCount) updated, \(unchangedCount) unchanged"
    }
}
