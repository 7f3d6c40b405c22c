import Testing

@testable import HubDomain

@Suite("Dates, RFC 3339 timestamps and Europe/Paris")
struct TimeTests {
    @Test("RFC 3339 with an offset parses to the right instant")
    func instants() throws {
        let paris = try #require(Timestamp("2026-03-16T18:30:00+01:00"))
        let utc = try #require(Timestamp("2026-03-16T17:30:00Z"))
        #expect(paris.epochMilliseconds == utc.epochMilliseconds)
        #expect(Timestamp("2026-03-16T17:30:00.250Z")!.epochMilliseconds == utc.epochMilliseconds + 250)
        #expect(Timestamp("1970-01-01T00:00:00Z")!.epochMilliseconds == 0)
    }

    @Test(
        "date-times without offset or malformed are refused",
        arguments: [
            "2026-03-16T18:30:00", "2026-03-16 18:30:00+01:00", "2026-02-30T10:00:00Z", "2026-03-16T24:00:00Z",
            "2026-03-16T18:30:00+0100", "2026-03-16", "2026-03-16T18:30:00.Z",
        ])
    func refused(text: String) {
        #expect(Timestamp(text) == nil)
    }

    @Test("calendar dates validate days per month and leap years")
    func calendarDates() {
        #expect(CalendarDate("2024-02-29") != nil)
        #expect(CalendarDate("2026-02-29") == nil)
        #expect(CalendarDate("2026-13-01") == nil)
        #expect(CalendarDate("2026-1-01") == nil)
        #expect(CalendarDate(daysSinceEpoch: CalendarDate("2026-10-18")!.daysSinceEpoch) == CalendarDate("2026-10-18"))
        #expect(CalendarDate("2026-10-25")!.weekday == 0)  // a Sunday
    }

    @Test(
        "Europe/Paris is UTC+2 in summer, UTC+1 in winter, switching on the last Sundays of March and October at 01:00 UTC",
        arguments: [
            ("2026-03-29T00:59:59Z", 3600), ("2026-03-29T01:00:00Z", 7200),
            ("2026-10-25T00:59:59Z", 7200), ("2026-10-25T01:00:00Z", 3600),
            ("2026-07-14T12:00:00Z", 7200), ("2026-01-01T00:00:00Z", 3600),
        ])
    func parisOffset(instant: String, offset: Int) {
        #expect(ParisTime.offsetSeconds(epochMilliseconds: Timestamp(instant)!.epochMilliseconds) == offset)
    }

    @Test("the Paris calendar day can differ from the UTC day")
    func parisDay() {
        #expect(Timestamp("2026-10-18T22:30:00Z")!.parisDate == CalendarDate("2026-10-19"))
        #expect(Timestamp("2026-10-18T21:59:59Z")!.parisDate == CalendarDate("2026-10-18"))
        #expect(Timestamp("2026-10-05T00:30:00+02:00")!.parisDate == CalendarDate("2026-10-05"))
        #expect(Timestamp("2026-01-10T23:30:00Z")!.parisDate == CalendarDate("2026-01-11"))
    }
}
