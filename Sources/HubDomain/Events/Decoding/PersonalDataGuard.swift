/// Refuses payloads that carry personal data. The hub describes councils, territories,
/// programmes and counts, never people (complex-case commissions handle individual
/// situations; only anonymised, aggregated information may travel).
///
/// It runs on the raw JSON *before* the schema, so that a payload with a `lastName` field is
/// reported as `personal_data` (a confidentiality incident to fix at the source) rather than
/// as an unknown field. It looks at:
/// - keys that name data about individuals (`firstName`, `lastName`, `birthDate`, `email`,
///   `phone`, `patient`, `nir`...), compared case-insensitively without separators;
/// - string values *and member names* that contain an e-mail address, a French phone number,
///   a social security number (NIR), an IBAN or a date of birth (`PersonalDataPatterns`);
/// - the same in the strings of the envelope: the Kafka key, `ce_id`, `ce_source` and
///   `ce_subject` (`check(_:places:context:)`).
///
/// Detection is deliberately conservative on values (formats, not names): a false positive
/// blocks an event, so the patterns only match what is unambiguously a contact, an NIR, an
/// IBAN or a birth date. Findings name the place and the kind, never the value: a member
/// name that holds personal data is written as its mask in paths (`PersonalDataMasking`).
public struct PersonalDataGuard: Sendable {
    /// Normalised keys (lower-case, letters and digits only) that name personal data.
    public static let forbiddenKeys: Set<String> = [
        "firstname", "lastname", "fullname", "givenname", "familyname", "surname", "maidenname", "prenom", "nom",
        "nomdefamille", "birthdate", "dateofbirth", "birthday", "birthplace", "datenaissance", "datedenaissance",
        "age", "sex", "gender", "sexe", "email", "emailaddress", "mail", "courriel", "phone", "phonenumber",
        "telephone", "tel", "mobile", "portable", "fax", "patient", "patients", "patientid", "patientname",
        "nir", "ssn", "socialsecuritynumber", "numerosecu", "numerosecuritesociale", "diagnosis",
        "homeaddress", "adressepersonnelle", "person", "persons", "individual", "individuals", "usager", "beneficiary",
    ]

    /// Substrings that make a normalised key personal wherever they appear (`contactEmail`,
    /// `patientCount` is *not* caught: counts are fine, see `allowedKeys`).
    public static let forbiddenKeyParts: [String] = ["email", "phone", "firstname", "lastname", "birthdate", "patient", "telephone"]

    /// Keys that contain a forbidden part but are counts or kinds, not data about someone.
    public static let allowedKeys: Set<String> = ["patientcount", "patientscount"]

    public init() {}

    /// Every place where personal data shows, as violations (empty when clean).
    public func findings(in value: JSONValue) -> [Violation] {
        var found: [Violation] = []
        scan(value, path: .root, into: &found)
        return found
    }

    /// The findings in strings outside the payload, each named by its place (`key`,
    /// `header:ce_id`...).
    public func findings(inPlaces places: [(place: String, text: String)]) -> [Violation] {
        places.flatMap { place, text in
            PersonalDataPatterns.kinds(in: text).map { Violation(path: place, reason: $0.reason) }
        }
    }

    /// Throws `personal_data` when anything is found in `value` (the payload) or in `places`
    /// (the envelope's strings). `context` must not quote a value that may hold personal
    /// data (the decoder gives the masked `ce_source|ce_id`).
    public func check(
        _ value: JSONValue, places: [(place: String, text: String)] = [], context: @autoclosure () -> String
    ) throws(EventRejection) {
        let placesMayHaveFindings = places.contains { PersonalDataPatterns.mayContainPersonalData($0.text) }
        guard placesMayHaveFindings || Self.mayHaveFindings(value) else { return }
        let found = findings(inPlaces: places) + findings(in: value)
        guard found.isEmpty else {
            throw EventRejection(
                code: .personalData,
                message: "\(context()) carries personal data (\(found.count) finding(s)); the hub accepts no data about individuals",
                violations: found)
        }
    }

    /// `check(_:places:context:)` for a decoded record: the payload, the key and the
    /// envelope's strings. The quick passes run on the key's bytes and the attributes
    /// without building the places, which only a record with a finding needs.
    public func check(
        _ value: JSONValue, envelope: CloudEvent, key: [UInt8]?, structured: @autoclosure () -> Bool,
        context: @autoclosure () -> String
    ) throws(EventRejection) {
        let envelopeMayHaveFindings =
            (key?.withUnsafeBufferPointer { PersonalDataPatterns.mayContainPersonalData(utf8: $0) } ?? false)
            || PersonalDataPatterns.mayContainPersonalData(envelope.id) || PersonalDataPatterns.mayContainPersonalData(envelope.source)
            || (envelope.subject.map(PersonalDataPatterns.mayContainPersonalData) ?? false)
        guard envelopeMayHaveFindings || Self.mayHaveFindings(value) else { return }
        let places = envelopeMayHaveFindings ? Self.places(of: envelope, key: key, structured: structured()) : []
        try check(value, places: places, context: context())
    }

