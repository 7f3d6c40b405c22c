import Foundation
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

    @Test("past its byte budget the memo starts again from empty, and still answers right")
    func boundedByBytes() {
        // Room for ten entries of this size, not eleven.
        let text = { (number: Int) in String(number) + String(repeating: " ", count: 1000 - String(number).count) }
        let memo = DecodedRecordMemo(budget: 10 * DecodedRecordMemo.cost(ofText: text(0)) + 1)
        var decodings = 0
        func decode(_ text: String) -> Int {
            decodings += 1
            return Int(text.trimmingCharacters(in: .whitespaces)) ?? -1
        }
        for number in 0..<10 { #expect(memo.value(of: Int.self, from: text(number), decode: decode) == number) }
        #expect(memo.count == 10)
        #expect(memo.heldBytes == 10 * DecodedRecordMemo.cost(ofText: text(0)))
        #expect(memo.value(of: Int.self, from: text(3), decode: decode) == 3)
        #expect(decodings == 10)
        // The eleventh does not fit: the memo empties, then holds it alone.
        #expect(memo.value(of: Int.self, from: text(10), decode: decode) == 10)
        #expect(memo.count == 1)
        #expect(memo.heldBytes <= memo.budget)
        // "3" was dropped: decoded again, to the same value.
        #expect(memo.value(of: Int.self, from: text(3), decode: decode) == 3)
        #expect(decodings == 12)
    }

    @Test("large records keep the memo within its budget: a hundred texts of 1 MiB hold at most 64 MiB")
    func largeRecords() {
        let memo = DecodedRecordMemo()
        let megabyte = String(repeating: "x", count: 1 << 20)
        for number in 0..<100 {
            let text = #"{"n":\#(number),"pad":""# + megabyte + #""}"#
            #expect(memo.value(of: Int.self, from: text) { _ in number } == number)
            #expect(memo.heldBytes <= DecodedRecordMemo.defaultBudget)
        }
        #expect(memo.count > 0)
        #expect(memo.count < 100)
    }

    @Test("a text larger than an eighth of the budget is decoded every time, and pushes nothing out")
    func oversizedTextNotRemembered() {
        let memo = DecodedRecordMemo(budget: 80_000)
        var decodings = 0
        #expect(memo.value(of: Int.self, from: "small") { _ in 1 } == 1)
        let huge = String(repeating: "y", count: 20_000)
        for _ in 0..<3 {
            #expect(
                memo.value(of: Int.self, from: huge) { _ in
                    decodings += 1
                    return 2
                } == 2)
        }
        #expect(decodings == 3)
        #expect(memo.count == 1)
        #expect(memo.value(of: Int.self, from: "small") { _ in 99 } == 1)
    }

    @Test("a decoding error reaches the caller and nothing is remembered")
    func errors() throws {
        struct Refused: Error {}
        let memo = DecodedRecordMemo()
        #expect(throws: Refused.self) { try memo.value(of: Int.self, from: "x") { _ in throw Refused() } }
        #expect(memo.value(of: Int.self, from: "x") { _ in 1 } == 1)
    }
}
