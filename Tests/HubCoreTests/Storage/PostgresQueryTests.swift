import Foundation
import HubPostgres
import Testing

/// A `PostgresQuery` numbers its placeholders and binds its values together: whatever is
/// interpolated, `$1…$n` and the bindings match one for one.
@Suite("PostgreSQL query")
struct PostgresQueryTests {
    @Test("an interpolated value becomes the next $n and its bound value; the literal stays SQL")
    func bindsInterpolations() {
        let id = "CLSM-1'; DROP TABLE clsms; --"
        let communes = ["59350", "59009"]
        let query: PostgresQuery = "SELECT record FROM clsms WHERE id = \(id) OR communes && \(communes) LIMIT \(10)"
        #expect(query.sql == "SELECT record FROM clsms WHERE id = $1 OR communes && $2 LIMIT $3")
        #expect(query.bindings == [.text(id), .textArray(communes), .int(10)])
    }

    @Test("a literal without interpolation has no binding, and a dollar in it is left alone")
    func plainLiteral() {
        let query: PostgresQuery = "SELECT '$1' AS text, count(*) FROM hub_inbox"
        #expect(query.sql == "SELECT '$1' AS text, count(*) FROM hub_inbox")
        #expect(query.bindings.isEmpty)
    }

    @Test("optionals, dates, UUIDs and PostgresValue interpolate as bound values, nil as NULL")
    func valueKinds() {
        let at = Date(timeIntervalSince1970: 1_774_000_000)
        let ref = UUID()
        let missing: String? = nil
        let query: PostgresQuery = "VALUES (\(missing), \(at), \(ref), \(PostgresValue.intArray([1, nil])), \(true))"
        #expect(query.sql == "VALUES ($1, $2, $3, $4, $5)")
        #expect(query.bindings == [.null, .timestamp(at), .uuid(ref), .intArray([1, nil]), .bool(true)])
    }

    @Test("identifiers are quoted and unescaped text is SQL; neither binds anything")
    func identifiersAndFragments() {
        let query: PostgresQuery =
            "SELECT \(identifiers: ["id", "we\"ird"]) FROM \(identifier: "my table") \(unescaped: "ORDER BY 1") LIMIT \(5)"
        #expect(query.sql == #"SELECT "id", "we""ird" FROM "my table" ORDER BY 1 LIMIT $1"#)
        #expect(query.bindings == [.int(5)])
    }

    @Test("composed queries renumber the placeholders of each part after the ones before it")
    func composition() {
        let first: PostgresQuery = "a = \(1) AND b = \(2)"
        let second: PostgresQuery = "c = \(3)"
        var query: PostgresQuery = "SELECT * FROM t WHERE \(first) OR \(second)"
        query.append(" LIMIT \(4)")
        #expect(query.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 OR c = $3 LIMIT $4")
        #expect(query.bindings == [1, 2, 3, 4])
        let joined = PostgresQuery.joined([first, second, "d"], separator: " OR ")
        #expect(joined.sql == "a = $1 AND b = $2 OR c = $3 OR d")
        #expect(joined.bindings == [1, 2, 3])
        #expect((second + first).sql == "c = $1a = $2 AND b = $3")
    }

    @Test("placeholders and bindings match one for one, however many values are interpolated")
    func manyPlaceholders() {
        var query = PostgresQuery(unescaped: "INSERT INTO t VALUES ")
        for index in 0..<25 {
            query.append(index == 0 ? "(\(index))" : ", (\(index))")
        }
        let numbers = query.sql.matches(of: /\$(\d+)/).map { Int($0.1)! }
        #expect(numbers == Array(1...25))
        #expect(query.bindings == (0..<25).map { .int(Int64($0)) })
    }
}
