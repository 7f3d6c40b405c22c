/// Standard base64 (RFC 4648 section 4, with padding): the hub's only one, for the stored
/// Kafka header values (`OutboxHeaders`), structured CloudEvents' `data_base64` and the
/// simulation's records.
///
/// Written by hand because every notification's header values go through it twice (written
/// with the outbox row, read by the relay) and Foundation goes through `Data` and `String`:
/// measured again against Swift 6.3's Foundation, it is still the faster, decoding above all
/// (docs/performance-log.md, 2026-12-03). `decode` is strict, which Foundation is not (it
/// takes `"YQ=a"` and `"===="`): nil for a length that is not a multiple of four, a byte
/// outside the alphabet, or misplaced padding.
package enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 text of `bytes`.
    package static func encoded(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a base64 text, nil when it is not strictly base64.
    package static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8(decode)
    }

    package static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { alphabet in
            var index = 0
            while index < bytes.count {
                let remaining = bytes.count - index
                let first = UInt32(bytes[index])
                let second = remaining > 1 ? UInt32(bytes[index + 1]) : 0
                let third = remaining > 2 ? UInt32(bytes[index + 2]) : 0
                let triple = first << 16 | second << 8 | third
                out.append(alphabet[Int(triple >> 18 & 0x3F)])
                out.append(alphabet[Int(triple >> 12 & 0x3F)])
                out.append(remaining > 1 ? alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
                out.append(remaining > 2 ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
                index += 3
            }
        }
    }

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    package static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        if text.isEmpty { return [] }
        let padding = text[text.count - 1] != UInt8(ascii: "=") ? 0 : text[text.count - 2] != UInt8(ascii: "=") ? 1 : 2
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3 - padding)
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            var index = 0
            while index < text.count {
                let last = index + 4 == text.count
                var quad: UInt32 = 0
                for offset in 0..<4 {
                    let byte = text[index + offset]
                    if last, offset >= 4 - padding {
                        quad <<= 6
                        continue
                    }
                    let value = table[Int(byte)]
                    guard value != 0xFF else { return nil }
                    quad = quad << 6 | UInt32(value)
                }
                out.append(UInt8(truncatingIfNeeded: quad >> 16))
                if !last || padding < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
                if !last || padding < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
                index += 4
            }
            return out
        }
    }
}
