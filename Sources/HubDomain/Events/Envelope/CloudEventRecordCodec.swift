import Foundation

/// The CloudEvents 1.0 Kafka protocol binding, over plain values: a `CloudEvent` to and from
/// a record's headers and value (`RecordHeader`, bytes), with no Kafka client type.
///
/// - Binary mode: attributes in `ce_*` headers, `content-type` header for `datacontenttype`,
///   the record value is the data. This is what the hub emits.
/// - Structured mode: `content-type: application/cloudevents+json`, the value is one JSON
///   object holding the attributes and `data` (or `data_base64`).
public enum CloudEventRecordCodec {
    public static let structuredContentType = "application/cloudevents+json"
    public static let jsonContentType = "application/json"

    /// Decodes a record in either mode. Throws `malformed_envelope` with one violation per
    /// missing or invalid attribute.
    public static func decode(headers: [RecordHeader], value: [UInt8]) throws(EventRejection) -> CloudEvent {
        var byName: [String: RecordHeader] = [:]
        var violations: [Violation] = []
        for header in headers where header.value != nil {
            let name = header.name.lowercased()
            if byName[name] != nil, name.hasPrefix("ce_") || name == "content-type" {
                violations.append(Violation(path: "header \(name)", reason: "appears more than once"))
            }
            byName[name] = header
        }
        let contentType = byName["content-type"]?.stringValue
        if let contentType, mediaType(contentType) == structuredContentType {
            return try decodeStructured(value: value, violations: violations)
        }
        return try decodeBinary(byName: byName, contentType: contentType, value: value, violations: violations)
    }

    /// Convenience for clients that hand headers over as tuples.
    /// (`RecordHeader` is the Messaging layer's plain header value; a nil value counts as absent.)
    public static func decode(headers: [(String, [UInt8])], value: [UInt8]) throws(EventRejection) -> CloudEvent {
        try decode(headers: headers.map { RecordHeader(name: $0.0, value: $0.1) }, value: value)
    }

    /// Binary-mode headers for an event: `ce_specversion`, `ce_id`, `ce_source`, `ce_type`,
    /// `ce_time`, optional `ce_subject`/`ce_dataschema`, extensions as `ce_<name>` (sorted),
    /// and `content-type`. The value is `event.data`.
    public static func binaryHeaders(for event: CloudEvent) -> [RecordHeader] {
        var headers = [
            RecordHeader(name: "ce_specversion", string: event.specversion),
            RecordHeader(name: "ce_id", string: event.id),
            RecordHeader(name: "ce_source", string: event.source),
            RecordHeader(name: "ce_type", string: event.type),
            RecordHeader(name: "ce_time", string: event.time.text),
        ]
        if let subject = event.subject { headers.append(RecordHeader(name: "ce_subject", string: subject)) }
        if let dataschema = event.dataschema { headers.append(RecordHeader(name: "ce_dataschema", string: dataschema)) }
        for name in event.extensions.keys.sorted() {
            headers.append(RecordHeader(name: "ce_" + name, string: event.extensions[name]!))
        }
        headers.append(RecordHeader(name: "content-type", string: event.datacontenttype ?? jsonContentType))
        return headers
    }

    /// Structured-mode value for an event whose data is JSON (used by tests and tools).
    public static func structuredValue(for event: CloudEvent) throws(JSONSyntaxError) -> [UInt8] {
        var object: [String: JSONValue] = [
            "specversion": .string(event.specversion), "id": .string(event.id), "source": .string(event.source),
            "type": .string(event.type), "time": .string(event.time.text),
            "data": try JSONParser.parse(event.data),
        ]
        if let value = event.datacontenttype { object["datacontenttype"] = .string(value) }
        if let value = event.subject { object["subject"] = .string(value) }
        if let value = event.dataschema { object["dataschema"] = .string(value) }
        for (name, value) in event.extensions { object[name] = .string(value) }
        return JSONValue.object(object).canonicalBytes()
    }

    // MARK: - Binary mode

    private static func decodeBinary(
        byName: [String: RecordHeader], contentType: String?, value: [UInt8], violations initial: [Violation]
    ) throws(EventRejection) -> CloudEvent {
        var violations = initial
        func attribute(_ name: String, required: Bool) -> String? {
            guard let header = byName["ce_" + name] else {
                if required { violations.append(Violation(path: "header ce_\(name)", reason: "is required")) }
                return nil
            }
            guard let text = header.stringValue else {
                violations.append(Violation(path: "header ce_\(name)", reason: "is not valid UTF-8"))
                return nil
            }
            if required, text.isEmpty {
                violations.append(Violation(path: "header ce_\(name)", reason: "must not be empty"))
                return nil
            }
            return text
        }
        let specversion = attribute("specversion", required: true)
        let id = attribute("id", required: true)
        let source = attribute("source", required: true)
        let type = attribute("type", required: true)
        let timeText = attribute("time", required: true)
        let subject = attribute("subject", required: false)
        let dataschema = attribute("dataschema", required: false)
        var extensions: [String: String] = [:]
        let known: Set = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_dataschema"]
        for name in byName.keys.sorted() where name.hasPrefix("ce_") && !known.contains(name) {
            let extensionName = String(name.dropFirst(3))
            guard isValidExtensionName(extensionName) else {
                violations.append(Violation(path: "header \(name)", reason: "is not a valid CloudEvents attribute name"))
                continue
            }
            extensions[extensionName] = attribute(extensionName, required: false)
        }
        if let specversion, specversion != CloudEvent.specVersion {
            violations.append(Violation(path: "header ce_specversion", reason: "must be \"1.0\", got \"\(specversion)\""))
        }
        let time = timeText.flatMap(Timestamp.init)
        if let timeText, time == nil {
            violations.append(Violation(path: "header ce_time", reason: "is not an RFC 3339 date-time with offset: \"\(timeText)\""))
        }
        guard violations.isEmpty, let specversion, let id, let source, let type, let time else {
            throw EventRejection(
                code: .malformedEnvelope,
                message: "not a CloudEvents 1.0 binary-mode record (\(violations.count) problem(s))",
                violations: violations)
        }
        return CloudEvent(
            id: id, source: source, type: type, time: time, specversion: specversion,
            datacontenttype: contentType, subject: subject, dataschema: dataschema, extensions: extensions, data: value)
    }

