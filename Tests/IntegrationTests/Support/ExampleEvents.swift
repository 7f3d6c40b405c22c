import Foundation
import HubDomain

/// The example events and reference data of docs/examples, as Kafka records.
enum ExampleEvents {
    static let examples = TestServers.repositoryRoot.appendingPathComponent("docs/examples")

    static func referenceDocument() throws -> ReferenceDataDocument {
        let bytes = try [UInt8](Data(contentsOf: examples.appendingPathComponent("reference-demo.json")))
        return try ReferenceDataDocument.decode(bytes)
    }

    /// Each example file as a structured-mode CloudEvent on its topic, in file order.
    static func records() throws -> [(topic: String, value: [UInt8])] {
        let folder = examples.appendingPathComponent("events")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { file in
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            let type = json["type"] as! String
            return (String(type.dropLast(".v1".count)), [UInt8](data))
        }
    }

    static let structuredHeaders = [RecordHeader(name: "content-type", string: CloudEventRecordCodec.structuredContentType)]

    /// Each example as the record a CLSM tool would produce: structured mode, keyed as the
    /// contract says (clsmId, ptsmId or qpv).
    static func outgoing() throws -> [OutboundRecord] {
        try records().map { record in
            let event = try InboundDecoder().decode(topic: record.topic, headers: structuredHeaders, value: record.value)
            return OutboundRecord(
                topic: record.topic, key: event.event.partitionKey, value: record.value,
                headers: structuredHeaders)
        }
    }

    /// The examples as consumed records with made-up positions (for the processor alone).
    static func consumedMessages(firstOffset: Int64 = 0) throws -> [InboundRecord] {
        try records().enumerated().map { index, record in
            InboundRecord(
                topic: record.topic, partition: 0, offset: firstOffset + Int64(index), key: nil,
                value: record.value, headers: structuredHeaders, timestampMilliseconds: nil)
        }
    }
}
