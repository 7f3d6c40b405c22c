import Testing

@testable import HubDomain

/// The tables of issue 17: every form of personal data the guard must catch, with the kinds
/// it must name, and ordinary values that must pass (codes, lists, dates, identifiers).
@Suite("Personal data: true and false positives")
struct PersonalDataTableTests {
    static let truePositives: [(text: String, kinds: [PersonalDataKind])] = [
        // Phones: national, separators of every sort, international and overseas forms.
        ("tél. 01 23 45 67 89", [.phone]),
        ("06.12.34.56.78", [.phone]),
        ("06  12  34  56  78", [.phone]),
        ("06/12/34/56/78", [.phone]),
        ("01-23-45-67-89", [.phone]),
        ("(01) 23 45 67 89", [.phone]),
        ("0612345678", [.phone]),
        ("01\u{00A0}23\u{00A0}45\u{00A0}67\u{00A0}89", [.phone]),
        ("0 800 12 34 56", [.phone]),
        ("Appeler le 06 12 34 56 78 avant 18h", [.phone]),
        ("+33 6 12 34 56 78", [.phone]),
        ("+33612345678", [.phone]),
        ("0033612345678", [.phone]),
        ("0033 6 12 34 56 78", [.phone]),
        ("+33 (0)1 23 45 67 89", [.phone]),
        ("+33(0)6.12.34.56.78", [.phone]),
        ("+262 692 12 34 56", [.phone]),
        ("+590 590 12 34 56", [.phone]),
        ("+594 594 12 34 56", [.phone]),
        ("+596 696 12 34 56", [.phone]),
        ("+269 639 12 34 56", [.phone]),
        ("00262 692 12 34 56", [.phone]),
        ("0262 12 34 56", [.phone]),
        ("0590 12 34 56", [.phone]),
        ("0694 12 34 56", [.phone]),
        ("Tél.:0596.12.34.56", [.phone]),
        // NIR: in groups, in one piece with its key, Corsica, with dots.
        ("NIR 1 85 05 78 006 084 91", [.nir]),
        ("2 85 05 78 006 084", [.nir]),
        ("185057800608491", [.nir]),
        ("1850578006084 91", [.nir]),
        ("1.85.05.78.006.084.91", [.nir]),
        ("1 85 05 2A 006 084 35", [.nir]),
        ("2 91 12 2B 033 012 62", [.nir]),
        ("185052A00608435", [.nir]),
        // IBAN: French and neighbours, grouped or not.
        ("FR76 3000 6000 0112 3456 7890 189", [.iban]),
        ("IBAN : FR7630006000011234567890189", [.iban]),
        ("DE89 3704 0044 0532 0130 00", [.iban]),
        ("GB29 NWBK 6016 1331 9268 19", [.iban]),
        ("BE68 5390 0754 7034", [.iban]),
        ("virement sur CH93 0076 2011 6238 5295 7.", [.iban]),
        ("MC58 1122 2000 0101 2345 6789 030", [.iban]),
        // E-mail addresses, the at sign written every which way.
        ("écrire à jeanne.martin@example.org", [.email]),
        ("JEANNE.MARTIN@EXAMPLE.ORG", [.email]),
        ("jeanne.martin＠example.org", [.email]),
        ("jeanne﹫example.org", [.email]),
        ("jeanne.martin (at) example.org", [.email]),
        ("jeanne.martin(at)example(dot)org", [.email]),
        ("jeanne [at] example [dot] org", [.email]),
        ("jeanne{at}example.fr", [.email]),
        ("jeanne.martin at example.org", [.email]),
        ("j.martin arobase example.fr", [.email]),
        ("jeanne (arobase) example (point) fr", [.email]),
        // Dates of birth.
        ("né le 12/03/1985", [.birthDate]),
        ("née le 3 mars 1985", [.birthDate]),
        ("Né(e) le 1er janvier 1990", [.birthDate]),
        ("née le 12-03-85", [.birthDate]),
        ("NÉE LE 12.03.1985", [.birthDate]),
        ("né le 1985-03-12", [.birthDate]),
        ("ne\u{0301}e le 4 juillet 1976", [.birthDate]),
        ("Mme X, née le 12 février", [.birthDate]),
        ("né·e le 2 août 2001", [.birthDate]),
        ("nee le 7 dec. 1960", [.birthDate]),
        // Several kinds in one value.
        ("jeanne@example.org, 06 12 34 56 78", [.email, .phone]),
        ("née le 12/03/1985, NIR 2 85 03 75 112 005", [.nir, .birthDate]),
    ]