    // MARK: - Structured mode

    private static func decodeStructured(value: [UInt8], violations initial: [Violation]) throws(EventRejection) -> CloudEvent {
        var violations = initial
        let document: JSONValue
        do {
            document = try JSONParser.parse(value)
        } catch {
            throw EventRejection(code: .malformedEnvelope, message: "structured-mode value is not JSON: \(error)")
        }
        guard case .object(let object) = document else {
            throw EventRejection(code: .malformedEnvelope, message: "structured-mode value is not a JSON object")
        }
        func attribute(_ name: String, required: Bool) -> String? {
            guard let value = object[name], value != .null else {
                if required { violations.append(Violation(path: name, reason: "is required")) }
                return nil
            }
            guard case .string(let text) = value else {
                violations.append(Violation(path: name, reason: "must be a string, got \(value.typeName)"))
                return nil
            }
            if required, text.isEmpty {
                violations.append(Violation(path: name, reason: "must not be empty"))
                return nil
            }
            return text
        }
        let specversion = attribute("specversion", required: true)
        let id = attribute("id", required: true)
        let source = attribute("source", required: true)
        let type = attribute("type", required: true)
        let timeText = attribute("time", required: true)
        let contentType = attribute("datacontenttype", required: false)
        let subject = attribute("subject", required: false)
        let dataschema = attribute("dataschema", required: false)
        if let specversion, specversion != CloudEvent.specVersion {
            violations.append(Violation(path: "specversion", reason: "must be \"1.0\", got \"\(specversion)\""))
        }
        let time = timeText.flatMap(Timestamp.init)
        if let timeText, time == nil {
            violations.append(Violation(path: "time", reason: "is not an RFC 3339 date-time with offset: \"\(timeText)\""))
        }
        var data: [UInt8] = []
        switch (object["data"], object["data_base64"]) {
        case (.some, .some):
            violations.append(Violation(path: "data_base64", reason: "must not be given together with data"))
        case (.some(let json), nil):
            data = json.canonicalBytes()
        case (nil, .some(.string(let base64))):
            if let decoded = Base64.decode(base64) {
                data = decoded
            } else {
                violations.append(Violation(path: "data_base64", reason: "is not valid base64"))
            }
        case (nil, .some(let other)):
            violations.append(Violation(path: "data_base64", reason: "must be a string, got \(other.typeName)"))
        case (nil, nil):
            violations.append(Violation(path: "data", reason: "is required"))
        }
        var extensions: [String: String] = [:]
        let known: Set = ["specversion", "id", "source", "type", "time", "datacontenttype", "subject", "dataschema", "data", "data_base64"]
        for name in object.keys.sorted() where !known.contains(name) {
            guard isValidExtensionName(name) else {
                violations.append(Violation(path: name, reason: "is not a valid CloudEvents attribute name"))
                continue
            }
            switch object[name]! {
            case .string(let text): extensions[name] = text
            case .bool, .integer: extensions[name] = object[name]!.canonicalString()
            case .null: break
            default: violations.append(Violation(path: name, reason: "extension attributes must be strings, booleans or integers"))
            }
        }
        guard violations.isEmpty, let specversion, let id, let source, let type, let time else {
            throw EventRejection(
                code: .malformedEnvelope,
                message: "not a CloudEvents 1.0 structured-mode record (\(violations.count) problem(s))",
                violations: violations)
        }
        return CloudEvent(
            id: id, source: source, type: type, time: time, specversion: specversion,
            datacontenttype: contentType, subject: subject, dataschema: dataschema, extensions: extensions, data: data)
    }

    /// CloudEvents attribute names: lower-case ASCII letters and digits, at most 20 characters.
    static func isValidExtensionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 20
            && name.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            }
    }

    /// `application/json; charset=utf-8` -> `application/json`.
    static func mediaType(_ contentType: String) -> String {
        // The usual header is already a bare lowercase media type: nothing to split or trim
        // (this runs for every record).
        if contentType.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") && !(0x41...0x5A).contains($0) }) {
            return contentType
        }
        return (contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "")
            .trimmingCharacters(in: .whitespaces).lowercased()
    }
}
