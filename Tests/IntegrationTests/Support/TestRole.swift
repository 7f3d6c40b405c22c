import Foundation
import HubPostgres

/// A PostgreSQL role made for one test (roles are the cluster's, shared by every test run:
/// each gets a unique name), able to log in with a password of its own, and dropped at the
/// end with what it was granted in the test database.
struct TestRole {
    let name: String
    let password: String

    init(_ prefix: String) {
        name = TestServers.uniqueName(prefix)
        password = "pw-" + UUID().uuidString.lowercased()
    }

    /// A libpq URI that logs in as this role on the test server, with `schema` as search_path.
    func databaseURL(schema: String) throws -> String {
        let base = try PostgresTestDatabase.configuration()
        let host = base.host ?? "127.0.0.1"
        let port = base.port.map { ":\($0)" } ?? ""
        return "postgresql://\(name):\(password)@\(host)\(port)/\(base.database ?? "postgres")"
            + "?options=-c%20search_path%3D\(schema)"
    }

    /// A connection as this role on `schema`.
    func connect(schema: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            try PostgresConfiguration(url: try databaseURL(schema: schema)), logger: PostgresTestDatabase.logger)
    }

    /// Lets the role log in (hub-admin makes roles NOLOGIN; the test server's user is a
    /// superuser). The password is the test's own, in SQL text: never done so outside tests.
    func allowLogin(using admin: PostgresConnection) async throws {
        try await admin.executeScript("ALTER ROLE \(PostgresIdentifier.quote(name)) LOGIN PASSWORD '\(password)'")
    }

    /// Runs `body` with `roles`, then drops them whatever happens: first what they were
    /// granted in this database (DROP OWNED BY), then the roles.
    static func with<T>(
        _ roles: [TestRole], isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        func dropRoles() async {
            guard let admin = try? await PostgresConnection.connect(try PostgresTestDatabase.configuration()) else { return }
            for role in roles {
                let quoted = PostgresIdentifier.quote(role.name)
                try? await admin.executeScript("DROP OWNED BY \(quoted); DROP ROLE IF EXISTS \(quoted)")
            }
            await admin.close()
        }
        do {
            let value = try await body()
            await dropRoles()
            return value
        } catch {
            await dropRoles()
            throw error
        }
    }
}
