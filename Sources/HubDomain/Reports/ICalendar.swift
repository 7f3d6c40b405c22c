/// An RFC 5545 calendar of events, written the way calendar applications read it: CRLF line
/// ends, content lines folded at 75 octets, TEXT values escaped, times in UTC.
public struct ICalendar: Sendable, Hashable {
    public struct Event: Sendable, Hashable {
        /// Globally unique and stable across exports, so that importing the calendar again
        /// updates the event instead of duplicating it.
        public var uid: String
        public var startsAt: Timestamp
        public var endsAt: Timestamp
        public var summary: String
        public var location: String
        public var description: String
        public var categories: [String]

        public init(
            uid: String, startsAt: Timestamp, endsAt: Timestamp, summary: String, location: String,
            description: String, categories: [String]
        ) {
            self.uid = uid
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.summary = summary
            self.location = location
            self.description = description
            self.categories = categories
        }
    }

    /// PRODID: who made the calendar (RFC 5545 3.7.3, an FPI-like text).
    public var productId: String
    /// X-WR-CALNAME, the name calendar applications show for an imported calendar.
    public var name: String
    /// X-WR-CALDESC, when given.
    public var calendarDescription: String?
    public var events: [Event]

    public init(productId: String, name: String, calendarDescription: String? = nil, events: [Event]) {
        self.productId = productId
        self.name = name
        self.calendarDescription = calendarDescription
        self.events = events
    }

    /// The calendar as iCalendar text. `stamp` is every event's DTSTAMP: with METHOD:PUBLISH
    /// it is the time the calendar object was created (RFC 5545 3.8.7.2), i.e. the export.
    public func serialized(stamp: Int64) -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:" + ICalendarText.escaped(productId),
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:" + ICalendarText.escaped(name),
        ]
        if let calendarDescription { lines.append("X-WR-CALDESC:" + ICalendarText.escaped(calendarDescription)) }
        for event in events {
            lines += [
                "BEGIN:VEVENT",
                "UID:" + ICalendarText.escaped(event.uid),
                "DTSTAMP:" + ICalendarText.utc(stamp),
                "DTSTART:" + ICalendarText.utc(event.startsAt.epochMilliseconds),
                "DTEND:" + ICalendarText.utc(event.endsAt.epochMilliseconds),
                "SUMMARY:" + ICalendarText.escaped(event.summary),
                "LOCATION:" + ICalendarText.escaped(event.location),
                "DESCRIPTION:" + ICalendarText.escaped(event.description),
            ]
            if !event.categories.isEmpty {
                lines.append("CATEGORIES:" + event.categories.map(ICalendarText.escaped).joined(separator: ","))
            }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map { ICalendarText.folded($0) + "\r\n" }.joined()
    }
}

/// The lexical rules of RFC 5545 section 3.1 and 3.3.11.
public enum ICalendarText {
    /// A TEXT value: backslash, semicolon and comma escaped with a backslash, line breaks
    /// (CRLF, CR or LF) as `\n` (3.3.11). Other control characters are not allowed in TEXT
    /// (3.1, "CONTROL"), so they become spaces.
    public static func escaped(_ text: String) -> String {
        var result = ""
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "\\": result += "\\\\"
            case ";": result += "\\;"
            case ",": result += "\\,"
            case "\r":
                result += "\\n"
                if pending == "\n" { pending = scalars.next() }
            case "\n": result += "\\n"
            case "\t": result.unicodeScalars.append(scalar)  // HTAB is allowed in TEXT
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += " "
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// A content line folded so that no line is longer than 75 octets without its CRLF
    /// (3.1): a fold inserts CRLF and one space, which counts in the next line's 75. Folds
    /// fall between Unicode scalars, never inside a UTF-8 sequence. Lines are joined with
    /// CRLF, without a final one.
    public static func folded(_ line: String, limit: Int = 75) -> String {
        var lines: [String] = []
        var current = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let width = String(scalar).utf8.count
            if octets + width > limit {
                lines.append(current)
                current = " "
                octets = 1
            }
            current.unicodeScalars.append(scalar)
            octets += width
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// A UTC DATE-TIME (3.3.5, form #2): `20261007T120000Z`.
    public static func utc(_ epochMilliseconds: Int64) -> String {
        let seconds = ParisTime.floorDiv(epochMilliseconds, 1000)
        let day = CalendarDate(daysSinceEpoch: Int(ParisTime.floorDiv(seconds, 86_400)))
        let secondOfDay = Int(seconds - Int64(day.daysSinceEpoch) * 86_400)
        return Digits.padded(day.year, 4) + Digits.padded(day.month, 2) + Digits.padded(day.day, 2) + "T"
            + Digits.padded(secondOfDay / 3600, 2) + Digits.padded(secondOfDay / 60 % 60, 2) + Digits.padded(secondOfDay % 60, 2) + "Z"
    }
}
