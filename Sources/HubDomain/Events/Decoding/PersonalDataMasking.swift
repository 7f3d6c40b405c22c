/// The copy of a record that a `personal_data` dead letter keeps: the record with every
/// offending value replaced by a mask that names its kind, so that the dead letter says where
/// the personal data was and what it was, and holds none of it.
///
/// Masks read `[masqué:phone]`, `[masqué:email+phone]` (kinds in `PersonalDataKind` order,
/// joined by `+`); `[masqué:field]` replaces the whole value of a field whose name
/// designates personal data (`lastName`...), `[masqué:unreadable]` a string that cannot be
/// read as text. What is masked, over the same patterns as `PersonalDataGuard`:
/// - the key, and every header value (and name) that holds personal data;
/// - in the value, read as JSON (the payload in binary mode, the whole event in structured
///   mode, `data_base64` decoded, masked and encoded again): every string and member name
///   that holds personal data, the values under forbidden names. The value is written
///   again as canonical JSON, so it is not the bytes received;
/// - a value that is not JSON becomes `{"hub_masked":"…"}`, which says so: never the bytes.
///
/// A mask holds no personal data, so masking a masked record changes nothing.
public enum PersonalDataMasking {
    /// The mask of a value holding `kinds`.
    public static func mask(_ kinds: [PersonalDataKind]) -> String {
        "[masqué:" + Set(kinds).sorted().map(\.rawValue).joined(separator: "+") + "]"
    }

    /// The mask of a value that cannot be read (not UTF-8, not JSON, not base64).
    public static let unreadable = "[masqué:unreadable]"

    /// The value of a record whose value is not JSON.
    public static let unreadableValue: [UInt8] = Array(
        #"{"hub_masked":"the value is not JSON the hub can read; withheld, as it may hold personal data"}"#.utf8)

    /// Whether `name` is a mask, or a mask made unique (`[masqué:phone]#2`).
    static func isMask(_ name: String) -> Bool {
        name.hasPrefix("[masqué:") && (name.hasSuffix("]") || name.contains("]#"))
    }

    /// `text`'s mask when it holds personal data, nil when it does not.
    public static func maskedText(_ text: String) -> String? {
        let kinds = PersonalDataPatterns.kinds(in: text)
        return kinds.isEmpty ? nil : mask(kinds)
    }

    /// `text` or its mask.
    static func masking(_ text: String) -> String { maskedText(text) ?? text }

    /// The masked copy of a record's key, headers and value.
    public static func maskedRecord(
        key: [UInt8]?, headers: [RecordHeader], value: [UInt8]
    ) -> (key: [UInt8]?, headers: [RecordHeader], value: [UInt8]) {
        (key.map(maskedBytes), headers.map(maskedHeader), maskedValue(value))
    }

    /// The masked copy of a consumed record: same topic, partition, offset and timestamp.
    public static func masked(_ record: InboundRecord) -> InboundRecord {
        let masked = maskedRecord(key: record.key, headers: record.headers, value: record.value)
        var copy = record
        copy.key = masked.key
        copy.headers = masked.headers
        copy.value = masked.value
        return copy
    }

    static func maskedBytes(_ bytes: [UInt8]) -> [UInt8] {
        guard let text = String(validating: bytes, as: UTF8.self) else { return Array(unreadable.utf8) }
        return maskedText(text).map { Array($0.utf8) } ?? bytes
    }

    static func maskedHeader(_ header: RecordHeader) -> RecordHeader {
        RecordHeader(name: masking(header.name), value: header.value.map(maskedBytes))
    }

    /// The value as JSON with its personal data masked, or the placeholder when it is not
    /// JSON. A value that holds nothing to mask is kept byte for byte.
    static func maskedValue(_ value: [UInt8]) -> [UInt8] {
        guard let json = try? JSONParser.parse(value) else { return unreadableValue }
        let masked = maskedTopLevel(json)
        return masked == json ? value : masked.canonicalBytes()
    }

    /// `masked(_:)`, and a structured-mode `data_base64` decoded, masked and encoded again.
    static func maskedTopLevel(_ json: JSONValue) -> JSONValue {
        guard case .object(var members) = json, case .string(let base64)? = members["data_base64"] else { return masked(json) }
        members["data_base64"] = nil
        var result = masked(.object(members))
        guard case .object(var maskedMembers) = result else { return result }
        if let bytes = Base64.decode(base64), let data = try? JSONParser.parse(bytes) {
            let maskedData = masked(data)
            maskedMembers["data_base64"] = .string(maskedData == data ? base64 : Base64.encoded(maskedData.canonicalBytes()))
        } else {
            maskedMembers["data_base64"] = .string(maskedText(base64) ?? base64)
        }
        result = .object(maskedMembers)
        return result
    }

    /// Every string and member name holding personal data masked, and the value of every
    /// member whose name designates personal data replaced by `[masqué:field]` whole.
    public static func masked(_ json: JSONValue) -> JSONValue {
        switch json {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let value = PersonalDataGuard.isForbiddenKey(name) ? .string(mask([.field])) : masked(member)
                result[uniqueName(masking(name), in: result)] = value
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(masked))
        case .string(let text):
            return .string(masking(text))
        default:
            return json
        }
    }

    /// `name`, or `name#2`, `name#3`... when two masked names would be the same member.
    private static func uniqueName(_ name: String, in members: [String: JSONValue]) -> String {
        guard members[name] != nil else { return name }
        var number = 2
        while members["\(name)#\(number)"] != nil { number += 1 }
        return "\(name)#\(number)"
    }
}
