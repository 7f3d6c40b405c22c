import HubCore
import Testing

/// `hub-admin purge --older-than`'s horizon: what parses, to how many minutes, and what is
/// refused (command-line input: nothing may trap).
@Suite("Retention horizon")
struct RetentionHorizonTests {
    @Test(
        "a whole number of minutes, hours or days parses to its minutes and prints as typed",
        arguments: [("90m", 90), ("12h", 720), ("30d", 43_200), ("1m", 1), ("36500d", 36_500 * 1440), ("0030d", 43_200)])
    func parses(text: String, minutes: Int) throws {
        let horizon = try RetentionHorizon(parsing: text)
        #expect(horizon.minutes == minutes)
        #expect(try RetentionHorizon(parsing: horizon.description) == horizon)
    }

    @Test(
        "anything else is refused, with what was typed and the examples",
        arguments: [
            "", "30", "d", "m30", "0d", "0m", "-5d", "+5d", "1.5d", "30 d", " 30d", "5M", "1w", "3s", "36501d", "876000h1",
            "999999999m", "99999999999999999999d", "٣d", "３d", "30dd",
        ])
    func refuses(text: String) {
        #expect {
            try RetentionHorizon(parsing: text)
        } throws: { error in
            guard let refusal = error as? RetentionHorizonError else { return false }
            return refusal.text == text && refusal.description.contains("examples: 30d, 12h, 90m")
        }
    }

    @Test("under a day needs --force; a day and more, and the default policy, do not")
    func force() throws {
        #expect(try RetentionHorizon(parsing: "5m").needsForce)
        #expect(try RetentionHorizon(parsing: "1439m").needsForce)
        #expect(try RetentionHorizon(parsing: "23h").needsForce)
        #expect(try !RetentionHorizon(parsing: "1440m").needsForce)
        #expect(try !RetentionHorizon(parsing: "1d").needsForce)
        #expect(!RetentionHorizon.defaultPolicy.needsForce)
        #expect(RetentionHorizon.defaultPolicy.description == "30d")
    }
}
