import Testing

@testable import HubDomain

/// RFC 5545 writing: escaping (3.3.11), folding (3.1), UTC times (3.3.5), the whole file.
@Suite("Reports: iCalendar")
struct ICalendarTests {
    @Test(
        "TEXT escapes backslash, semicolon, comma and line breaks, and nothing else",
        arguments: [
            ("plain", "plain"),
            ("a\\b", "a\\\\b"),
            ("a;b,c", "a\\;b\\,c"),
            ("line1\nline2", "line1\\nline2"),
            ("line1\r\nline2", "line1\\nline2"),
            ("line1\rline2", "line1\\nline2"),
            ("deux\n\nlignes", "deux\\n\\nlignes"),
            ("tab\there", "tab\there"),
            ("bell\u{07}x", "bell x"),
            ("«Santé» : d'accord \"oui\"", "«Santé» : d'accord \"oui\""),
            ("\\;", "\\\\\\;"),
        ])
    func escaping(input: String, expected: String) {
        #expect(ICalendarText.escaped(input) == expected)
    }

    @Test("a line of 75 octets stays whole; the 76th octet starts a continuation line")
    func foldingAscii() {
        let exact = String(repeating: "a", count: 75)
        #expect(ICalendarText.folded(exact) == exact)
        let longer = String(repeating: "a", count: 75) + "b"
        #expect(ICalendarText.folded(longer) == exact + "\r\n b")
        // Continuation lines hold 74 octets after their leading space.
        let long = String(repeating: "x", count: 75 + 74 + 3)
        let expected = String(repeating: "x", count: 75) + "\r\n " + String(repeating: "x", count: 74) + "\r\n xxx"
        #expect(ICalendarText.folded(long) == expected)
    }

    @Test("folding never splits a UTF-8 sequence, and every physical line is at most 75 octets")
    func foldingUtf8() {
        // 74 ASCII octets, then "é" (2 octets) would end at octet 76: it moves to the next line.
        let line = String(repeating: "a", count: 74) + "é" + "b"
        let folded = ICalendarText.folded(line)
        #expect(Array(folded.utf8) == Array((String(repeating: "a", count: 74) + "\r\n éb").utf8))
        // A 4-octet scalar at the boundary too.
        let emoji = String(repeating: "a", count: 73) + "🧠" + "c"
        #expect(ICalendarText.folded(emoji) == String(repeating: "a", count: 73) + "\r\n 🧠c")
        // Long French text: lines ≤ 75 octets, each a valid UTF-8 string, unfolding restores it.
        let text = "SUMMARY:" + String(repeating: "Santé mentale et logement : « agissons » ensemble — ", count: 6)
        let physical = ICalendarText.folded(text).components(separatedBy: "\r\n")
        #expect(physical.count > 4)
        for piece in physical {
            #expect(piece.utf8.count <= 75, "\(piece.utf8.count) octets: \(piece)")
        }
        #expect(physical.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(physical.first! + physical.dropFirst().map { String($0.dropFirst()) }.joined() == text)
    }

    @Test("UTC DATE-TIME from any offset")
    func utcTimes() {
        #expect(ICalendarText.utc(Timestamp("2026-10-07T14:00:00+02:00")!.epochMilliseconds) == "20261007T120000Z")
        #expect(ICalendarText.utc(Timestamp("2026-03-01T00:30:05+01:00")!.epochMilliseconds) == "20260228T233005Z")
        #expect(ICalendarText.utc(Timestamp("1969-12-31T23:59:59Z")!.epochMilliseconds) == "19691231T235959Z")
        #expect(ICalendarText.utc(0) == "19700101T000000Z")
    }

    @Test("a calendar, byte for byte: CRLF everywhere, properties in order, text escaped and folded")
    func wholeCalendar() {
        let calendar = ICalendar(
            productId: "-//CLSM hub//tests//FR", name: "SISM 2026 – Île-de-France", calendarDescription: "Thème : a, b; c",
            events: [
                ICalendar.Event(
                    uid: "p1@clsm-hub", startsAt: Timestamp("2026-10-07T14:00:00+02:00")!, endsAt: Timestamp("2026-10-07T17:00:00+02:00")!,
                    summary: "Ciné-débat, «grandir»; la ville", location: "Cinéma Le Studio, Aubervilliers (93001)",
                    description:
                        "Proposé par : CLSM d'Aubervilliers (clsm-aubervilliers)\nPublic : grand public, familles et professionnels de l'éducation nationale",
                    categories: ["SISM 2026", "screening"])
            ])
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//CLSM hub//tests//FR",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:SISM 2026 – Île-de-France",
            "X-WR-CALDESC:Thème : a\\, b\\; c",
            "BEGIN:VEVENT",
            "UID:p1@clsm-hub",
            "DTSTAMP:20260915T090000Z",
            "DTSTART:20261007T120000Z",
            "DTEND:20261007T150000Z",
            "SUMMARY:Ciné-débat\\, «grandir»\\; la ville",
            "LOCATION:Cinéma Le Studio\\, Aubervilliers (93001)",
            // 75 octets on the first line (é counts 2), then 74 after each leading space.
            "DESCRIPTION:Proposé par : CLSM d'Aubervilliers (clsm-aubervilliers)\\nPubli",
            " c : grand public\\, familles et professionnels de l'éducation nationale",
            "CATEGORIES:SISM 2026,screening",
            "END:VEVENT",
            "END:VCALENDAR",
        ].map { $0 + "\r\n" }.joined()
        let stamp = Timestamp("2026-09-15T11:00:00+02:00")!.epochMilliseconds
        let written = calendar.serialized(stamp: stamp)
        #expect(Array(written.utf8) == Array(expected.utf8))
        #expect("DESCRIPTION:Proposé par : CLSM d'Aubervilliers (clsm-aubervilliers)\\nPubli".utf8.count == 75)
    }

    @Test("an empty calendar is still a valid VCALENDAR")
    func emptyCalendar() {
        let written = ICalendar(productId: "-//x//y//FR", name: "vide", events: []).serialized(stamp: 0)
        #expect(
            written
                == "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//FR\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:vide\r\nEND:VCALENDAR\r\n"
        )
    }
}
