import Foundation
import HubPostgres
import Testing

/// Every parameter type goes to the server as a `$n` parameter and comes back as the same
/// Swift value; strings that would break string-built SQL stay data.
@Suite("PostgreSQL values", .enabled(if: TestServers.hasDatabase))
struct PostgresValueTests {
    @Test("each value type survives a round trip through a table, NULL included")
    func roundTrip() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript(
                """
                CREATE TABLE sample (
                    id int PRIMARY KEY, label text, count bigint, small int, flag boolean, ratio double precision,
                    at timestamptz, ref uuid, blob bytea, doc jsonb, tags text[], numbers bigint[]
                )
                """)
            let at = Date(timeIntervalSince1970: 1_774_000_000.123456)
            let ref = UUID()
            let blob: [UInt8] = [0, 1, 2, 92, 10, 255, 0x27]
            let label = "Conseil local de santé mentale — « Lille-Métropole » ; l'été, 1 € 🌿"
            let values: [PostgresValue] = [
                1, .text(label), .int(Int64.max), .int(-42), true, 0.1, .timestamp(at), .uuid(ref), .bytea(blob),
                .json(#"{"communes": ["59350"], "nom": "Île-de-France"}"#), .textArray(["a", "b,c", "d\"e", nil, ""]),
                .intArray([1, nil, -3]),
            ]
            let inserted = try await connection.execute(
                "INSERT INTO sample VALUES (\(PostgresQuery.joined(values.map { value -> PostgresQuery in "\(value)" }, separator: ", ")))")
            #expect(inserted == 1)
            try await connection.execute("INSERT INTO sample (id) VALUES (\(2))")

            let row = try #require(try await connection.query("SELECT * FROM sample WHERE id = \(1)").first)
            #expect(try row.decode(String.self, at: "label") == label)
            #expect(try row.decode(Int64.self, at: "count") == Int64.max)
            #expect(try row.decode(Int.self, at: "small") == -42)
            #expect(try row.decode(Int32.self, at: "small") == -42)
            #expect(try row.decode(Bool.self, at: "flag"))
            #expect(try row.decode(Double.self, at: "ratio") == 0.1)
            let readAt = try row.decode(Date.self, at: "at")
            #expect(abs(readAt.timeIntervalSince1970 - at.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode(UUID.self, at: "ref") == ref)
            #expect(try row.decode(Data.self, at: "blob") == Data(blob))
            #expect(try row.bytea(at: "blob") == blob)
            #expect(throws: PostgresError.self) { try row.bytea(at: "label") }
            struct Doc: Decodable, Equatable {
                let communes: [String]
                let nom: String
            }
            #expect(try row["doc"]?.decodeJSON(Doc.self) == Doc(communes: ["59350"], nom: "Île-de-France"))
            #expect(try row.decode([String?].self, at: "tags") == ["a", "b,c", "d\"e", nil, ""])
            #expect(try row.decode([Int?].self, at: "numbers") == [1, nil, -3])

            let empty = try #require(try await connection.query("SELECT * FROM sample WHERE id = 2").first)
            for column in ["label", "count", "flag", "ratio", "at", "ref", "blob", "doc", "tags"] {
                #expect(empty[column]?.isNull == true)
            }
            #expect(try empty.decode(String?.self, at: "label") == nil)
            #expect(try empty.bytea(at: "blob") == nil)
            #expect(try empty.decode(Date?.self, at: "at") == nil)
            #expect(throws: PostgresError.self) { try empty.decode(String.self, at: "label") }
        }
    }

    @Test("typed parameters come back from SELECT $n without a table")
    func selectParameters() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            let dates = [
                Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -86_400.5),
                Date(timeIntervalSince1970: 4_102_444_800.000001),
            ]
            for date in dates {
                let back = try await connection.query("SELECT \(date)::timestamptz AS at").scalar(Date.self)
                #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_002)
            }
            let offset = try await connection.query("SELECT '2026-03-01 10:30:00+05:30'::timestamptz::text").scalar(String.self)
            #expect(offset == "2026-03-01 05:00:00+00")  // sessions run in UTC
            let parsed = try await connection.query("SELECT '2026-03-01 10:30:00.5+05:30'::timestamptz").scalar(Date.self)
            #expect(parsed == Date(timeIntervalSince1970: 1_772_341_200.5))
            let special = try await connection.query("SELECT 'NaN'::float8, 'Infinity'::float8, \(-Double.infinity)::float8")
            #expect(try special[0].decode(Double.self, at: 0).isNaN)
            #expect(try special[0].decode(Double.self, at: 1) == .infinity)
            #expect(try special[0].decode(Double.self, at: 2) == -.infinity)
            let bool = try await connection.query("SELECT \(true)::boolean, \(false)::boolean")
            #expect(try bool[0].decode(Bool.self, at: 0) && !(try bool[0].decode(Bool.self, at: 1)))
            let encodable: [PostgresValue] = [PostgresValue("x"), PostgresValue(Optional<Int>.none), PostgresValue(7)]
            let mixed = try await connection.query("SELECT \(encodable[0])::text, \(encodable[1])::int, \(encodable[2])::int")
            #expect(try mixed[0].decode(String.self, at: 0) == "x")
            #expect(try mixed[0].decode(Int?.self, at: 1) == nil)
            #expect(try mixed[0].decode(Int.self, at: 2) == 7)
            let noRows = try await connection.query("SELECT 1 WHERE false")
            #expect(noRows.isEmpty)
            #expect(throws: PostgresError.self) { try noRows.scalar(Int.self) }
        }
    }

    @Test(
        "hostile strings are data, not SQL",
        arguments: [
            "'; DROP TABLE people; --",
            "Robert'); DELETE FROM people WHERE ('1'='1",
            "a\"b\\c;\n\t$1 $$ E'\\x00'",
            "O'Brien \\' \\\\",
        ])
    func hostileStrings(_ hostile: String) async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE people (name text NOT NULL)")
            try await connection.execute("INSERT INTO people (name) VALUES (\(hostile))")
            let count = try await connection.query("SELECT count(*) FROM people WHERE name = \(hostile)")
                .scalar(Int.self)
            #expect(count == 1)
            let stored = try await connection.query("SELECT name FROM people").scalar(String.self)
            #expect(stored == hostile)
        }
    }

    @Test("a NUL character in a text parameter is refused with a clear error")
    func nulCharacter() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT \("a\u{0}b")::text")
            }
            #expect(error?.description.contains("NUL") == true)
        }
    }

    @Test("a failed statement carries SQLSTATE, message and the statement, not the values")
    func queryError() async throws {
        try await PostgresTestDatabase.withSchema { connection, _ in
            try await connection.executeScript("CREATE TABLE unique_things (code text PRIMARY KEY)")
            try await connection.execute("INSERT INTO unique_things VALUES (\("secret-value-1"))")
            let duplicate = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO unique_things VALUES (\("secret-value-1"))\n-- second line")
            }
            #expect(duplicate?.kind == .queryFailed)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.statement == "INSERT INTO unique_things VALUES ($1) …")
            #expect(duplicate?.description.contains("duplicate key") == true)
            #expect(duplicate?.detail?.contains("already exists") == true)  // the server's own detail
            #expect(duplicate?.description.contains("second line") == false)
            // The connection is still usable after a failed statement.
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}
