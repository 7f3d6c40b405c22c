import ArgumentParser
import Foundation
import HubDomain
import HubPostgres

/// `hub-admin roles`: the PostgreSQL roles of the hub, granted by the schema's owner
/// (`HubRoles` says what each kind may do). No password goes through here: a role created
/// here is NOLOGIN, and a DBA gives it a password with psql's `\password`, which sends only
/// a hash, or grants it to login roles.
struct Roles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grant PostgreSQL roles their rights on the hub's schema: workers, regional readers.",
        discussion: """
            Run as the schema's owner (the role that runs hub-admin migrate). A missing role is created NOLOGIN \
            (the owner needs CREATEROLE); give it a password in psql (\\password ROLE) or grant it to login roles \
            (GRANT ROLE TO alice). No password is ever read or printed by hub-admin. \
            hub-admin migrate grants again to every recorded role after migrating, so new tables are covered.
            """,
        subcommands: [Workers.self, Reader.self, Revoke.self, List.self]
    )

    struct Workers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make ROLE the workers' role: reads and writes every row, uses the sequences, runs no DDL.",
            discussion: """
                Grants USAGE on the schema, SELECT, INSERT, UPDATE, DELETE on its tables and USAGE on its sequences \
                (hub_schema_migrations and the role tables read-only); no CREATE on the schema. Run hub-workers with \
                this role in HUB_DATABASE_URL.
                """)

        @Argument(help: "The role (created NOLOGIN when missing).")
        var role: String

        func validate() throws { try RoleName.check(role) }

        func run() async throws {
            let outcome = try await AdminContext().withDatabase(doing: "grant the workers' rights to \(role)") { database in
                try await HubRoles.grantWorkers(role, on: database)
            }
            RoleReport.print(outcome, as: "workers' role (every region, data rights only)")
        }
    }

    struct Reader: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make ROLE a reporting role for the given regions: it reads their read models and the reference data.",
            discussion: """
                Row-level security keeps, in clsms, ptsms, ptsm_diagnostics, sism_proposals, sism_programmes, \
                qpv_actions and the clsm_articulation view, the rows of the role's regions; it may not read the \
                inbox, the event log, the outbox nor the dead letters. Regions add to those granted before.
                """)

        @Argument(help: "The role (created NOLOGIN when missing).")
        var role: String

        @Option(help: "INSEE region code the role may read (repeatable), e.g. 11 for Île-de-France.")
        var region: [String] = []

        func validate() throws {
            try RoleName.check(role)
            guard !region.isEmpty else { throw ValidationError("give at least one --region") }
            for code in region { try RoleName.checkRegion(code) }
        }

        func run() async throws {
            let context = try AdminContext()
            let outcome = try await context.withDatabase(doing: "grant regions \(region.joined(separator: ", ")) to \(role)") {
                database in
                let outcome = try await HubRoles.grantReader(role, regions: region, on: database)
                let known = try await database.query("SELECT code FROM ref_regions WHERE code = ANY(\(region))").map {
                    try $0.decode(String.self, at: "code")
                }
                for code in Set(region).subtracting(known).sorted() {
                    RoleReport.warn("region \(code) is not in the reference data (yet): the role will see its rows once there are some")
                }
                return outcome
            }
            RoleReport.print(outcome, as: "reporting role for region \(region.sorted().joined(separator: ", "))")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take from ROLE its rights on the hub's schema (or only some regions); the role itself is kept.")

        @Argument(help: "The role.")
        var role: String

        @Option(help: "Take only this region from a reporting role (repeatable).")
        var region: [String] = []

        func validate() throws { try RoleName.check(role) }

        func run() async throws {
            let recorded = try await AdminContext().withDatabase(doing: "revoke the rights of \(role)") { database in
                try await HubRoles.revoke(role, regions: region, on: database)
            }
            let what = region.isEmpty ? "its rights on the schema" : "region \(region.sorted().joined(separator: ", "))"
            Swift.print(recorded ? "revoked from \(role): \(what)" : "\(role) had no such grant here; rights revoked anyway")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The roles recorded in the hub's schema: kind, regions, whether they exist and may log in.")

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let entries = try await AdminContext().withDatabase(doing: "list the hub's roles") { database in
                try await HubRoles.list(on: database)
            }
            var listing = Listing(columns: ["role", "kind", "regions", "exists", "login"])
            for entry in entries {
                let regions = entry.regions.isEmpty ? nil : entry.regions.joined(separator: " ")
                listing.append([
                    .text(entry.role), .text(entry.kind.rawValue), ListingValue(regions), .boolean(entry.exists), .boolean(entry.canLogIn),
                ])
            }
            output.print(listing)
        }
    }
}

/// The names `hub-admin roles` accepts: refused on the command line (64) rather than by
/// the server, so that a control character never reaches a statement or a message.
enum RoleName {
    static func check(_ role: String) throws {
        guard !role.isEmpty, role.utf8.count <= 63 else {
            throw ValidationError("a role name has 1 to 63 bytes, not \(role.utf8.count)")
        }
        guard !role.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError("a role name holds no control character")
        }
        guard !role.lowercased().hasPrefix("pg_") else { throw ValidationError("role names starting with pg_ are PostgreSQL's") }
    }

    static func checkRegion(_ code: String) throws {
        guard (1...10).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ValidationError("--region takes an INSEE region code (letters and digits, e.g. 11), not \"\(code)\"")
        }
    }
}

/// What `hub-admin roles workers|reader` prints.
enum RoleReport {
    static func print(_ outcome: HubRoles.Outcome, as what: String) {
        Swift.print("\(outcome.role): \(what) of schema \(outcome.schema)")
        if outcome.created {
            Swift.print(
                "\(outcome.role): created NOLOGIN; give it a password in psql (\\password \(outcome.role)) "
                    + "and ALTER ROLE \(outcome.role) LOGIN, or grant it to login roles")
        }
        if outcome.mayCreateInSchema {
            warn(
                "\(outcome.role) may still create objects in schema \(outcome.schema) (through PUBLIC, a membership or superuser): "
                    + "REVOKE CREATE ON SCHEMA \(outcome.schema) FROM PUBLIC, or check its memberships")
        }
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("hub-admin: warning: \(AdminFailure.oneLine(text))\n".utf8))
    }
}
