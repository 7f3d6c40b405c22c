import Testing

@testable import HubPostgres

/// The memo of decoded records: keyed by the exact stored text, so it can save decoding
/// but never answer with another text's value.
@Suite("Decoded record memo")
struct DecodedRecordMemoTests {
    @Test("a text is decoded once; another text, or the same text as another type, is decoded again")
    func decodesOncePerTextAndType() {
        let memo = DecodedRecordMemo()
        var decodings = 0
        func decode(_ text: String) -> String {
            decodings += 1
            return "decoded " + text
        }
        #expect(memo.value(of: String.self, from: #"{"id":"a"}"#, decode: decode) == #"decoded {"id":"a"}"#)
        #expect(memo.value(of: String.self, from: #"{"id":"a"}"#, decode: decode) == #"decoded {"id":"a"}"#)
        #expect(decodings == 1)
        // A changed row is a different text: decoded, never answered from the old one.
        #expect(memo.value(of: String.self, from: #"{"id":"a","v":2}"#, decode: decode) == #"decoded {"id":"a","v":2}"#)
        #expect(decodings == 2)
        #expect(memo.value(of: Int.self, from: #"{"id":"a"}"#) { _ in 7 } == 7)
    }

    @Test("past its capacity the memo starts again from empty, and still answers right")
    func bounded() {
        let memo = DecodedRecordMemo()
        var decodings = 0
        for number in 0...DecodedRecordMemo.capacity {
            _ = memo.value(of: Int.self, from: String(number)) { text in
                decodings += 1
                return Int(text)!
            }
        }
        #expect(decodings == DecodedRecordMemo.capacity + 1)
        // "0" was dropped when the memo filled up: decoded again, to the same value.
        #expect(
            memo.value(of: Int.self, from: "0") { text in
                decodings += 1
                return Int(text)!
            } == 0)
        #expect(decodings == DecodedRecordMemo.capacity + 2)
    }

    @Test("a decoding error reaches the caller and nothing is remembered")
    func errors() throws {
        struct Refused: Error {}
        let memo = DecodedRecordMemo()
        #expect(throws: Refused.self) { try memo.value(of: Int.self, from: "x") { _ in throw Refused() } }
        #expect(memo.value(of: Int.self, from: "x") { _ in 1 } == 1)
    }
}
