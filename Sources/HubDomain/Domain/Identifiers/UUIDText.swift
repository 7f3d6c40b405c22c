import Foundation

/// The canonical text form of UUIDs (8-4-4-4-12 hexadecimal digits), read and written
/// without Foundation's general parser, which goes through `sscanf`: every notification id
/// is written once and read back once or twice on its way out.
extension UUID {
    /// Parses the canonical form in either case; nil for anything else (braces, missing
    /// hyphens...), where `UUID(uuidString:)` may still be tried.
    public init?(canonicalText text: String) {
        var text = text
        guard let bytes = text.withUTF8({ Self.parseCanonical($0) }) else { return nil }
        self.init(uuid: bytes)
    }

    /// Lower-case canonical text (RFC 9562 recommends lower case for output).
    public var lowercasedText: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = digits.utf8Start[Int(byte >> 4)]
                    out[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }

    private static func parseCanonical(_ text: UnsafeBufferPointer<UInt8>) -> uuid_t? {
        guard text.count == 36 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        var index = 0
        for position in 0..<16 {
            if position == 4 || position == 6 || position == 8 || position == 10 {
                guard text[index] == UInt8(ascii: "-") else { return nil }
                index += 1
            }
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
            bytes[position] = high << 4 | low
            index += 2
        }
        return (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        )
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
