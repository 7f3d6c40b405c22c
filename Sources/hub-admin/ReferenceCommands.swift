import ArgumentParser
import Foundation
import HubDomain
import HubPostgres

struct Reference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage reference data (regions, départements, communes, QPVs, CLS, ASV, SISM editions).",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import reference data: the project's JSON format (docs/contract.md) or an INSEE / QPV CSV file.",
            discussion: """
                FILE is a JSON document in the project's format (sections regions, departements, communes, \
                qpvs, cls, asvs, sismEditions, dispositifs, epcis, psychiatricSectors, ptsmTerritories, \
                sources, each optional; see docs/examples/reference-demo.json \
                and, for the registered sources, docs/examples/sources-demo.json) or, when \
                its name ends in .csv, one of the CSV layouts, recognised by their header: INSEE \
                regions, départements or communes (COG), the QPV list, the INSEE EPCI composition \
                (CODGEO,LIBGEO,EPCI,LIBEPCI,...), or the hub's dispositifs layout (kind,id,name,communes,...).

                The file is checked whole first (strict fields, no key twice, every code it refers to known \
                in the file or already in the hub); a refused file writes nothing. Then, in one transaction, \
                each row is compared with the reference data already held: rows whose key is new are \
                inserted, rows that differ are replaced, identical rows are left alone, and rows the file \
                does not name are kept. Importing the same file again changes nothing.

                Prints what changed, per kind (regions, departements, communes, qpvs, cls, asvs, \
                sismEditions, sources): how many rows were inserted, updated and unchanged, as a table followed by a \
                summary line, or as JSON or CSV (--format) with the same columns. --dry-run checks and \
                reports the same way without writing anything.

                Exit codes: 0 imported (or nothing to change); 65 the file is refused (unreadable, not \
                JSON or CSV in a known layout, invalid rows, unknown codes: every problem listed); 69 \
                PostgreSQL does not answer; 1 another failure (e.g. schema not migrated).
                """)

        @OptionGroup var output: OutputOptions

        @Flag(help: "Check the file and report what would change, without writing anything.")
        var dryRun = false

        @Argument(help: "A JSON document (see docs/examples/reference-demo.json) or a CSV file (name ending in .csv).")
        var file: String

        func run() async throws {
            let context = try AdminContext()
            let document = try parse(try InputFile.contents(of: file))
            let database = try await context.database()
            let changes: ReferenceImportChanges
            do {
                // The comparison reads the reference data in the transaction that writes, so
                // the report describes what this transaction changed.
                changes = try await database.transaction { connection in
                    let existing = try await StateStore().loadReference(on: connection).reference
                    do {
                        try document.validate(existing: existing)
                    } catch {
                        throw AdminFailure.refusedInput("\(file) is refused: \(error)")
                    }
                    let changes = ReferenceImportChanges(importing: document, into: existing)
                    if !dryRun {
                        try await StateStore().importReference(changes.rowsToWrite, on: connection)
                    }
                    return changes
                }
            } catch {
                await database.close()
                throw (error as? AdminFailure) ?? Self.failure(error, importing: file)
            }
            await database.close()
            output.print(changes.listing())
            if output.format == .table {
                let what = dryRun ? "dry run, nothing written: \(file) would change" : "imported \(file):"
                print("\(what) \(changes.summary)")
            }
        }

        /// A failure of the import transaction. The file's values are all checked before they
        /// are written, so PostgreSQL should never refuse one; if it does (a data exception,
        /// SQLSTATE class 22, e.g. a NUL in text), the file is still what is refused (65),
        /// not an internal failure.
        private static func failure(_ error: any Error, importing file: String) -> AdminFailure {
            if let error = error as? PostgresError, let state = error.sqlState, state.hasPrefix("22") {
                return .refusedInput("\(file) is refused: PostgreSQL refuses one of its values: \(error)")
            }
            return .database(error, doing: "import the reference data of \(file)")
        }

        /// The document in the file, strictly decoded; its references are checked against the
        /// hub's reference data later, in the transaction.
        private func parse(_ bytes: [UInt8]) throws -> ReferenceDataDocument {
            do {
                if file.lowercased().hasSuffix(".csv") {
                    return try ReferenceCSVImport.document(fromCSV: bytes)
                }
                if let problem = InputFile.encodingProblem(bytes) {
                    throw EventRejection(code: .schemaViolation, message: problem)
                }
                let json: JSONValue
                do {
                    json = try JSONParser.parse(bytes)
                } catch {
                    let position = InputFile.position(ofByte: error.offset, in: bytes)
                    throw EventRejection(
                        code: .schemaViolation, message: "not valid JSON",
                        violations: [Violation(path: position, reason: error.reason)])
                }
                return try ReferenceDataDocument.strictDecode(json, typeName: "reference data")
            } catch {
                throw AdminFailure.refusedInput("\(file) is refused: \(error)")
            }
        }
    }
}