    /// The strings of a record outside its payload that the guard reads, by place: the key,
    /// then `ce_id`, `ce_source` and `ce_subject`, as `header:ce_id`... in binary mode and
    /// `envelope:id`... in structured mode (where they are members of the value).
    public static func places(of envelope: CloudEvent, key: [UInt8]?, structured: Bool) -> [(place: String, text: String)] {
        var places: [(place: String, text: String)] = []
        if let key, let text = String(validating: key, as: UTF8.self) { places.append(("key", text)) }
        let prefix = structured ? "envelope:" : "header:ce_"
        places.append((prefix + "id", envelope.id))
        places.append((prefix + "source", envelope.source))
        if let subject = envelope.subject { places.append((prefix + "subject", subject)) }
        return places
    }

    /// False only when `findings` is empty: one walk without the paths, the sorted keys and
    /// the reasons that `findings` builds, for the payloads (nearly all) that are clean.
    static func mayHaveFindings(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members):
            members.contains { key, member in
                isForbiddenKey(key) || PersonalDataPatterns.mayContainPersonalData(key) || mayHaveFindings(member)
            }
        case .array(let items):
            items.contains(where: mayHaveFindings)
        case .string(let text):
            PersonalDataPatterns.mayContainPersonalData(text)
        default:
            false
        }
    }

    private func scan(_ value: JSONValue, path: JSONPath, into found: inout [Violation]) {
        switch value {
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                // A name holding personal data is written masked in the path, its own and
                // those of everything under it.
                let nameKinds = PersonalDataPatterns.kinds(in: key)
                let child = path.key(nameKinds.isEmpty ? key : PersonalDataMasking.mask(nameKinds))
                for kind in nameKinds {
                    found.append(Violation(path: child.description, reason: "field name " + kind.reason))
                }
                if let reason = Self.keyReason(key) {
                    found.append(Violation(path: child.description, reason: reason))
                }
                scan(member, path: child, into: &found)
            }
        case .array(let items):
            for (position, item) in items.enumerated() {
                scan(item, path: path.index(position), into: &found)
            }
        case .string(let text):
            for kind in PersonalDataPatterns.kinds(in: text) {
                found.append(Violation(path: path.description, reason: kind.reason))
            }
        default:
            break
        }
    }

    /// The reason for a field whose name designates personal data; it does not quote the
    /// name (the path does, masked when the name itself holds personal data).
    static func keyReason(_ key: String) -> String? {
        isForbiddenKey(key) ? PersonalDataKind.field.reason : nil
    }

    static func isForbiddenKey(_ key: String) -> Bool {
        // A mask written in place of a name (`[masqué:phone]`) names no field: masking and
        // checking a masked record find nothing more.
        if key.utf8.first == UInt8(ascii: "["), PersonalDataMasking.isMask(key) { return false }
        // Every key of every inbound event comes here: an ASCII key (all the contract's) is
        // normalised on the stack, without an array or a string on the heap (a normalised
        // key of up to 15 bytes is a small string).
        let utf8 = key.utf8
        if utf8.count <= 64,
            let forbidden = withUnsafeTemporaryAllocation(
                of: UInt8.self, capacity: utf8.count,
                { buffer -> Bool? in
                    var count = 0
                    for byte in utf8 {
                        switch byte {
                        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): buffer[count] = byte
                        case UInt8(ascii: "A")...UInt8(ascii: "Z"): buffer[count] = byte + 32
                        case 0x80...: return nil
                        default: continue
                        }
                        count += 1
                    }
                    return isForbidden(normalised: UnsafeBufferPointer(rebasing: buffer[..<count]))
                })
        {
            return forbidden
        }
        return Array(normalisedKey(key).utf8).withUnsafeBufferPointer { isForbidden(normalised: $0) }
    }

    /// `isForbiddenKey` on the normalised key's UTF-8.
    private static func isForbidden(normalised bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        if allowedKeys.contains(text) { return false }
        return forbiddenKeys.contains(text) || forbiddenKeyPartBytes.contains(where: { contains(bytes, $0) })
    }

    /// Lower-case, letters and digits only. Every key of every inbound event goes through
    /// here, so ASCII keys (all the contract's) take a byte path; others the Unicode one.
    static func normalisedKey(_ key: String) -> String {
        let utf8 = key.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(utf8.count)
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): bytes.append(byte)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte + 32)
                default: break
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(key.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
    }

    /// `forbiddenKeyParts` as bytes: substring search on UTF-8 without Foundation.
    private static let forbiddenKeyPartBytes: [[UInt8]] = forbiddenKeyParts.map { Array($0.utf8) }

    /// Whether `needle` occurs in `haystack`. A plain loop: keys are a few bytes long and
    /// every key of every payload is searched, where the generic searches of Foundation and
    /// the standard library pay for generality (measurements: docs/performance-log.md).
    static func contains<Haystack: RandomAccessCollection<UInt8>>(_ haystack: Haystack, _ needle: [UInt8]) -> Bool
    where Haystack.Index == Int {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        let first = haystack.startIndex
        candidates: for start in first...(first + haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] {
                continue candidates
            }
            return true
        }
        return false
    }
}
