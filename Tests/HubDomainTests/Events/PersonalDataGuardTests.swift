import HubTestSupport
import Testing

@testable import HubDomain

@Suite("Personal data guard")
struct PersonalDataGuardTests {
    let guardian = PersonalDataGuard()

    @Test("key normalisation: the byte path of ASCII keys agrees with the Unicode path; substring search on bytes")
    func keyNormalisationAndSearch() {
        for key in ["lastName", "Contact-Email", "patient_count", "NIR", "x9Y", "", "e-mail", "date_de_naissance"] {
            let unicode = String(key.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
            #expect(PersonalDataGuard.normalisedKey(key) == unicode, "\(key)")
        }
        #expect(PersonalDataGuard.normalisedKey("Prénom-Usager") == "prénomusager")
        #expect(PersonalDataGuard.contains(Array("contactemail".utf8), Array("email".utf8)))
        #expect(PersonalDataGuard.contains(Array("email".utf8), Array("email".utf8)))
        #expect(!PersonalDataGuard.contains(Array("emai".utf8), Array("email".utf8)))
        #expect(!PersonalDataGuard.contains(Array("emaxil".utf8), Array("email".utf8)))
        #expect(PersonalDataGuard.keyReason("contactEmail") != nil && PersonalDataGuard.keyReason("venue") == nil)
        // The stack path (ASCII, up to 64 bytes) and the others agree.
        #expect(!PersonalDataGuard.isForbiddenKey("") && !PersonalDataGuard.isForbiddenKey("--") && !PersonalDataGuard.isForbiddenKey("é"))
        #expect(PersonalDataGuard.isForbiddenKey("lastNameé") && PersonalDataGuard.isForbiddenKey("LAST-NAME"))
        #expect(PersonalDataGuard.isForbiddenKey(String(repeating: "x", count: 80) + "Email"))
        #expect(!PersonalDataGuard.isForbiddenKey(String(repeating: "x", count: 80)) && !PersonalDataGuard.isForbiddenKey("patient_count"))
        #expect(!PersonalDataGuard.isForbiddenKey("[masqué:phone]") && !PersonalDataGuard.isForbiddenKey("[masqué:email]#2"))
    }

    @Test(
        "keys that name individuals are refused",
        arguments: [
            "firstName", "lastName", "last_name", "birthDate", "dateOfBirth", "email", "contactEmail", "phone", "phoneNumber",
            "telephone", "patient", "patientName", "nir", "NIR", "socialSecurityNumber", "prenom",
        ])
    func keys(key: String) {
        let findings = guardian.findings(in: ["members": [.object([key: "x"])]])
        #expect(findings.count == 1)
        #expect(findings.first?.path == "members[0].\(key)")
    }

    @Test(
        "values holding contacts, an NIR, an IBAN or a birth date are refused",
        arguments: [
            ("écrire à jeanne.martin@example.org", "contains an e-mail address (email)"),
            ("tél. 01 23 45 67 89", "contains a phone number (phone)"),
            ("+33 (0)6 12 34 56 78", "contains a phone number (phone)"),
            ("NIR 1 85 05 78 006 084 91", "contains a social security number (nir)"),
            ("FR76 3000 6000 0112 3456 7890 189", "contains a bank account number (iban)"),
            ("née le 3 mars 1985", "contains a date of birth (birth-date)"),
        ])
    func values(text: String, reason: String) {
        #expect(guardian.findings(in: ["title": .string(text)]) == [Violation(path: "title", reason: reason)])
    }

    @Test("the quick pass lets through every text the full check would refuse")
    func quickPassAgrees() {
        var generator = SystemRandomNumberGenerator()
        let digits =
            (0...9).map(String.init) + [" ", ".", "-", "+", "\u{00A0}", "\u{202F}", "T", ":", "/", "(", ")", "A", "B", "FR", "33", "76"]
        let words = [
            "0", "1", "6", " ", ".", "-", "@", "a", "x.org", "é", "T", "(at)", " at ", "[", "]", "at", "n", "né", "ne", "e", "le",
            "12", "/", "03", "1985", "mars", "＠", "arobase", "dot", "(", ")", "N", "É", "\u{0301}", "«", "Atelier", "\u{00A0}",
            "·", "LE", "Ne", "1er", "FR76", "3000",
        ]
        var refused = 0
        for round in 0..<40_000 {
            let alphabet = round.isMultiple(of: 2) ? digits : words
            let text = (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "" }.joined()
            let full = PersonalDataPatterns.allKinds(in: text)
            if !full.isEmpty {
                refused += 1
                #expect(PersonalDataPatterns.mayContainPersonalData(text), "\(text): \(full)")
                #expect(PersonalDataPatterns.mayContainPersonalData(utf8: Array(text.utf8)), "\(text): \(full)")
            }
            #expect(PersonalDataPatterns.kinds(in: text) == full)
        }
        #expect(refused > 200)
    }

    @Test("the quick pass settles ordinary French text: workshops, communes, \"ne pas\"")
    func quickPassSettlesText() {
        for text in ["Atelier d'écriture", "Neuilly-sur-Seine", "Il ne faut pas", "Nevers", "atelier at", "date", "startsAt", "Une née"] {
            #expect(!PersonalDataPatterns.mayContainPersonalData(text), "\(text)")
        }
    }

    @Test("a member name holding personal data is refused, and written masked in every path")
    func memberNames() {
        let payload: JSONValue = ["contacts": ["06 12 34 56 78": ["note": "jeanne@example.org"]]]
        let findings = guardian.findings(in: payload)
        #expect(
            findings == [
                Violation(path: "contacts.[masqué:phone]", reason: "field name contains a phone number (phone)"),
                Violation(path: "contacts.[masqué:phone].note", reason: "contains an e-mail address (email)"),
            ])
        #expect(!findings.description.contains("06 12"))
        #expect(PersonalDataGuard.mayHaveFindings(["06 12 34 56 78": 1]))
    }

