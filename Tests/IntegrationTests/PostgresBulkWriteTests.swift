import Foundation
import HubPostgres
import Testing

@Suite("PostgreSQL prepared statements and bulk writes", .timeLimit(.minutes(2)), .enabled(if: TestServers.hasDatabase))
struct PostgresBulkWriteTests {
    /// Text that COPY's text format would misread if it were not escaped.
    static func awkward(_ index: Int) -> String {
        "ligne \(index)\tavec tab\nnouvelle ligne\\antislash \\N \r« élan » '\"; 🌿"
    }

    @Test("a prepared statement runs many times with different parameters")
    func preparedReuse() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE communes (code text PRIMARY KEY, name text NOT NULL)")
            let insert = try await connection.prepare(
                name: "insert_commune", sql: "INSERT INTO communes (code, name) VALUES ($1, $2)")
            for (code, name) in [("59350", "Lille"), ("59512", "Roubaix"), ("59599", "Tourcoing"), ("62041", "Arras")] {
                #expect(try await connection.execute(prepared: insert, [.text(code), .text(name)]) == 1)
            }
            let find = try await connection.prepare(name: "find_commune", sql: "SELECT name FROM communes WHERE code = $1")
            #expect(try await connection.query(prepared: find, ["59512"]).scalar(String.self) == "Roubaix")
            #expect(try await connection.query(prepared: find, ["62041"]).scalar(String.self) == "Arras")
            #expect(try await connection.query(prepared: find, ["00000"]).isEmpty)
            // Preparing the same name again replaces the statement.
            let replaced = try await connection.prepare(name: "find_commune", sql: "SELECT upper(name) FROM communes WHERE code = $1")
            #expect(try await connection.query(prepared: replaced, ["59350"]).scalar(String.self) == "LILLE")
            // Invalid SQL is refused when prepared, with the server's reason.
            let error = await #expect(throws: PostgresError.self) {
                try await connection.prepare(name: "broken", sql: "SELEC 1")
            }
            #expect(error?.sqlState == "42601")
            // A handle whose statement is no longer the prepared one is refused.
            await #expect(throws: PostgresError.self) { try await connection.query(prepared: find, ["59350"]) }
        }
    }

    @Test("COPY writes 10,000 rows with awkward characters and NULLs intact")
    func copyManyRows() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript(
                """
                CREATE TABLE readings (id int PRIMARY KEY, label text, at timestamptz, ref uuid, payload jsonb, blob bytea)
                """)
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            let rows: [[PostgresValue]] = (0..<10_000).map { index in
                [
                    .int(index), index % 7 == 0 ? .null : .text(Self.awkward(index)),
                    .timestamp(start.addingTimeInterval(Double(index) * 0.25)),
                    .uuid(UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", index))!),
                    .json(#"{"n": \#(index), "s": "tab\there \\ \"q\""}"#), .bytea([UInt8(index % 256), 9, 10, 92]),
                ]
            }
            let copied = try await connection.copy(
                into: "readings", columns: ["id", "label", "at", "ref", "payload", "blob"], rows: rows)
            #expect(copied == 10_000)
            #expect(try await connection.query("SELECT count(*) FROM readings").scalar(Int.self) == 10_000)
            #expect(try await connection.query("SELECT count(*) FROM readings WHERE label IS NULL").scalar(Int.self) == 1_429)
            for index in [1, 2, 4_321, 9_999] {
                let row = try #require(try await connection.query("SELECT * FROM readings WHERE id = \(index)").first)
                #expect(try row.decode(String.self, at: "label") == Self.awkward(index))
                #expect(try row.decode(Date.self, at: "at") == start.addingTimeInterval(Double(index) * 0.25))
                #expect(try row.decode(Data.self, at: "blob") == Data([UInt8(index % 256), 9, 10, 92]))
                let payload = try #require(try row["payload"]?.decodeJSON([String: AnyCodableValue].self))
                #expect(payload["n"] == .int(index))
                #expect(payload["s"] == .string("tab\there \\ \"q\""))
            }
        }
    }

    /// A row with a value of every type binary COPY encodes (NULLs on some rows).
    static func everyType(_ index: Int) -> [PostgresValue] {
        let id = PostgresValue.int(Int64(index) - 1_000)
        let label: PostgresValue = index % 7 == 0 ? .null : .text(awkward(index))
        // Both sides of PostgreSQL's epoch (2000-01-01), with microseconds.
        let at = PostgresValue.timestamp(Date(timeIntervalSince1970: 900_000_000 + Double(index) * 86_400.123457))
        let ref: PostgresValue = index % 5 == 0 ? .null : .uuid(UUID())
        let payload = PostgresValue.json(#"{"n": \#(index), "s": "tab\there é \\ \"q\"", "list": [1, null]}"#)
        let blob = PostgresValue.bytea((0..<(index % 300)).map { UInt8(($0 * 7 + index) % 256) })
        let x = PostgresValue.double(Double(index) / 3 - 100)
        return [id, label, at, ref, payload, blob, .bool(index % 2 == 0), x]
    }

    @Test("binary COPY stores exactly what text COPY stores, for every type it encodes")
    func binaryCopyMatchesText() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            for table in ["as_text", "as_binary"] {
                try await connection.executeScript(
                    """
                    CREATE TABLE \(table) (id bigint PRIMARY KEY, label text, at timestamptz, ref uuid, payload jsonb,
                                           blob bytea, flag boolean, x double precision)
                    """)
            }
            let rows = (0..<3_000).map(Self.everyType)
            let columns = ["id", "label", "at", "ref", "payload", "blob", "flag", "x"]
            #expect(try await connection.copy(into: "as_text", columns: columns, rows: rows) == 3_000)
            #expect(try await connection.copyBinary(into: "as_binary", columns: columns, rows: rows) == 3_000)
            let differing = try await connection.query(
                """
                SELECT count(*) FROM (SELECT * FROM as_text EXCEPT SELECT * FROM as_binary) d
                """
            ).scalar(Int.self)
            #expect(differing == 0)
            #expect(try await connection.query("SELECT count(*) FROM as_binary WHERE at < '2000-01-01'").scalar(Int.self) > 0)
        }
    }

    @Test("binary COPY refuses arrays before sending, and a value of the wrong width fails the statement")
    func binaryCopyMismatches() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE small (n integer, tags text[])")
            await #expect(throws: PostgresError.self) {
                try await connection.copyBinary(into: "small", columns: ["n", "tags"], rows: [[.null, .textArray(["a"])]])
            }
            // An int8 where the column is int4: refused by the server, not truncated.
            await #expect(throws: PostgresError.self) {
                try await connection.copyBinary(into: "small", columns: ["n"], rows: [[.int(7)]])
            }
            #expect(try await connection.query("SELECT count(*) FROM small").scalar(Int.self) == 0)
        }
    }

    @Test("a failed COPY leaves nothing and the connection usable")
    func copyFailure() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE numbers (n int NOT NULL)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copy(into: "numbers", columns: ["n"], rows: [[1], [2], [.null]])
            }
            #expect(error?.sqlState == "23502")  // not_null_violation
            #expect(try await connection.query("SELECT count(*) FROM numbers").scalar(Int.self) == 0)
            await #expect(throws: PostgresError.self) {
                try await connection.copy(into: "numbers", columns: ["n"], rows: [[1, 2]])
            }
        }
    }

    @Test("multi-row INSERT in several batches, with a trailing clause")
    func multiRowInsert() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE items (id int PRIMARY KEY, name text)")
            let rows: [[PostgresValue]] = (0..<2_500).map { [.int($0), .text("item « \($0) » ;'")] }
            #expect(try await connection.insert(into: "items", columns: ["id", "name"], rows: rows) == 2_500)
            let again = try await connection.insert(
                into: "items", columns: ["id", "name"], rows: Array(rows.prefix(1_200)) + [[.int(9_999), "new"]],
                suffix: "ON CONFLICT (id) DO NOTHING")
            #expect(again == 1)
            #expect(try await connection.query("SELECT count(*) FROM items").scalar(Int.self) == 2_501)
            // All or nothing across batches: a duplicate in the third batch undoes the first two.
            let failing: [[PostgresValue]] = (10_000..<12_500).map { [.int($0), nil] } + [[.int(0), nil]]
            await #expect(throws: PostgresError.self) {
                try await connection.insert(into: "items", columns: ["id", "name"], rows: failing)
            }
            #expect(try await connection.query("SELECT count(*) FROM items").scalar(Int.self) == 2_501)
        }
    }
}

/// Just enough JSON to check a COPY'd jsonb value.
enum AnyCodableValue: Decodable, Equatable {
    case int(Int)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) { self = .int(int) } else { self = .string(try container.decode(String.self)) }
    }
}
