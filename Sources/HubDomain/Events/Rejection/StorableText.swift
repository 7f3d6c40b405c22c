/// Text about an input, made safe to store and to show: what a rejection says quotes the
/// record (a bad `ce_specversion`, an unknown key), and the record may hold anything.
///
/// PostgreSQL refuses a NUL in a `text` column, and a line break or escape sequence would
/// split or garble log lines and listings, so control characters (U+0000 to U+001F and
/// U+007F) are written as `\u0000`-style escapes; the length is capped so that one huge
/// value cannot make a huge message. Everything else is kept as it is.
public enum StorableText {
    /// `text` with its control characters escaped, cut to at most `maximumBytes` UTF-8 bytes
    /// at a character boundary (ending with "…" when cut).
    public static func escaping(_ text: String, maximumBytes: Int = Int.max) -> String {
        // Rejections are rare and short: the common case returns the text unchanged.
        if text.utf8.count <= maximumBytes, !text.utf8.contains(where: isControl) { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80, isControl(UInt8(scalar.value)) {
                escaped += escape(UInt8(scalar.value))
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        guard escaped.utf8.count > maximumBytes else { return escaped }
        let ellipsis = "…"
        var cut = ""
        var bytes = 0
        for character in escaped {
            let size = character.utf8.count
            guard bytes + size + ellipsis.utf8.count <= maximumBytes else { break }
            cut.append(character)
            bytes += size
        }
        return cut + ellipsis
    }

    /// Whether `text` can be stored as it is: no control character.
    public static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(where: isControl)
    }

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    private static func escape(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\u00" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}
