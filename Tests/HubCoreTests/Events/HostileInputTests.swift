import HubSimulation
import HubTestSupport
import Testing

@testable import HubCore
@testable import HubDomain

/// Issue 15: what once stopped `hub-workers` or ended as an `internal` dead letter is
/// refused by the decoder with its contract code, a message naming the field, and texts
/// that PostgreSQL and Kafka accept.
@Suite("Hostile input: limits that guarantee storable values")
struct HostileInputTests {
    @Test(
        "each of the issue's hostile records is refused with its code, naming the field",
        arguments: HostileInputExamples.all().map(\.name))
    func refusedWithItsCode(name: String) throws {
        let example = try #require(HostileInputExamples.all().first { $0.name == name })
        do {
            let event = try InboundDecoder().decode(
                topic: example.topic, key: example.key, headers: example.headers,
                value: example.value)
            Issue.record("\(name) decoded as \(event.identity)")
        } catch {
            #expect(error.code == example.expectedCode, "\(error)")
            let text = error.headerMessage()
            #expect(text.contains(example.namedField), "\(text)")
            #expect(StorableText.isStorable(text), "\(text)")
            #expect(!text.utf8.contains(0))
        }
    }

    @Test("the valid proposal that follows them decodes")
    func validFollowUp() throws {
        let valid = HostileInputExamples.valid("x")
        let event = try InboundDecoder().decode(topic: valid.topic, key: valid.key, headers: valid.headers, value: valid.value)
        #expect(event.identity.id == "valid-x")
    }

    @Test("timestamps: years 1900 to 2999, offsets within ±14:00, at most 9 fraction digits")
    func timestampLimits() {
        for accepted in [
            "1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "2026-03-16T18:30:00+14:00",
            "2026-03-16T18:30:00-14:00", "2026-03-16T18:30:00.123456789Z",
        ] {
            #expect(Timestamp(accepted) != nil, "\(accepted)")
        }
        for refused in [
            "0001-10-07T14:00:00+02:00", "1899-12-31T23:59:59Z", "3000-01-01T00:00:00Z",
            "9999-12-31T23:00:00-02:00", "2026-03-16T18:30:00+14:01", "2026-03-16T18:30:00+20:00",
            "2026-03-16T18:30:00-23:59", "2026-03-16T18:30:00.1234567890Z",
            "2026-03-16T18:30:00." + String(repeating: "9", count: 300) + "Z",
        ] {
            #expect(Timestamp(refused) == nil, "\(refused)")
        }
        #expect(CalendarDate("0001-01-01") == nil)
        #expect(CalendarDate("9999-12-31") == nil)
        #expect(CalendarDate("1900-01-01") != nil)
    }

    @Test("Europe/Paris dates are defined at both ends of the range, where UTC is another year")
    func parisAtTheEnds() throws {
        let first = try #require(Timestamp("1900-01-01T00:00:00+14:00"))  // 1899-12-31 in UTC
        #expect(first.parisDate == CalendarDate(year: 1899, month: 12, day: 31))
        let last = try #require(Timestamp("2999-12-31T23:59:59-14:00"))  // 3000-01-01 in UTC
        #expect(last.parisDate == CalendarDate(year: 3000, month: 1, day: 1))
        // Far outside the range too: the rule is total, not only on accepted input.
        _ = ParisTime.localDate(epochMilliseconds: Int64(CalendarDate.daysSinceEpoch(year: 0, month: 3, day: 1)) * 86_400_000)
        _ = ParisTime.localDate(epochMilliseconds: Int64(CalendarDate.daysSinceEpoch(year: 10_000, month: 3, day: 1)) * 86_400_000)
    }

    @Test("SISM proposals at the ends of the range are decided without trap")
    func rulesAtTheEnds() throws {
        var harness = try Harness.demo()
        try harness.send(.clsmDeclared(Fixture.clsm("clsm-saint-denis", communes: ["93066"])))
        for (index, (start, end)) in [
            ("1900-01-01T00:00:00+14:00", "1900-01-01T01:00:00+14:00"),
            ("2999-12-31T22:00:00-14:00", "2999-12-31T23:59:59-14:00"),
        ].enumerated() {
            let value = HostileInputExamples.proposalJSON(id: "edge-\(index)", startsAt: "\"\(start)\"", endsAt: "\"\(end)\"")
            let event = try InboundDecoder().decode(
                topic: HostileInputExamples.topic, headers: HostileInputExamples.headers(id: "edge-\(index)"),
                value: value)
            let decision = try RulesEngine().decide(event, in: harness.state)
            #expect(decision.notifications.contains { $0.rule == .sismProposalRejected })
        }
    }

    @Test("envelope limits: a header or key of control characters or invalid UTF-8 is malformed, an oversized one too large")
    func envelopeLimits() throws {
        let headers = HostileInputExamples.headers(id: "e")
        #expect(EnvelopeLimits.contentViolations(key: Array("clsm-1".utf8), headers: headers).isEmpty)
        #expect(EnvelopeLimits.sizeViolations(key: Array("clsm-1".utf8), headers: headers).isEmpty)
        let tracing = headers + [RecordHeader(name: "traceparent", value: [0x00, 0x01])]
        #expect(EnvelopeLimits.contentViolations(key: nil, headers: tracing).map(\.path) == ["header traceparent"])
        let many = headers + (0..<70).map { RecordHeader(name: "x-\($0)", string: "v") }
        #expect(EnvelopeLimits.sizeViolations(key: nil, headers: many).map(\.path) == ["headers"])
        let longKey = Array(repeating: UInt8(ascii: "k"), count: EnvelopeLimits.maximumKeyBytes + 1)
        #expect(EnvelopeLimits.sizeViolations(key: longKey, headers: headers).map(\.path) == ["key"])
        let longSource = HostileInputExamples.headers(id: "e", replacing: ["ce_source": Array(repeating: UInt8(ascii: "s"), count: 513)])
        #expect(EnvelopeLimits.sizeViolations(key: nil, headers: longSource).map(\.path) == ["header ce_source"])
    }

    @Test("texts about a record are stored escaped and bounded")
    func storableText() {
        #expect(StorableText.escaping("plain é") == "plain é")
        #expect(StorableText.escaping("a\0b\nc\u{7F}") == #"a\u0000b\u000ac\u007f"#)
        let long = StorableText.escaping(String(repeating: "é", count: 1000), maximumBytes: 100)
        #expect(long.utf8.count <= 100 && long.hasSuffix("…"))
        let violation = Violation(path: "bad\0key", reason: String(repeating: "x", count: 5000) + "\0")
        #expect(violation.path == #"bad\u0000key"#)
        #expect(violation.reason.utf8.count <= Violation.maximumReasonBytes)
        let rejection = EventRejection(code: .schemaViolation, message: "got \"1.0\0\"")
        #expect(rejection.message == #"got "1.0\u0000""#)
        let message = DeadLetter.make(
            from: InboundRecord(topic: "t", partition: 0, offset: 1, key: nil, value: [], headers: [], timestampMilliseconds: nil),
            code: .internal, reason: "failed: \0")
        #expect(message.headers.first { $0.name == DeadLetter.Header.errorMessage }?.stringValue == #"failed: \u0000"#)
    }
}
