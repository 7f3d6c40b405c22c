/// Refuses payloads that carry personal data. The hub describes councils, territories,
/// programmes and counts, never people (complex-case commissions handle individual
/// situations; only anonymised, aggregated information may travel).
///
/// It runs on the raw JSON *before* the schema, so that a payload with a `lastName` field is
/// reported as `personal_data` (a confidentiality incident to fix at the source) rather than
/// as an unknown field. It looks at:
/// - keys that name data about individuals (`firstName`, `lastName`, `birthDate`, `email`,
///   `phone`, `patient`, `nir`...), compared case-insensitively without separators;
/// - string values that contain an e-mail address, a French phone number or a French social
///   security number (NIR).
///
/// Detection is deliberately conservative on values (formats, not names): a false positive
/// blocks an event, so the patterns only match what is unambiguously a contact or an NIR.
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

    /// Throws `personal_data` when anything is found.
    public func check(_ value: JSONValue, context: @autoclosure () -> String) throws(EventRejection) {
        guard Self.mayHaveFindings(value) else { return }
        let found = findings(in: value)
        guard found.isEmpty else {
            throw EventRejection(
                code: .personalData,
                message: "\(context()) carries personal data (\(found.count) finding(s)); the hub accepts no data about individuals",
                violations: found)
        }
    }

    /// False only when `findings` is empty: one walk without the paths, the sorted keys and
    /// the reasons that `findings` builds, for the payloads (nearly all) that are clean.
    static func mayHaveFindings(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members):
            members.contains { key, member in isForbiddenKey(key) || mayHaveFindings(member) }
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
            for key in members.keys.sorted() {
                let child = path.key(key)
                if let reason = Self.keyReason(key) {
                    found.append(Violation(path: child.description, reason: reason))
                }
                scan(members[key]!, path: child, into: &found)
            }
        case .array(let items):
            for (position, item) in items.enumerated() {
                scan(item, path: path.index(position), into: &found)
            }
        case .string(let text):
            for reason in PersonalDataPatterns.reasons(in: text) {
                found.append(Violation(path: path.description, reason: reason))
            }
        default:
            break
        }
    }

    static func keyReason(_ key: String) -> String? {
        isForbiddenKey(key) ? "field name \"\(key)\" designates personal data" : nil
    }

    static func isForbiddenKey(_ key: String) -> Bool {
        let normalised = normalisedKey(key)
        if allowedKeys.contains(normalised) { return false }
        let bytes = Array(normalised.utf8)
        return forbiddenKeys.contains(normalised) || forbiddenKeyPartBytes.contains(where: { contains(bytes, $0) })
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
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        candidates: for start in 0...(haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] {
                continue candidates
            }
            return true
        }
        return false
    }
}

/// Value patterns, hand-written scanners rather than regular expressions so that they are
/// fast, dependency-free and easy to reason about.
public enum PersonalDataPatterns {
    /// Reasons (possibly several) why `text` contains personal data.
    public static func reasons(in text: String) -> [String] {
        // Most values (names, codes, dates) have no "@" and no run of ten digits, the fewest
        // a phone number has (a NIR has more): one pass over the bytes settles them.
        guard mayContainPersonalData(text) else { return [] }
        return allReasons(in: text)
    }

    /// `reasons(in:)` without the quick pass (for the test that they agree).
    static func allReasons(in text: String) -> [String] {
        var reasons: [String] = []
        if containsEmail(text) { reasons.append("contains an e-mail address") }
        for run in digitRuns(text) {
            if isFrenchPhone(run) {
                reasons.append("contains a phone number")
                break
            }
        }
        for run in digitRuns(text) {
            if isNIR(run) {
                reasons.append("contains a social security number (NIR)")
                break
            }
        }
        return reasons
    }

    /// False only when `text` has no "@" and fewer than ten digits in every stretch of digits
    /// and number separators: then neither `containsEmail` nor a phone number or NIR among
    /// `digitRuns` can match. Any non-ASCII byte counts as a separator (the non-breaking
    /// spaces are), so the estimate errs only towards the full check.
    static func mayContainPersonalData(_ text: String) -> Bool {
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "@"):
                return true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if digits >= 10 { return true }
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), 0x80...:
                continue
            default:
                digits = 0
            }
        }
        return false
    }

    /// `local@domain.tld` with a plausible local part and a dotted domain.
    public static func containsEmail(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        func isLocal(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "._%+-'".unicodeScalars.contains(s))
        }
        func isDomain(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "-")
        }
        for (index, scalar) in scalars.enumerated() where scalar == "@" {
            var start = index
            while start > 0, isLocal(scalars[start - 1]) { start -= 1 }
            var end = index + 1
            while end < scalars.count, isDomain(scalars[end]) { end += 1 }
            let domain = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
            let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
            if start < index, labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }),
                let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter)
            {
                return true
            }
        }
        return false
    }

    /// Runs of digits joined by the separators people write in numbers (space, dot, hyphen,
    /// non-breaking space), with a leading `+` kept. "01 23 45 67 89" is one run "0123456789".
    static func digitRuns(_ text: String) -> [String] {
        var runs: [String] = []
        var current = ""
        var pendingSeparator = false
        for scalar in text.unicodeScalars {
            if ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
                pendingSeparator = false
            } else if scalar == "+", current.isEmpty {
                current = "+"
            } else if !current.isEmpty, [" ", ".", "-", "\u{00A0}", "\u{202F}"].contains(scalar), !pendingSeparator {
                pendingSeparator = true
            } else {
                if current.count > 1 { runs.append(current) }
                current = ""
                pendingSeparator = false
            }
        }
        if current.count > 1 { runs.append(current) }
        return runs
    }

    /// French numbers: `0[1-9]` + 8 digits, or `+33` / `0033` + 9 digits.
    public static func isFrenchPhone(_ run: String) -> Bool {
        var digits = run
        if digits.hasPrefix("+33") {
            digits = "0" + digits.dropFirst(3)
        } else if digits.hasPrefix("0033") {
            digits = "0" + digits.dropFirst(4)
        } else if digits.hasPrefix("+") {
            return false
        }
        let bytes = Array(digits.utf8)
        return bytes.count == 10 && bytes[0] == UInt8(ascii: "0") && bytes[1] != UInt8(ascii: "0")
    }

    /// NIR: 13 digits (+ 2-digit key): sex 1/2 (or 3, 4, 7, 8 for temporary numbers), year,
    /// month 01-12 (or 20-42, 50-99 for unknown months), then place and order numbers.
    public static func isNIR(_ run: String) -> Bool {
        let bytes = Array(run.utf8)
        guard bytes.count == 13 || bytes.count == 15, bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return false
        }
        guard
            [UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "7"), UInt8(ascii: "8")].contains(
                bytes[0]),
            let month = Digits.value(bytes[3..<5])
        else { return false }
        return (1...12).contains(month) || (20...42).contains(month) || (50...99).contains(month)
    }
}
