import HubTestSupport
import Testing

@testable import HubDomain

/// docs/schemas is written for other teams; these tests keep it in step with the Swift types
/// that actually decide what is accepted.
@Suite("JSON Schemas match the strict decoders")
struct SchemaConsistencyTests {
    static func schema(_ name: String) throws -> JSONValue {
        try JSONParser.parse(try Fixture.bytes("docs/schemas/\(name).schema.json"))
    }

    static func properties(_ schema: JSONValue) -> Set<String> { Set(schema["properties"]?.objectValue?.keys ?? [:].keys) }

    static func enumValues(_ value: JSONValue?) -> [String] {
        (value?["enum"] ?? value?["items"]?["enum"])?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    @Test("top-level fields and closed vocabularies", arguments: InboundTopic.allCases)
    func payloads(topic: InboundTopic) throws {
        let schema = try Self.schema(topic.eventType)
        #expect(schema["additionalProperties"] == false)
        let fields: Set<String> =
            switch topic {
            case .clsmDeclared: ClsmDeclared.fields
            case .sismEventProposed: SismEventProposed.fields
            case .ptsmDiagnosticPublished: PtsmDiagnosticPublished.fields
            case .qpvActionRecorded: QpvActionRecorded.fields
            case .clsmActivityReported: ClsmActivityReported.fields
            }
        #expect(Self.properties(schema) == fields)
    }

    @Test("enums in the schemas are the Swift enums")
    func vocabularies() throws {
        let clsm = try Self.schema("clsm.declared.v1")
        #expect(Self.enumValues(clsm["properties"]?["status"]) == ClsmStatus.allCases.map(\.rawValue))
        #expect(Self.enumValues(clsm["properties"]?["scale"]) == ClsmScale.allCases.map(\.rawValue))
        #expect(Self.enumValues(clsm["properties"]?["workingGroups"]) == ThemeCode.allCases.map(\.rawValue))
        #expect(Self.enumValues(clsm["properties"]?["governance"]?["properties"]?["members"]) == GovernanceMember.allCases.map(\.rawValue))
        let sism = try Self.schema("sism.event.proposed.v1")
        #expect(Self.enumValues(sism["properties"]?["format"]) == SismFormat.allCases.map(\.rawValue))
        let action = try Self.schema("qpv.action.recorded.v1")
        #expect(Self.enumValues(action["properties"]?["type"]) == QpvActionType.allCases.map(\.rawValue))
        #expect(Self.enumValues(action["properties"]?["recordedBy"]?["properties"]?["kind"]) == RecorderKind.allCases.map(\.rawValue))
        let activity = try Self.schema("clsm.activity.reported.v1")["properties"]
        #expect(Self.enumValues(activity?["userParticipation"]) == UserParticipation.allCases.map(\.rawValue))
        #expect(Self.enumValues(activity?["needsDiagnostic"]) == NeedsDiagnostic.allCases.map(\.rawValue))
        #expect(Self.enumValues(activity?["actions"]?["items"]?["properties"]?["theme"]) == ThemeCode.allCases.map(\.rawValue))
        #expect(Self.enumValues(activity?["coordinator"]?["properties"]?["funders"]) == CoordinatorFunder.allCases.map(\.rawValue))
        #expect(
            Self.enumValues(activity?["coordinator"]?["properties"]?["employer"]) == CoordinatorEmployer.allCases.map(\.rawValue))
        #expect(Self.properties(activity?["articulation"] ?? .null) == Set(ArticulatedDispositif.allCases.map(\.rawValue)))
        for dispositif in ArticulatedDispositif.allCases {
            #expect(
                Self.enumValues(activity?["articulation"]?["properties"]?[dispositif.rawValue])
                    == ArticulationAnswer.allCases.map(\.rawValue))
        }
        for member in ["elected", "adultPsychiatry", "childPsychiatry", "users", "carers"] {
            #expect(Self.enumValues(activity?["involvement"]?["properties"]?[member]) == InvolvementStatus.allCases.map(\.rawValue))
        }
        let notification = try Self.schema("hub.notification.v1")
        #expect(Self.enumValues(notification["properties"]?["rule"]) == NotificationRule.allCases.map(\.rawValue))
        #expect(Self.enumValues(notification["properties"]?["severity"]) == Severity.allCases.map(\.rawValue))
        #expect(Self.enumValues(notification["properties"]?["recipient"]?["properties"]?["kind"]) == RecipientKind.allCases.map(\.rawValue))
        #expect(
            notification["properties"]?["notificationId"]?["description"]?.stringValue?.contains(
                UUIDv5.notificationNamespace.uuidString.lowercased()) == true)
        let reference = try Self.schema("reference-data")
        #expect(Self.properties(reference) == ReferenceDataDocument.fields)
        let source = reference["properties"]?["sources"]?["items"]
        #expect(Self.enumValues(source?["properties"]?["kind"]) == RegisteredSource.Kind.allCases.map(\.rawValue))
        #expect(Self.properties(source ?? .null) == ["source", "kind", "name", "entities", "regions"])
    }

    @Test("a produced notification has exactly the schema's required fields")
    func notificationFields() throws {
        var hub = try Harness.demo()
        let notification = try hub.send(.clsmDeclared(Fixture.clsm("a", communes: ["93066"]))).notifications[0]
        let required = try Self.schema("hub.notification.v1")["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(notification.payload.objectValue!.keys) == Set(required))
    }
}

@Suite("AsyncAPI document")
struct AsyncAPITests {
    @Test("names every topic, type, schema and dead-letter code of the contract")
    func coverage() throws {
        let text = String(decoding: try Fixture.bytes("docs/asyncapi.yaml"), as: UTF8.self)
        #expect(text.hasPrefix("asyncapi: 3.0.0"))
        for topic in InboundTopic.allCases {
            #expect(text.contains("address: \(topic.rawValue)\n"))
            #expect(text.contains("name: \(topic.eventType)\n"))
            #expect(text.contains("./schemas/\(topic.eventType).schema.json"))
        }
        #expect(text.contains("address: hub.notifications\n") && text.contains("address: hub.deadletter\n"))
        #expect(text.contains("./schemas/hub.notification.v1.schema.json"))
        for code in DeadLetterCode.allCases { #expect(text.contains(code.rawValue)) }
    }
}
