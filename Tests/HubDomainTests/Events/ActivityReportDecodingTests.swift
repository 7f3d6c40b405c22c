import HubTestSupport
import Testing

@testable import HubDomain

/// clsm.activity.reported through the workers' decoder: the example decodes, every bad input
/// is refused with its code and paths, personal data before the schema.
@Suite("Decoding clsm.activity.reported")
struct ActivityReportDecodingTests {
    static let topic = "clsm.activity.reported"
    static let type = "clsm.activity.reported.v1"

    static func example() throws -> JSONValue {
        let event = try JSONParser.parse(try Fixture.bytes("docs/examples/events/10-clsm-activity-reported-saint-denis.json"))
        return try #require(event["data"])
    }

    static func patched(_ path: [String], _ value: JSONValue?) throws -> JSONValue {
        func set(_ json: JSONValue, _ path: ArraySlice<String>) -> JSONValue {
            guard let key = path.first, case .object(var members) = json else { return json }
            if path.count == 1 {
                members[key] = value
            } else {
                members[key] = set(members[key] ?? .object([:]), path.dropFirst())
            }
            return .object(members)
        }
        return set(try example(), path[...])
    }

    static func refusal(_ data: JSONValue) -> EventRejection? {
        do {
            _ = try InboundDecoder().decode(topic: topic, headers: DecodingPipelineTests.headers(type: type), value: data.canonicalBytes())
            return nil
        } catch {
            return error
        }
    }

    @Test("the example decodes, and encodes back to the same canonical JSON")
    func example() throws {
        let data = try Self.example()
        let event = try InboundDecoder().decode(
            topic: Self.topic, headers: DecodingPipelineTests.headers(type: Self.type), value: data.canonicalBytes())
        guard case .clsmActivityReported(let report) = event.event else { throw DecodingPipelineTests.TestFailure("wrong type") }
        #expect(report.key == ActivityReportKey(clsmId: "clsm-saint-denis", year: 2025))
        #expect(report.coordinator.vacant && report.coordinator.fte == 0.5)
        #expect(report.crisis == nil)
        #expect(event.event.canonicalJSON() == data.canonicalBytes())
    }

    @Test(
        "schema violations, each with its path",
        arguments: [
            (["meetings", "copil"], JSONValue.integer(-1), ["meetings.copil"]),
            (["meetings", "cotech"], 1, ["meetings.cotech"]),
            (["involvement", "users"], "maybe", ["involvement.users"]),
            (["userParticipation"], "sometimes", ["userParticipation"]),
            (["coordinator", "fte"], 1.5, ["coordinator.fte"]),
            (["coordinator", "clsmsCoordinated"], 0, ["coordinator.clsmsCoordinated"]),
            (["coordinator", "funders"], ["ars", "ars"], ["coordinator.funders[1]"]),
            (["articulation", "clspd"], nil, ["articulation.clspd"]),
            (["articulation", "police"], "yes", ["articulation.police"]),
            (["needsDiagnostic"], "planned", ["needsDiagnostic"]),
            (["year"], 1999, ["year"]),
            (["reportedOn"], "2024-12-31", ["reportedOn"]),
            (["version"], 0, ["version"]),
            (["crisis"], ["bodiesSuspended": true], ["crisis.remoteWorking", "crisis.listeningLine"]),
            (["actions"], [["theme": "sism", "count": 1], ["theme": "sism", "count": 2]], ["actions[1].theme"]),
            (["actions"], [["theme": "sism", "count": 0]], ["actions[0].count"]),
            (["unknownField"], true, ["unknownField"]),
        ] as [([String], JSONValue?, [String])])
    func schemaViolations(path: [String], value: JSONValue?, paths: [String]) throws {
        let error = try #require(Self.refusal(try Self.patched(path, value)))
        #expect(error.code == .schemaViolation)
        #expect(Set(error.violations.map(\.path)) == Set(paths), "\(error.violations)")
    }

    @Test("personal data is refused before the schema, by key or by value")
    func personalData() throws {
        let byKey = try #require(Self.refusal(try Self.patched(["coordinator", "email"], "x")))
        #expect(byKey.code == .personalData)
        let byValue = try #require(Self.refusal(try Self.patched(["clsmId"], "jeanne.martin@example.org")))
        #expect(byValue.code == .personalData)
    }

    @Test("a clsm.activity.reported.v1 on another topic, or another type on this topic, is unsupported_type")
    func wrongTopic() throws {
        let data = try Self.example()
        let onDeclared = rejection {
            try InboundDecoder().decode(
                topic: "clsm.declared", headers: DecodingPipelineTests.headers(type: Self.type), value: data.canonicalBytes())
        }
        #expect(onDeclared?.code == .unsupportedType)
        let declaredHere = rejection {
            try InboundDecoder().decode(topic: Self.topic, headers: DecodingPipelineTests.headers(), value: data.canonicalBytes())
        }
        #expect(declaredHere?.code == .unsupportedType)
    }
}
