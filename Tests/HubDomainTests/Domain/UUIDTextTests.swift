import Foundation
import HubDomain
import Testing

@Suite("UUID canonical text (pure)")
struct UUIDTextTests {
    @Test("written as Foundation writes it, lower-cased; read back in either case")
    func roundTrip() {
        for _ in 0..<1_000 {
            let uuid = UUID()
            #expect(uuid.lowercasedText == uuid.uuidString.lowercased())
            #expect(UUID(canonicalText: uuid.lowercasedText) == uuid)
            #expect(UUID(canonicalText: uuid.uuidString) == uuid)
        }
        #expect(UUIDv5.notificationNamespace.lowercasedText == "37507923-d7a0-5ffa-803b-748610b498b0")
    }

    @Test("anything but the canonical form is refused")
    func refusals() {
        for text in [
            "", "37507923d7a05ffa803b748610b498b0", "{37507923-d7a0-5ffa-803b-748610b498b0}",
            "37507923-d7a0-5ffa-803b-748610b498b", "37507923-d7a0-5ffa-803b-748610b498b00",
            "3750792g-d7a0-5ffa-803b-748610b498b0", "37507923-d7a0-5ffa-803b_748610b498b0",
            "37507923-d7a05-ffa-803b-748610b498b0", "37507923-d7a0-5ffa-803b-748610b498b\u{e9}",
        ] {
            #expect(UUID(canonicalText: text) == nil, "\(text)")
        }
    }
}
