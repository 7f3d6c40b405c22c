import ArgumentParser
import Foundation
import HubCore

struct Reference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage reference data (regions, départements, communes, QPVs, CLS, ASV, SISM editions).",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import reference data: the project's JSON format (docs/contract.md) or an INSEE / QPV CSV file.",
            discussion: "Rows named in the file are inserted or replaced; others are kept. All or nothing, in one transaction.")

        @Argument(help: "A JSON document (see docs/examples/reference-demo.json) or a CSV file.")
        var file: String

        func run() async throws {
            let context = try AdminContext()
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let bytes = [UInt8](data)
            let database = try await context.database()
            let store = StateStore()
            let existing = try await store.loadEverything(on: database).reference
            let document: ReferenceDataDocument
            do {
                document = file.lowercased().hasSuffix(".csv")
                    ? try ReferenceCSVImport.document(fromCSV: bytes)
                    : try ReferenceDataDocument.decode(bytes, existing: existing)
                try document.validate(existing: existing)
            } catch {
                throw ValidationError("\(file) is refused: \(error)")
            }
            try await database.transaction { connection in
                try await store.importReference(document, on: connection)
            }
            await database.close()
            print("""
                imported \(file): \(document.regions.count) regions, \(document.departements.count) départements, \
                \(document.communes.count) communes, \(document.qpvs.count) QPVs, \(document.cls.count) CLS, \
                \(document.asvs.count) ASV, \(document.sismEditions.count) SISM editions
                """)
        }
    }
}
