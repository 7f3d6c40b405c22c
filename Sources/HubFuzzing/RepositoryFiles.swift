import Foundation
import HubDomain

/// The documented examples the fuzz target starts from, read from the checkout's docs/.
/// The binary finds them through this file's path at build time, or through the
/// `HUB_FUZZ_ROOT` environment variable when it runs elsewhere.
public struct RepositoryFiles: Sendable {
    public var root: URL

    /// The repository root: `HUB_FUZZ_ROOT`, else two levels above Sources/HubFuzzing/.
    public init(root: URL? = nil) {
        if let root {
            self.root = root
        } else if let variable = ProcessInfo.processInfo.environment["HUB_FUZZ_ROOT"], !variable.isEmpty {
            self.root = URL(fileURLWithPath: variable)
        } else {
            self.root = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
    }

    public enum Mode: Sendable {
        /// `content-type: application/cloudevents+json`, the example file as the value.
        case structured
        /// `ce_*` headers and the data as the value, as the hub itself publishes.
        case binary
    }

    public func demoReference() throws -> [UInt8] {
        try bytes("docs/examples/reference-demo.json")
    }

    /// The example events in file order (the order of their story), as records.
    public func exampleRecords(mode: Mode) throws -> [FuzzRecord] {
        try exampleEventFiles().map { try record(ofExample: $0, mode: mode) }
    }

    /// The example events' envelopes in file order.
    public func exampleEnvelopes() throws -> [CloudEvent] {
        try exampleEventFiles().map { try CloudEventRecordCodec.decode(headers: Self.structuredHeaders, value: try bytes($0)) }
    }

    static let structuredHeaders = [RecordHeader(name: "content-type", string: "application/cloudevents+json")]

    private func exampleEventFiles() throws -> [String] {
        let folder = "docs/examples/events"
        return try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
            .map { folder + "/" + $0 }
    }

    /// Structured mode keeps the file's bytes as the value; binary mode moves the attributes
    /// to headers.
    private func record(ofExample path: String, mode: Mode) throws -> FuzzRecord {
        let file = try bytes(path)
        let envelope = try CloudEventRecordCodec.decode(headers: Self.structuredHeaders, value: file)
        var record = try FuzzRecord(envelope, mode: mode)
        if mode == .structured { record.value = file }
        return record
    }

    private func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }
}

extension FuzzRecord {
    /// `envelope` as a record of its type's topic in `mode`, keyed by source (how a producer
    /// keeps its own events in order).
    public init(_ envelope: CloudEvent, mode: RepositoryFiles.Mode) throws {
        guard let topic = InboundTopic(eventType: envelope.type) else {
            throw FuzzFinding(description: "ce_type \(envelope.type) is not an inbound type")
        }
        switch mode {
        case .structured:
            self.init(
                topic: topic, key: Array(envelope.source.utf8), headers: RepositoryFiles.structuredHeaders,
                value: try CloudEventRecordCodec.structuredValue(for: envelope))
        case .binary:
            self.init(
                topic: topic, key: Array(envelope.source.utf8), headers: CloudEventRecordCodec.binaryHeaders(for: envelope),
                value: envelope.data)
        }
    }
}
