/// Limits on what an inbound record's envelope may carry, so that every value the hub
/// stores (inbox, event log, dead letters) or echoes (notification and dead-letter headers)
/// is one PostgreSQL and Kafka accept, and a record never fails where it is written instead
/// of where it is read. `InboundDecoder` checks them before anything else reads the record;
/// docs/contract.md §1 lists them.
///
/// - sizes (`too_large`): the key, the number of headers, header names, and each
///   CloudEvents attribute. (`ce_source`, `ce_id`) is the primary key of the inbox and a
///   unique key of the event log: a btree entry must stay under about 2.7 KB.
/// - content (`malformed_envelope`): header names and values, the key and every attribute
///   are valid UTF-8 without control characters (PostgreSQL refuses NUL in text; a line
///   break in an identifier would garble every listing and log that shows it).
///
/// Timestamps are bounded by `Timestamp` itself (years, offset, fraction digits).
public enum EnvelopeLimits {
    public static let maximumKeyBytes = 512
    public static let maximumHeaderCount = 64
    public static let maximumHeaderNameBytes = 256
    /// Longest value of each CloudEvents attribute, in UTF-8 bytes.
    public static let maximumAttributeBytes: [String: Int] = [
        "id": 256, "source": 512, "type": 128, "subject": 512, "dataschema": 2048, "datacontenttype": 256,
    ]
    /// Longest value of any other attribute or header (`ce_time` and `ce_specversion` are
    /// bounded by their formats: a wrong one is a malformed envelope, not a size).
    public static let maximumOtherHeaderBytes = 1024

    /// The smallest of the limits above: a header value of this size or less is within its own.
    static let smallestHeaderLimit = min(maximumAttributeBytes.values.min() ?? maximumOtherHeaderBytes, maximumOtherHeaderBytes)

    /// Size violations of the raw record: key, header count, header names and values.
    /// Empty when every size is within its limit.
    static func sizeViolations(key: [UInt8]?, headers: [RecordHeader]) -> [Violation] {
        var violations: [Violation] = []
        if let key, key.count > maximumKeyBytes {
            violations.append(Violation(path: "key", reason: "is \(key.count) bytes, above the limit of \(maximumKeyBytes)"))
        }
        if headers.count > maximumHeaderCount {
            violations.append(Violation(path: "headers", reason: "\(headers.count) headers, above the limit of \(maximumHeaderCount)"))
        }
        for header in headers.prefix(maximumHeaderCount + 1) {
            if header.name.utf8.count > maximumHeaderNameBytes {
                violations.append(
                    Violation(
                        path: "header \(header.name.prefix(40))…",
                        reason: "name is \(header.name.utf8.count) bytes, above the limit of \(maximumHeaderNameBytes)"))
                continue
            }
            // Every record comes through here: a value within the smallest limit needs no
            // look-up of its own (which lowercases the name).
            guard let value = header.value, value.count > smallestHeaderLimit else { continue }
            let limit = maximumBytes(ofHeader: header.name)
            if value.count > limit {
                violations.append(Violation(path: "header \(header.name)", reason: "is \(value.count) bytes, above the limit of \(limit)"))
            }
        }
        return violations
    }

    /// Content violations of the raw record: every header name and value, and the key,
    /// valid UTF-8 without control characters.
    static func contentViolations(key: [UInt8]?, headers: [RecordHeader]) -> [Violation] {
        var violations: [Violation] = []
        if let key, let problem = textProblem(key) {
            violations.append(Violation(path: "key", reason: problem))
        }
        for header in headers {
            // librdkafka hands names over as C strings, invalid UTF-8 replaced by U+FFFD.
            if header.name.isEmpty || header.name.utf8.contains(where: StorableText.isControl)
                || header.name.unicodeScalars.contains("\u{FFFD}")
            {
                violations.append(
                    Violation(path: "header \(header.name)", reason: "name must be non-empty UTF-8 without control characters"))
                continue
            }
            if let value = header.value, let problem = textProblem(value) {
                violations.append(Violation(path: "header \(header.name)", reason: problem))
            }
        }
        return violations
    }

    /// The same limits on a decoded envelope's attributes (structured mode carries them in
    /// the JSON value, binary mode in headers already checked): sizes first, then content.
    static func attributeViolations(of event: CloudEvent) -> (tooLarge: [Violation], malformed: [Violation]) {
        var attributes: [(String, String)] = [
            ("id", event.id), ("source", event.source), ("type", event.type), ("specversion", event.specversion),
            ("time", event.time.text),
        ]
        if let subject = event.subject { attributes.append(("subject", subject)) }
        if let dataschema = event.dataschema { attributes.append(("dataschema", dataschema)) }
        if let contentType = event.datacontenttype { attributes.append(("datacontenttype", contentType)) }
        for name in event.extensions.keys.sorted() { attributes.append((name, event.extensions[name] ?? "")) }
        var tooLarge: [Violation] = []
        var malformed: [Violation] = []
        for (name, value) in attributes {
            let limit = maximumAttributeBytes[name] ?? maximumOtherHeaderBytes
            if value.utf8.count > limit {
                tooLarge.append(Violation(path: name, reason: "is \(value.utf8.count) bytes, above the limit of \(limit)"))
            } else if value.utf8.contains(where: StorableText.isControl) {
                malformed.append(Violation(path: name, reason: "must not contain control characters (NUL, line breaks...)"))
            }
        }
        return (tooLarge, malformed)
    }

    /// The limit for a header's value: its attribute's for a `ce_` header, `content-type`'s
    /// for that one, `maximumOtherHeaderBytes` otherwise.
    static func maximumBytes(ofHeader name: String) -> Int {
        let lowered = name.lowercased()
        if lowered == "content-type" { return maximumAttributeBytes["datacontenttype"] ?? maximumOtherHeaderBytes }
        guard lowered.hasPrefix("ce_") else { return maximumOtherHeaderBytes }
        return maximumAttributeBytes[String(lowered.dropFirst(3))] ?? maximumOtherHeaderBytes
    }

    /// Why `bytes` is not acceptable text, or nil when it is.
    private static func textProblem(_ bytes: [UInt8]) -> String? {
        if bytes.contains(0) { return "holds a NUL byte" }
        if bytes.contains(where: StorableText.isControl) { return "holds a control character" }
        if String(validating: bytes, as: UTF8.self) == nil { return "is not valid UTF-8" }
        return nil
    }
}
