import Foundation
import Testing

@testable import HubPostgres

/// The text formats the adapter writes and reads by hand, checked without a server (the
/// round trips through a server are in PostgresValueTests).
@Suite("PostgreSQL text formats")
struct PostgresTextFormatTests {
    @Test(
        "timestamps are written in ISO 8601 UTC with microseconds",
        arguments: [
            (0.0, "1970-01-01T00:00:00Z"),
            (1_772_341_200.5, "2026-03-01T05:00:00.500000Z"),
            (-0.000_001, "1969-12-31T23:59:59.999999Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
        ])
    func formatDates(_ seconds: Double, _ expected: String) {
        #expect(PostgresDateText.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test(
        "the server's timestamp output is read, with or without offset, fraction or time",
        arguments: [
            ("2026-03-01 05:00:00+00", 1_772_341_200.0),
            ("2026-03-01 10:30:00.5+05:30", 1_772_341_200.5),
            ("2026-03-01 01:00:00-04", 1_772_341_200.0),
            ("1969-12-31 23:59:59.999999+00", -0.000_001),
            ("2026-03-01T05:00:00Z", 1_772_341_200.0),
            ("2026-03-01 05:00:00", 1_772_341_200.0),
            ("2026-03-01", 1_772_323_200.0),
            ("1900-01-01 00:00:00+00:09:21", -2_208_989_361.0),
        ])
    func parseDates(_ text: String, _ seconds: Double) throws {
        let date = try #require(PostgresDateText.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_000_5)
    }

    @Test(
        "malformed or BC timestamps are refused",
        arguments: [
            "", "2026-13-01", "2026-03-01 25", "2026-03-01 05:00:00+", "0044-03-15 12:00:00+00 BC", "yesterday",
        ])
    func refuseDates(_ text: String) {
        #expect(PostgresDateText.parse(text) == nil)
    }

    @Test("array literals round trip, quotes, backslashes, commas, braces and NULL included")
    func arrays() {
        let items: [String?] = ["plain", "with space", "a,b", "q\"uote", "back\\slash", "{brace}", "NULL", nil, ""]
        let literal = PostgresArrayText.format(items)
        #expect(literal == #"{"plain","with space","a,b","q\"uote","back\\slash","{brace}","NULL",NULL,""}"#)
        #expect(PostgresArrayText.parse(literal) == items)
        #expect(PostgresArrayText.parse("{}") == [])
        #expect(PostgresArrayText.parse("{1,NULL,3}") == ["1", nil, "3"])
        #expect(PostgresArrayText.parse("{{1,2},{3,4}}") == nil)
        #expect(PostgresArrayText.parse("not an array") == nil)
    }

    @Test("COPY text escapes structure characters and writes NULL as \\N")
    func copyEscaping() {
        var buffer: [UInt8] = []
        PostgresCopyText.append([.text("a\tb\nc\\d\re"), .null, .int(7), .text("é🌿")], to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "a\\tb\\nc\\\\d\\re\t\\N\t7\té🌿\n")
    }

    @Test("bytea hex both ways")
    func bytea() {
        #expect(PostgresValue.bytea([0, 15, 16, 255]).textEncoding == "\\x000f10ff")
        #expect(PostgresHex.decodeBytea("\\x000f10FF") == [0, 15, 16, 255])
        #expect(PostgresHex.decodeBytea("\\x0") == nil)
        #expect(PostgresHex.decodeBytea("plain") == nil)
        #expect(PostgresHex.decodeBytea("\\x") == [])
        #expect(PostgresHex.decodeBytea("\\x0g") == nil)
        #expect(PostgresHex.decodeBytea("\\x" + String(repeating: "7b", count: 3000)) == [UInt8](repeating: 0x7b, count: 3000))
    }

    @Test("identifiers are quoted, errors keep only the statement's first line")
    func identifiersAndStatements() {
        #expect(PostgresIdentifier.quote(#"we"ird"#) == #""we""ird""#)
        #expect(PostgresIdentifier.qualified("t", schema: "s") == #""s"."t""#)
        #expect(PostgresError.firstLine("\n  SELECT 1\nFROM x") == "SELECT 1 …")
        #expect(PostgresError.firstLine("SELECT 1") == "SELECT 1")
    }

    @Test("sessions get UTC, ISO dates, UTF-8, a connect timeout and the search path")
    func connectParameters() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://u:pw@h/db?options=-c%20work_mem%3D8MB")
            .withSearchPath(["tenant one"])
        let parameters = Dictionary(configuration.connectParameters, uniquingKeysWith: { _, last in last })
        #expect(parameters["connect_timeout"] == "5")
        #expect(parameters["client_encoding"] == "UTF8")
        let options = try #require(parameters["options"])
        #expect(options.hasPrefix("-c work_mem=8MB "))
        #expect(options.contains("-c TimeZone=UTC"))
        #expect(options.contains(#"-c search_path="tenant\ one""#))
        let timed = try PostgresConfiguration(url: "postgresql://u@h/db?connect_timeout=12")
        #expect(timed.connectTimeoutSeconds == 12)
        #expect(Dictionary(timed.connectParameters, uniquingKeysWith: { _, last in last })["connect_timeout"] == nil)
    }
}
