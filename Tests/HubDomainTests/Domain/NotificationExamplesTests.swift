import Foundation
import HubTestSupport
import Testing

@testable import HubDomain

/// docs/examples/notifications holds, for each example event, the records the hub publishes
/// on hub.notifications when the examples are replayed in order on the demo reference data:
/// what consumers will actually receive. The test keeps them exact; to regenerate after a
/// deliberate change, run with HUB_REGENERATE_EXAMPLES=1 and review the diff.
@Suite("Example notifications")
struct NotificationExamplesTests {
    static func records(for decision: Decision) -> JSONValue {
        .array(
            decision.notifications.map { notification in
                let record = notification.outboundRecord()
                var headers: [String: JSONValue] = [:]
                for header in record.headers { headers[header.name] = .string(header.stringValue ?? "") }
                return [
                    "topic": .string(record.topic), "key": .string(notification.kafkaKey), "headers": .object(headers),
                    "value": (try? JSONParser.parse(record.value)) ?? .null,
                ]
            })
    }

    /// Pretty JSON with sorted keys (Foundation's writer, for people reading the docs).
    static func pretty(_ value: JSONValue) throws -> Data {
        let object = try JSONSerialization.jsonObject(with: Data(value.canonicalBytes()))
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    @Test("each example event's notifications are documented exactly")
    func documented() throws {
        let regenerate = ProcessInfo.processInfo.environment["HUB_REGENERATE_EXAMPLES"] == "1"
        let folder = Fixture.repositoryRoot.appendingPathComponent("docs/examples/notifications")
        if regenerate { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        var hub = try Harness.demo()
        for file in try Fixture.exampleEventFiles() {
            let actual = Self.records(for: try hub.send(try Fixture.exampleEvent(file)))
            let url = folder.appendingPathComponent(file.replacingOccurrences(of: ".json", with: ".notifications.json"))
            if regenerate {
                try Self.pretty(actual).write(to: url)
                continue
            }
            let documented = try JSONParser.parse(Array(try Data(contentsOf: url)))
            #expect(documented == actual, "\(url.lastPathComponent) is out of date (HUB_REGENERATE_EXAMPLES=1 to regenerate)")
        }
    }
}
