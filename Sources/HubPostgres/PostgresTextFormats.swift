import Foundation

/// timestamptz in and out of PostgreSQL's text format. Every session runs with
/// `DateStyle=ISO` and `TimeZone=UTC` (see `PostgresConfiguration`), so the server prints
/// `2026-03-01 09:30:00.123456+00`; offsets are still honoured in case a caller changes it.
/// Written by hand because Foundation's ISO 8601 formatter stops at milliseconds.
enum PostgresDateText {
    /// `2026-03-01T09:30:00.123456Z`, rounded to the microsecond like PostgreSQL.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (days, microOfDay) = floorDivide(micros, 86_400_000_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = microOfDay / 1_000_000
        let fraction = microOfDay % 1_000_000
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        if fraction != 0 { text += "." + pad(fraction, 6) }
        return text + "Z"
    }

    /// Reads timestamptz, timestamp (taken as UTC) and date output; nil if it is none of them.
    static func parse(_ text: String) -> Date? {
        switch text {
        case "infinity": return .distantFuture
        case "-infinity": return .distantPast
        default: break
        }
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while index < bytes.count, count < maxDigits, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
                count += 1
            }
            return count >= minDigits ? value : nil
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4, 6), expect(45), let month = number(2, 2), expect(45), let day = number(2, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var micros = days(fromYear: year, month: month, day: day) * 86_400_000_000
        if index == bytes.count { return date(micros) }
        guard expect(32) || expect(84),  // ' ' or 'T'
            let hour = number(2, 2), expect(58), let minute = number(2, 2), expect(58), let second = number(2, 2)
        else { return nil }
        micros += ((hour * 60 + minute) * 60 + second) * 1_000_000
        if expect(46) {  // '.'
            let start = index
            guard let digits = number(1, 9) else { return nil }
            var fraction = digits
            let count = index - start
            if count < 6 {
                for _ in count..<6 { fraction *= 10 }
            } else {
                for _ in 6..<count { fraction /= 10 }
            }
            micros += fraction
        }
        if index == bytes.count || expect(90) {  // no offset (timestamp) or 'Z'
            return index == bytes.count ? date(micros) : nil
        }
        let sign: Int64
        if expect(43) { sign = 1 } else if expect(45) { sign = -1 } else { return nil }
        guard let offsetHours = number(2, 2) else { return nil }
        var offsetSeconds = offsetHours * 3600
        if expect(58) {
            guard let offsetMinutes = number(2, 2) else { return nil }
            offsetSeconds += offsetMinutes * 60
            if expect(58) {
                guard let extra = number(2, 2) else { return nil }
                offsetSeconds += extra
            }
        }
        guard index == bytes.count else { return nil }  // " BC" and anything else: refuse
        return date(micros - sign * offsetSeconds * 1_000_000)
    }

    private static func date(_ micros: Int64) -> Date {
        let (seconds, remainder) = floorDivide(micros, 1_000_000)
        return Date(timeIntervalSince1970: Double(seconds) + Double(remainder) / 1_000_000)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse (civil_from_days).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// bytea's hex format (`\x0a1b…`, the server default since 9.0).
enum PostgresHex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `\x…` output; nil when it is not hex bytea. Read in place (the relay decodes
    /// every notification it sends this way).
    static func decodeBytea(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { utf8 -> [UInt8]? in
            guard utf8.count >= 2, utf8[0] == 92, utf8[1] == 120, utf8.count % 2 == 0 else { return nil }
            let count = (utf8.count - 2) / 2
            var valid = true
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    guard let high = nibble(utf8[2 + 2 * index]), let low = nibble(utf8[3 + 2 * index]) else {
                        valid = false
                        break
                    }
                    buffer[index] = high << 4 | low
                    initialized = index + 1
                }
            }
            return valid ? bytes : nil
        }
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case 48...57: return character - 48
        case 97...102: return character - 87
        case 65...70: return character - 55
        default: return nil
        }
    }
}

/// One-dimensional array literals: `{"a","b \"c\"",NULL}`.
enum PostgresArrayText {
    static func format(_ items: [String?]) -> String {
        // Byte by byte: `"` and `\` are ASCII, so no UTF-8 sequence can contain them.
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(items.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (position, item) in items.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let item else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in item.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a one-dimensional array as printed by the server; nil when malformed or nested.
    static func parse(_ text: String) -> [String?]? {
        let characters = Array(text.unicodeScalars)
        guard characters.first == "{", characters.last == "}" else { return nil }
        var items: [String?] = []
        var index = 1
        let end = characters.count - 1
        if index == end { return [] }
        while index < end {
            var item = String.UnicodeScalarView()
            if characters[index] == "\"" {
                index += 1
                while index < end, characters[index] != "\"" {
                    if characters[index] == "\\" { index += 1 }
                    guard index < end else { return nil }
                    item.append(characters[index])
                    index += 1
                }
                guard index < end else { return nil }
                index += 1  // closing quote
                items.append(String(item))
            } else {
                guard characters[index] != "{" else { return nil }
                while index < end, characters[index] != "," {
                    item.append(characters[index])
                    index += 1
                }
                let word = String(item)
                items.append(word == "NULL" ? nil : word)
            }
            if index < end {
                guard characters[index] == "," else { return nil }
                index += 1
            }
        }
        return items
    }
}
