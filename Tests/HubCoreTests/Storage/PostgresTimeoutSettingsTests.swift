import HubDomain
import Testing

@testable import HubPostgres

/// What every session is opened with so that a partition cannot hold the processing lock for
/// long: libpq's keepalives and TCP_USER_TIMEOUT, the server's timeouts and TCP settings in
/// `options`, each unless the URI sets it; and how the environment sets them.
@Suite("PostgreSQL timeouts: connection parameters and environment")
struct PostgresTimeoutSettingsTests {
    static let url = "postgresql://hub:hub@127.0.0.1:5432/hub"

    private static func parameters(_ configuration: PostgresConfiguration) -> [String: String] {
        Dictionary(configuration.connectParameters, uniquingKeysWith: { _, last in last })
    }

    private static func options(_ configuration: PostgresConfiguration) -> [String: String] {
        PostgresConfiguration.settings(inOptions: parameters(configuration)["options"] ?? "")
    }

    @Test("defaults: keepalives 10/5/3, tcp_user_timeout 30 s on both ends, statement and idle-in-transaction 30 s, reply 35 s")
    func defaults() throws {
        let configuration = try PostgresConfiguration(url: Self.url)
        let parameters = Self.parameters(configuration)
        #expect(parameters["keepalives"] == "1")
        #expect(parameters["keepalives_idle"] == "10")
        #expect(parameters["keepalives_interval"] == "5")
        #expect(parameters["keepalives_count"] == "3")
        #expect(parameters["tcp_user_timeout"] == "30000")
        let options = Self.options(configuration)
        #expect(options["statement_timeout"] == "30000")
        #expect(options["idle_in_transaction_session_timeout"] == "30000")
        #expect(options["tcp_keepalives_idle"] == "10")
        #expect(options["tcp_keepalives_interval"] == "5")
        #expect(options["tcp_keepalives_count"] == "3")
        #expect(options["tcp_user_timeout"] == "30000")
        // The settings the row decoders need are still there.
        #expect(options["datestyle"] == "ISO,YMD")
        #expect(options["timezone"] == "UTC")
        #expect(configuration.replyTimeout == .seconds(35))
        // A cut worker's transaction is ended by the server well within a minute.
        #expect(try #require(configuration.idleInTransactionTimeout) < .seconds(60))
    }

    @Test("every session commits synchronously (offsets follow commits that must survive a crash), unless the URI sets a level")
    func synchronousCommit() throws {
        #expect(Self.options(try PostgresConfiguration(url: Self.url))["synchronous_commit"] == "on")
        let remote = try PostgresConfiguration(url: Self.url + "?options=-c%20synchronous_commit%3Dremote_apply")
        let options = try #require(Self.parameters(remote)["options"])
        #expect(options.components(separatedBy: "synchronous_commit=").count == 2, "\(options)")
        #expect(Self.options(remote)["synchronous_commit"] == "remote_apply")
    }

