import Testing

@testable import HubDomain

@Suite("Strict JSON parsing and canonical writing")
struct JSONTests {
    @Test("integers, fractions, booleans and null keep their types")
    func types() throws {
        let value = try JSONParser.parse(#"{"a":1,"b":1.5,"c":true,"d":null,"e":"x","f":[1,"y"]}"#)
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .number(1.5))
        #expect(value["c"] == .bool(true))
        #expect(value["d"] == .null)
        #expect(value["e"] == .string("x"))
        #expect(value["f"] == .array([.integer(1), .string("y")]))
    }

    @Test(
        "refuses what RFC 8259 refuses, and duplicate keys",
        arguments: [
            "{\"a\":1,}", "[1,2", "{'a':1}", "01", "{\"a\":1} x", "\"\\x\"", "{\"a\":1,\"a\":2}", "", "nul", "\"\u{01}\"", "1.", "-",
        ])
    func refusals(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test("invalid UTF-8 is an error, not repaired")
    func invalidUTF8() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("escapes and surrogate pairs decode")
    func escapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\né😀"))
    }

    @Test("nesting is limited")
    func depth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test("canonical bytes sort keys and are stable")
    func canonical() throws {
        let value: JSONValue = ["b": 1, "a": ["z": true, "é": "x\"y\n"], "c": [3, 2, 1]]
        #expect(value.canonicalString() == #"{"a":{"z":true,"é":"x\"y\n"},"b":1,"c":[3,2,1]}"#)
        #expect(try JSONParser.parse(value.canonicalBytes()) == value)
    }
}