    @Test("the key and the envelope's strings are read, each finding named by its place")
    func envelopePlaces() throws {
        let envelope = CloudEvent(
            id: "jeanne@example.org", source: "urn:tool:06 12 34 56 78", type: "clsm.declared.v1",
            time: try #require(Timestamp("2026-10-05T10:00:00+02:00")), subject: "né le 12/03/1985", data: [])
        let binary = PersonalDataGuard.places(of: envelope, key: Array("FR7630006000011234567890189".utf8), structured: false)
        #expect(
            guardian.findings(inPlaces: binary) == [
                Violation(path: "key", reason: "contains a bank account number (iban)"),
                Violation(path: "header:ce_id", reason: "contains an e-mail address (email)"),
                Violation(path: "header:ce_source", reason: "contains a phone number (phone)"),
                Violation(path: "header:ce_subject", reason: "contains a date of birth (birth-date)"),
            ])
        let structured = PersonalDataGuard.places(of: envelope, key: nil, structured: true)
        #expect(guardian.findings(inPlaces: structured).map(\.path) == ["envelope:id", "envelope:source", "envelope:subject"])
        do {
            try guardian.check(["title": "Atelier"], envelope: envelope, key: nil, structured: false, context: "ctx")
            Issue.record("not refused")
        } catch {
            #expect(error.code == .personalData)
            #expect(error.violations.count == 3)
        }
    }

    @Test(
        "ordinary payload values pass",
        arguments: [
            "2026-10-07T14:00:00+02:00", "93066", "QN09301M", "Maison de quartier du Franc-Moisin, 12 rue de la Paix",
            "SISM 2026 : 12 ateliers, 3 conférences", "https://example.org/ptsm-93/diagnostic-v2.pdf", "CLSM @ Saint-Denis",
            "75056", "sd-2026-014", "Ville de Saint-Denis", "3f0c1a52-6b1e-4f7e-9a51-0d1f5a7c2b01", "[masqué:email+phone]",
        ])
    func clean(text: String) {
        #expect(guardian.findings(in: ["title": .string(text)]).isEmpty)
    }

    @Test("counts are fine even when their name mentions patients, and every example passes")
    func allowed() throws {
        #expect(guardian.findings(in: ["patientCount": 3]).isEmpty)
        for file in try Fixture.exampleEventFiles() {
            let json = try JSONParser.parse(Fixture.bytes("docs/examples/events/" + file))
            #expect(guardian.findings(in: json["data"]!).isEmpty, "\(file)")
        }
    }

    @Test("the walk that settles clean payloads says \"maybe\" for every payload with findings")
    func quickWalkAgrees() throws {
        var generator = SystemRandomNumberGenerator()
        let keys = ["title", "venue", "lastName", "patientCount", "contactEmail", "members", "n"]
        let texts = ["Saint-Denis", "jeanne@example.org", "06 12 34 56 78", "93066", "2850578006084", ""]
        func value(depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 2 ? 2 : 4), using: &generator) {
            case 0: .string(texts.randomElement(using: &generator)!)
            case 1: 7
            case 2: .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in value(depth: depth + 1) })
            default:
                .object(
                    Dictionary(
                        (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                            (keys.randomElement(using: &generator)!, value(depth: depth + 1))
                        }, uniquingKeysWith: { first, _ in first }))
            }
        }
        var withFindings = 0
        for _ in 0..<5_000 {
            let payload = value(depth: 0)
            let found = guardian.findings(in: payload)
            if !found.isEmpty { withFindings += 1 }
            #expect(found.isEmpty || PersonalDataGuard.mayHaveFindings(payload), "\(payload)")
        }
        #expect(withFindings > 500)
        for file in try Fixture.exampleEventFiles() {
            let json = try JSONParser.parse(Fixture.bytes("docs/examples/events/" + file))
            #expect(!PersonalDataGuard.mayHaveFindings(json["data"]!), "\(file): clean, settled by the walk")
        }
    }
}