    @Test("what the URI sets wins: libpq keywords and -c settings of its options are not added again")
    func uriWins() throws {
        let url =
            Self.url + "?keepalives_idle=60&tcp_user_timeout=9000"
            + "&options=-c%20statement_timeout%3D2min%20--idle-in-transaction-session-timeout%3D0%20-c%20search_path%3Ds"
        let configuration = try PostgresConfiguration(url: url)
        let pairs = configuration.connectParameters
        #expect(!pairs.contains { $0.0 == "keepalives_idle" })
        #expect(!pairs.contains { $0.0 == "tcp_user_timeout" })
        #expect(pairs.contains { $0 == ("keepalives_interval", "5") })
        let options = try #require(Self.parameters(configuration)["options"])
        #expect(options.components(separatedBy: "statement_timeout=").count == 2, "\(options)")
        #expect(!options.contains("-c idle_in_transaction_session_timeout="))
        #expect(Self.options(configuration)["statement_timeout"] == "2min")
        #expect(Self.options(configuration)["tcp_keepalives_idle"] == "10")
        // The reply deadline follows the URI's statement timeout.
        #expect(configuration.effectiveStatementTimeout == .seconds(120))
        #expect(configuration.replyTimeout == .seconds(125))
        let off = try PostgresConfiguration(url: Self.url + "?options=-c%20statement_timeout%3D0")
        #expect(off.effectiveStatementTimeout == nil)
        #expect(off.replyTimeout == nil)
        #expect(throws: PostgresError.self) {
            try PostgresConfiguration(url: Self.url + "?options=-c%20statement_timeout%3Dsoon")
        }
    }

    @Test("nil turns a setting off: no keepalive keywords, timeouts 0 on the server, no reply deadline")
    func off() throws {
        var configuration = try PostgresConfiguration(url: Self.url)
        configuration.keepalives = nil
        configuration.tcpUserTimeout = nil
        configuration.statementTimeout = nil
        configuration.idleInTransactionTimeout = nil
        let parameters = Self.parameters(configuration)
        for keyword in ["keepalives", "keepalives_idle", "tcp_user_timeout"] { #expect(parameters[keyword] == nil) }
        let options = Self.options(configuration)
        #expect(options["statement_timeout"] == "0")
        #expect(options["idle_in_transaction_session_timeout"] == "0")
        #expect(options["tcp_keepalives_idle"] == nil)
        #expect(options["tcp_user_timeout"] == nil)
        #expect(configuration.replyTimeout == nil)
        configuration.replyDeadline = .after(.milliseconds(1500))
        #expect(configuration.replyTimeout == .milliseconds(1500))
        // Sub-millisecond and absurd durations stay valid settings (0 would mean off).
        configuration.statementTimeout = .microseconds(10)
        configuration.idleInTransactionTimeout = .seconds(Int64.max)
        #expect(Self.options(configuration)["statement_timeout"] == "1")
        #expect(Self.options(configuration)["idle_in_transaction_session_timeout"] == "2147483647")
    }

    @Test("the environment sets each timeout in seconds, 0 for none")
    func environment() throws {
        func configuration(_ variables: [String: String]) throws -> PostgresConfiguration {
            try PostgresConfiguration.fromEnvironment(HubEnvironment(["HUB_DATABASE_URL": Self.url].merging(variables) { $1 }))
        }
        let set = try configuration([
            "HUB_DATABASE_STATEMENT_TIMEOUT": "12", "HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": "7",
            "HUB_DATABASE_TCP_USER_TIMEOUT": "20",
        ])
        #expect(set.statementTimeout == .seconds(12))
        #expect(set.idleInTransactionTimeout == .seconds(7))
        #expect(set.tcpUserTimeout == .seconds(20))
        #expect(set.replyTimeout == .seconds(17))
        #expect(Self.options(set)["statement_timeout"] == "12000")
        #expect(Self.parameters(set)["tcp_user_timeout"] == "20000")

        let none = try configuration(["HUB_DATABASE_STATEMENT_TIMEOUT": "0", "HUB_DATABASE_TCP_USER_TIMEOUT": "0"])
        #expect(none.statementTimeout == nil)
        #expect(none.tcpUserTimeout == nil)
        #expect(none.replyTimeout == nil)
        #expect(
            try configuration(["HUB_DATABASE_STATEMENT_TIMEOUT": "0", "HUB_DATABASE_REPLY_TIMEOUT": "40"]).replyTimeout == .seconds(40))
        #expect(try configuration(["HUB_DATABASE_REPLY_TIMEOUT": "0"]).replyTimeout == nil)
        // Empty is unset.
        #expect(try configuration(["HUB_DATABASE_STATEMENT_TIMEOUT": ""]).statementTimeout == .seconds(30))
    }

    @Test(
        "a bad timeout stops the start-up and names the variable",
        arguments: [
            ("HUB_DATABASE_STATEMENT_TIMEOUT", "30s"), ("HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", "-1"),
            ("HUB_DATABASE_TCP_USER_TIMEOUT", "1.5"), ("HUB_DATABASE_REPLY_TIMEOUT", "99999999999999999999"),
            ("HUB_DATABASE_STATEMENT_TIMEOUT", "2147484"),
        ])
    func badValues(_ name: String, _ value: String) throws {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConfiguration.fromEnvironment(HubEnvironment(["HUB_DATABASE_URL": Self.url, name: value]))
        }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.message.contains("\(name)=\(value) is invalid") == true, "\(String(describing: error))")
        #expect(error?.message.contains("whole number of seconds") == true)
    }

    @Test("hub-admin's configuration has no statement or idle-in-transaction timeout unless the environment asks")
    func longCommands() throws {
        let environment = ["HUB_DATABASE_URL": Self.url]
        let admin = try PostgresConfiguration.fromEnvironment(HubEnvironment(environment)).forLongCommands()
        #expect(admin.statementTimeout == nil)
        #expect(admin.idleInTransactionTimeout == nil)
        #expect(admin.replyTimeout == nil)
        #expect(admin.keepalives != nil)
        #expect(admin.tcpUserTimeout == .seconds(30))
        #expect(Self.options(admin)["statement_timeout"] == "0")

        let asked = try PostgresConfiguration.fromEnvironment(
            HubEnvironment(environment.merging(["HUB_DATABASE_STATEMENT_TIMEOUT": "600"]) { $1 })
        ).forLongCommands()
        #expect(asked.statementTimeout == .seconds(600))
        #expect(asked.idleInTransactionTimeout == nil)
        #expect(asked.replyTimeout == .seconds(605))
    }

    @Test("options: -c name=value, -cname=value and --name=value, escaped spaces kept")
    func optionParsing() {
        let settings = PostgresConfiguration.settings(
            inOptions: #"-c search_path="a\ b",public -cDateStyle=ISO --statement-timeout=5s  -c"#)
        #expect(settings["search_path"] == #""a b",public"#)
        #expect(settings["datestyle"] == "ISO")
        #expect(settings["statement_timeout"] == "5s")
        #expect(settings.count == 3)
    }

    @Test("time settings read with the server's units")
    func timeUnits() {
        #expect(PostgresConfiguration.parseMilliseconds("1500") == .milliseconds(1500))
        #expect(PostgresConfiguration.parseMilliseconds("30s") == .seconds(30))
        #expect(PostgresConfiguration.parseMilliseconds("2 min") == .seconds(120))
        #expect(PostgresConfiguration.parseMilliseconds("1h") == .seconds(3600))
        #expect(PostgresConfiguration.parseMilliseconds("1d") == .seconds(86400))
        #expect(PostgresConfiguration.parseMilliseconds("500us") == .milliseconds(1))
        #expect(PostgresConfiguration.parseMilliseconds("0.5s") == .milliseconds(500))
        for bad in ["", "s", "5 parsecs", "-5", "1e3", "999999999999d", "2147483648"] {
            #expect(PostgresConfiguration.parseMilliseconds(bad) == nil, "\(bad)")
        }
    }

    @Test("SQLSTATE 57014 is transient unless the hub cancelled the statement itself; the idle timeouts end the session")
    func queryCanceled() {
        #expect(PostgresError(.timeout, "canceling statement due to statement timeout", sqlState: "57014").isTransient)
        #expect(PostgresError(.queryFailed, "x", sqlState: "57014").isTransient)
        #expect(!PostgresError(.cancelled, "canceling statement due to user request", sqlState: "57014").isTransient)
        for sqlState in ["25P03", "57P05"] {
            #expect(PostgresError.isConnectionLevel(sqlState: sqlState))
            #expect(PostgresError.isTransient(sqlState: sqlState))
        }
    }
}
