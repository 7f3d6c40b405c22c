import HubDomain

/// Europe/Paris wall-clock times for the synthetic events, written as RFC 3339 with the
/// offset in force (`+01:00` in winter, `+02:00` in summer), computed with HubCore's
/// `ParisTime` rule so that generator and rules agree on local days.
enum SyntheticTime {
    /// Seconds since the epoch of a Paris local time (the offset is the one in force at
    /// that instant; around the autumn switch the first of the two readings is taken).
    static func epochSeconds(parisDate date: CalendarDate, hour: Int, minute: Int) -> Int64 {
        let local = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60)
        // Try summer time first, keep the reading whose offset matches.
        for offset in [7200, 3600] {
            let candidate = local - Int64(offset)
            if ParisTime.offsetSeconds(epochMilliseconds: candidate * 1000) == offset { return candidate }
        }
        return local - 3600  // in the spring gap: read as winter time
    }

    /// The RFC 3339 text of an instant in Paris local time, to the second.
    static func text(epochSeconds seconds: Int64) -> String {
        let offset = ParisTime.offsetSeconds(epochMilliseconds: seconds * 1000)
        let local = seconds + Int64(offset)
        let days = Int(floorDiv(local, 86_400))
        let secondOfDay = Int(local - Int64(days) * 86_400)
        let date = CalendarDate(daysSinceEpoch: days)
        let time = pad(secondOfDay / 3600) + ":" + pad(secondOfDay / 60 % 60) + ":" + pad(secondOfDay % 60)
        return "\(date)T\(time)+" + pad(offset / 3600) + ":00"
    }

    static func timestamp(epochSeconds seconds: Int64) -> Timestamp {
        Timestamp(text(epochSeconds: seconds))!
    }

    static func timestamp(parisDate date: CalendarDate, hour: Int, minute: Int) -> Timestamp {
        timestamp(epochSeconds: epochSeconds(parisDate: date, hour: hour, minute: minute))
    }

    /// The Paris calendar day of an instant.
    static func parisDate(epochSeconds seconds: Int64) -> CalendarDate {
        ParisTime.localDate(epochMilliseconds: seconds * 1000)
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