    static let falsePositives: [String] = [
        // Lists of arrondissements and commune codes, QPV codes.
        "75101 75102 75103", "75101 75102 75103 75104 75105 75106", "69381 69382 69383 69384",
        "13201 13202 13203 13204 13205", "01053 01004 01033", "93066", "75011 Paris", "2A004 2A041 2B033",
        "QN07501M", "QN09301M QN09302M QN09303M", "communes : 93066, 93001, 93048",
        // SIREN, SIRET, amounts, counts, years.
        "SIRET 362 521 879 00034", "36252187900034", "SIREN 362 521 879", "1 234 567 890 €", "1 234 567 890 123",
        "SISM 2026 : 12 ateliers, 3 conférences", "participants : 120", "2026", "Campagne 2026-2027, 5 000 participants",
        // Dates and times.
        "2026-10-05", "2026-10-05 2026-10-18", "05/10/2026 - 18/10/2026", "du 05/10/2026 au 18/10/2026",
        "2026-10-07T14:00:00+02:00", "14:00", "14h30-16h30", "10.30", "le 12 octobre", "le 12/10/2026 et le 13/10/2026",
        // Identifiers: UUIDs, timestamps, slugs.
        "3f0c1a52-6b1e-4f7e-9a51-0d1f5a7c2b01", "12345678-0612-4345-8678-123456789012", "evt-1790123456789", "sd-2026-014",
        "urn:clsm-tool:saint-denis", "cls-plaine-commune",
        // URLs and at signs that are not addresses.
        "https://example.org/ptsm-93/diagnostic-v2.pdf", "https://mastodon.social/@clsm93",
        "https://example.org/@user/posts/1234567890", "CLSM @ Saint-Denis", "@clsm_93",
        // French and English phrases near the patterns.
        "née de la rencontre entre le CLSM et l'ASV", "une action menée le 12 octobre 2026", "Une journée le 12 mars 2026",
        "Il ne le 12", "Meeting at the town hall", "Workshop at saint-denis.fr", "Ateliers at 10.30",
        // Almost: a wrong IBAN key, a foreign phone, too few digits.
        "FR76 3000 6000 0112 3456 7890 188", "+44 20 7946 0958", "01 23 45 67", "Tél. : voir le site",
    ]

    @Test("every value of the personal-data table is caught, with its kinds", arguments: truePositives)
    func caught(text: String, kinds: [PersonalDataKind]) {
        #expect(PersonalDataPatterns.kinds(in: text) == kinds, "\(text)")
        #expect(PersonalDataPatterns.mayContainPersonalData(text), "\(text): the quick pass must let it through")
    }

    @Test("no value of the false-positive table is caught", arguments: falsePositives)
    func passes(text: String) {
        #expect(PersonalDataPatterns.kinds(in: text).isEmpty, "\(text)")
        #expect(PersonalDataPatterns.allKinds(in: text).isEmpty, "\(text)")
    }

    @Test("random texts near the patterns: no trap, masks hold nothing, masking twice changes nothing")
    func randomTexts() {
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "0", "6", "1", "2A", "33", "+", " ", "  ", ".", "/", "(", ")", "-", "@", "＠", " at ", "(at)", "[dot]", ".org", "jeanne",
            "FR76", "3000", "né", "e", " le ", "12", "/03/", "1985", "mars", "1er", "\u{00A0}", "\u{0301}", "x", "É", "[masqué:",
        ]
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 0...30, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            let kinds = PersonalDataPatterns.kinds(in: text)
            #expect(kinds == Array(Set(kinds)).sorted())
            let masked = PersonalDataMasking.masked(["t": .string(text), text: 1])
            #expect(PersonalDataMasking.masked(masked) == masked, "\(text)")
            if !kinds.isEmpty { #expect(PersonalDataMasking.maskedText(PersonalDataMasking.mask(kinds)) == nil) }
        }
    }

    @Test("hostile sizes: 256 KiB of digits and separators, of at signs, of \"né le\" are scanned without trapping")
    func hostileSizes() {
        let size = 256 * 1024
        for unit in ["0 ", "1", "@", "a@", "0612345678 ", "né le 1", " at x.y", "FR76 ", "2A", "(0)", "+33"] {
            let text = String(repeating: unit, count: size / unit.utf8.count)
            _ = PersonalDataPatterns.kinds(in: text)
            _ = PersonalDataMasking.maskedText(text)
        }
    }

    @Test("digit groups of any length beside date separators are scanned without trapping (a fuzz finding)")
    func longDigitGroups() {
        for text in [
            "99999999999999999999/12/2026", "05/99999999999999999999/2026", "05/10/99999999999999999999999",
            "2026-10-" + String(repeating: "9", count: 40), String(repeating: "12345678901234567890/", count: 50),
        ] {
            #expect(PersonalDataPatterns.kinds(in: text).isEmpty, "\(text)")
        }
        #expect(Digits.value(Array(String(repeating: "9", count: 40).utf8)) == nil, "does not fit an Int")
        #expect(Digits.value(Array("9223372036854775807".utf8)) == Int.max)
        #expect(Digits.value(Array("9223372036854775808".utf8)) == nil)
    }

    @Test("the tables are as large as the issue asks")
    func sizes() {
        #expect(Self.truePositives.count >= 40)
        #expect(Set(Self.truePositives.flatMap(\.kinds)) == Set(PersonalDataKind.allCases).subtracting([.field]))
        #expect(Self.falsePositives.count >= 40)
    }
}
