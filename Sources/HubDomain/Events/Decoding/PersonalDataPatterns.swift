/// What a piece of personal data is: named in violations and in masks, never the value.
public enum PersonalDataKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case email
    case phone
    case nir
    case iban
    case birthDate = "birth-date"
    /// A value under a field whose name designates personal data (`lastName`...).
    case field

    /// The reason a violation gives: the kind in words, then its name as masks write it.
    public var reason: String {
        switch self {
        case .email: "contains an e-mail address (email)"
        case .phone: "contains a phone number (phone)"
        case .nir: "contains a social security number (nir)"
        case .iban: "contains a bank account number (iban)"
        case .birthDate: "contains a date of birth (birth-date)"
        case .field: "field name designates personal data (field)"
        }
    }

    /// The order of the cases: findings and masks list kinds in it.
    private var rank: Int {
        switch self {
        case .email: 0
        case .phone: 1
        case .nir: 2
        case .iban: 3
        case .birthDate: 4
        case .field: 5
        }
    }

    public static func < (lhs: PersonalDataKind, rhs: PersonalDataKind) -> Bool { lhs.rank < rhs.rank }
}

/// Value patterns: hand-written scanners rather than regular expressions, so that they are
/// fast, dependency-free and easy to reason about. They look for formats, not names: a
/// false positive blocks an event, so each pattern is held to the structure of what it
/// finds (number groupings, the NIR's fields and key, the IBAN's length and key, a dotted
/// domain after an at sign).
public enum PersonalDataPatterns {
    /// The kinds of personal data in `text`, in `PersonalDataKind` order, each once.
    public static func kinds(in text: String) -> [PersonalDataKind] {
        // Most values (names, codes, dates) have no at sign, no run of ten digits and no
        // "né": one pass over the bytes settles them.
        guard mayContainPersonalData(text) else { return [] }
        return allKinds(in: text)
    }

    /// `kinds(in:)` without the quick pass (for the test that they agree).
    static func allKinds(in text: String) -> [PersonalDataKind] {
        let scalars = Array(text.unicodeScalars)
        var found: [PersonalDataKind] = []
        if EmailScanner.contains(scalars) { found.append(.email) }
        let numbers = NumberScanner(scalars)
        if numbers.containsPhone() { found.append(.phone) }
        if numbers.containsNIR() { found.append(.nir) }
        if IBANScanner.contains(scalars) { found.append(.iban) }
        if BirthDateScanner.contains(scalars) { found.append(.birthDate) }
        return found
    }

    /// False only when `allKinds(in:)` is empty. True on any of:
    /// - an at sign: `@`, full-width `＠` (EF BC A0), small `﹫` (EF B9 AB);
    /// - ten digits in one stretch of digits, number separators (space . - + / ( )), the
    ///   `A`/`B` of Corsican départements and non-ASCII bytes (the non-breaking spaces):
    ///   every phone number and NIR the scanners accept has ten digits in such a stretch;
    /// - two upper-case letters that begin an IBAN (`FR`, `DE`...) at the start of a word,
    ///   then two digits;
    /// - `at` between a space or an opening bracket and a space or a closing one
    ///   (`jeanne (at) example.org`; not "Atelier"), `arob` (arobase);
    /// - `n` at the start of a word, `e` or a non-ASCII letter, then only `e`, brackets,
    ///   dots, hyphens, spaces and non-ASCII bytes up to ` le` (`né le`, `née le`,
    ///   `né(e) le`; not "Neuilly" nor "ne pas").
    /// So the estimate errs only towards the full check (tested against it on random texts).
    static func mayContainPersonalData(_ text: String) -> Bool {
        // Over the string's own buffer when it has one (native strings do): a pointer loop,
        // several times faster than iterating the UTF-8 view.
        text.utf8.withContiguousStorageIfAvailable { mayContainPersonalData(utf8: $0) } ?? mayContainPersonalData(utf8: text.utf8)
    }

    /// The same over UTF-8 bytes (a Kafka key, without making a string of it).
    static func mayContainPersonalData<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) -> Bool {
        var digits = 0
        // After a word-start "ne" or "né", while the bytes may still lead to " le".
        var born = false
        // The four bytes before the current one; a space stands for "before the text".
        var back1: UInt8 = 0x20
        var back2: UInt8 = 0x20
        var back3: UInt8 = 0x20
        var back4: UInt8 = 0x20
        for byte in bytes {
            if born {
                switch byte {
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    if back1 | 0x20 == UInt8(ascii: "l") { return true }
                case UInt8(ascii: "l"), UInt8(ascii: "L"):
                    born = back1 == UInt8(ascii: " ") || back1 == 0xA0
                case UInt8(ascii: " "), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "-"), 0x80...:
                    break
                default:
                    born = false
                }
            }
            switch byte {
            case UInt8(ascii: "@"):
                return true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if digits >= 10 { return true }
                if isDigit(back1), IBANScanner.startsIBAN(back3, back2), !isASCIILetterOrDigit(back4) { return true }
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "A"):
                break
            case 0x80...:
                // ＠ and ﹫ end with these bytes; the é of "né" starts with 0xC3 after an n.
                if (byte == 0xA0 && back1 == 0xBC && back2 == 0xEF) || (byte == 0xAB && back1 == 0xB9 && back2 == 0xEF) {
                    return true
                }
                if byte == 0xC3, isWordStartN(back1, back2) { born = true }
            case UInt8(ascii: "b"), UInt8(ascii: "B"):
                // B continues a stretch: 2B.
                if byte == UInt8(ascii: "b") { digits = 0 }
                if back1 | 0x20 == UInt8(ascii: "o"), back2 | 0x20 == UInt8(ascii: "r"), back3 | 0x20 == UInt8(ascii: "a") { return true }
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                digits = 0
                if isWordStartN(back1, back2) { born = true }
            default:
                digits = 0
            }
            if isAtClosing(byte), back1 | 0x20 == UInt8(ascii: "t"), back2 | 0x20 == UInt8(ascii: "a"), isAtOpening(back3) {
                return true
            }
            back4 = back3
            back3 = back2
            back2 = back1
            back1 = byte
        }
        return false
    }

    /// An `n` after anything but an ASCII letter (a non-ASCII byte may end a letter or not:
    /// taken as a word start, towards the full check).
    private static func isWordStartN(_ back1: UInt8, _ back2: UInt8) -> Bool {
        back1 | 0x20 == UInt8(ascii: "n") && !isASCIILetter(back2)
    }

    /// Before a spelled-out at sign: a space (the last byte of a non-breaking one too) or
    /// an opening bracket.
    private static func isAtOpening(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{")
            || byte == UInt8(ascii: "<") || byte == 0xA0
    }

    /// After it: a space or a closing bracket (any non-ASCII byte: a non-breaking space).
    private static func isAtClosing(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
            || byte == UInt8(ascii: ">") || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isASCIILetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }

    private static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool { isASCIILetter(byte) || isDigit(byte) }
}

// MARK: - Shared character classes

extension Unicode.Scalar {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    /// Any letter, in any script: what makes a digit part of a word (`QN07501M`, `a52`).
    var isLetter: Bool { isASCIILetter || (!isASCII && properties.isAlphabetic) }
    var asciiLowercased: Unicode.Scalar { ("A"..."Z").contains(self) ? Unicode.Scalar(value + 32) ?? self : self }
}

/// Whether `scalars` at `index` spell `word`, ASCII letters compared case-insensitively.
private func matches(_ scalars: [Unicode.Scalar], at index: Int, _ word: String) -> Bool {
    var position = index
    for expected in word.unicodeScalars {
        guard position < scalars.count, scalars[position].asciiLowercased == expected else { return false }
        position += 1
    }
    return true
}

private func skipSpaces(_ scalars: [Unicode.Scalar], from index: Int) -> Int {
    var position = index
    while position < scalars.count, scalars[position] == " " || scalars[position] == "\u{00A0}" { position += 1 }
    return position
}

// MARK: - Phone numbers and NIR

/// Digit groups and the runs they form: "01 23 45 67 89" is one run of five groups. A phone
/// number or an NIR is a sequence of whole groups of one run, so digits that belong to a
/// longer number or to a word are never read as one.
struct NumberScanner {
    struct Group {
        /// Digits, and the `A`/`B` of Corsican départements (`2A`, `2B`).
        var characters: [UInt8]
        /// A `+` right before the first digit.
        var hasPlus: Bool
        /// A letter touches the group (or its `+`) before, or after.
        var touchesLetterBefore: Bool
        var touchesLetterAfter: Bool
        var hasLetters: Bool
        /// The separators between the group before (in the run) and this one.
        var gapBefore: [Unicode.Scalar]
    }

    /// Runs of groups, each split where a date sits (`05/10/2026`, `2026-10-05`).
    private(set) var runs: [[Group]] = []

    /// Separators people write inside a number: spaces (several), dots, hyphens, slashes,
    /// parentheses (`+33 (0)1`), the non-breaking spaces and the en dash.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", ".", "-", "/", "(", ")", "\u{00A0}", "\u{202F}", "\u{2009}", "\u{2013}": true
        default: false
        }
    }

    /// At most this many separator characters between two groups of one run (`" (0)"`, `" - "`).
    static let maximumGap = 3

    /// The most characters a phone number or an NIR spans (`0033` + 9 digits, 15 for an NIR,
    /// `+33 (0)` + 9): longer sequences of groups are not looked at.
    static let maximumCandidateLength = 15

    init(_ scalars: [Unicode.Scalar]) {
        var run: [Group] = []
        var gap: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let startsGroup = scalar.isASCIIDigit || (scalar == "+" && index + 1 < scalars.count && scalars[index + 1].isASCIIDigit)
            guard startsGroup else {
                if Self.isSeparator(scalar), !run.isEmpty, gap.count < Self.maximumGap {
                    gap.append(scalar)
                } else {
                    runs += Self.splitAtDates(run)
                    run = []
                    gap = []
                }
                index += 1
                continue
            }
            let start = index
            let hasPlus = scalar == "+"
            if hasPlus { index += 1 }
            var characters: [UInt8] = []
            var hasLetters = false
            while index < scalars.count {
                let current = scalars[index]
                if current.isASCIIDigit {
                    characters.append(UInt8(truncatingIfNeeded: current.value))
                } else if current == "A" || current == "B", characters.last == UInt8(ascii: "2"),
                    index + 1 == scalars.count || !scalars[index + 1].isLetter
                {
                    characters.append(UInt8(truncatingIfNeeded: current.value))
                    hasLetters = true
                } else {
                    break
                }
                index += 1
            }
            if hasPlus, !run.isEmpty {
                // "+33 …" begins a number of its own.
                runs += Self.splitAtDates(run)
                run = []
                gap = []
            }
            run.append(
                Group(
                    characters: characters, hasPlus: hasPlus,
                    touchesLetterBefore: start > 0 && scalars[start - 1].isLetter,
                    touchesLetterAfter: index < scalars.count && scalars[index].isLetter, hasLetters: hasLetters,
                    gapBefore: gap))
            gap = []
        }
        runs += Self.splitAtDates(run)
    }

    /// `run` without the dates in it, as the runs left on either side: "05/10/2026 - 18/10/2026"
    /// holds no phone number, though 05 10 2026 18 are ten digits.
    static func splitAtDates(_ run: [Group]) -> [[Group]] {
        guard run.count >= 3 else { return run.isEmpty ? [] : [run] }
        var pieces: [[Group]] = []
        var current: [Group] = []
        var index = 0
        while index < run.count {
            if index + 2 < run.count, isDate(run[index], run[index + 1], run[index + 2]) {
                if !current.isEmpty { pieces.append(current) }
                current = []
                index += 3
                continue
            }
            current.append(run[index])
            index += 1
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// `dd/mm/yyyy`, `dd.mm.yyyy`, `dd-mm-yyyy` (one or two digits for day and month) or
    /// `yyyy-mm-dd`, `yyyy/mm/dd`: one same separator twice, a real day and month.
    static func isDate(_ first: Group, _ second: Group, _ third: Group) -> Bool {
        // Lengths first: a group may be any number of digits long (input decides).
        guard first.characters.count <= 4, second.characters.count <= 4, third.characters.count <= 4,
            second.gapBefore.count == 1, second.gapBefore == third.gapBefore, ["/", ".", "-"].contains(second.gapBefore[0]),
            !first.hasLetters, !second.hasLetters, !third.hasLetters, !second.hasPlus, !third.hasPlus,
            let a = Digits.value(first.characters), let b = Digits.value(second.characters), let c = Digits.value(third.characters)
        else { return false }
        let counts = (first.characters.count, second.characters.count, third.characters.count)
        if (1...2).contains(counts.0), (1...2).contains(counts.1), counts.2 == 4 {
            return (1...31).contains(a) && (1...12).contains(b)
        }
        if counts == (4, 2, 2) {
            return (1...12).contains(b) && (1...31).contains(c)
        }
        return false
    }

    /// The most groups a phone number or an NIR is written in (`+33 (0)1 23 45 67 89`,
    /// `1 85 05 78 006 084 91`): longer sequences of groups are not looked at.
    static let maximumCandidateGroups = 7

    /// Every sequence of whole groups of a run that no letter touches, starting with a
    /// group `starts` accepts, of at most `maximumCandidateGroups` groups and
    /// `maximumCandidateLength` characters, and of a length in `lengths`. Bounded so that a
    /// hostile text of 256 KiB of digits and spaces costs a few passes, not one per pair of
    /// groups.
    private func candidates(
        starting starts: (Group) -> Bool, lengths: ClosedRange<Int>, _ body: (ArraySlice<Group>, [UInt8]) -> Bool
    ) -> Bool {
        var characters: [UInt8] = []
        characters.reserveCapacity(Self.maximumCandidateLength + 8)
        for run in runs {
            for start in run.indices where !run[start].touchesLetterBefore && starts(run[start]) {
                characters.removeAll(keepingCapacity: true)
                for end in start..<min(run.count, start + Self.maximumCandidateGroups) {
                    if end > start, run[end].hasPlus { break }
                    characters += run[end].characters
                    if characters.count > Self.maximumCandidateLength { break }
                    if lengths.contains(characters.count), !run[end].touchesLetterAfter, body(run[start...end], characters) {
                        return true
                    }
                }
            }
        }
        return false
    }

    // MARK: Phones

    /// Country codes of France and its overseas departments (+262 Réunion and Mayotte, +590
    /// Guadeloupe, +594 Guyane, +596 Martinique; +269, Mayotte's former code).
    static let countryCodes: [[UInt8]] = ["33", "262", "590", "594", "596", "269"].map { Array($0.utf8) }

    func containsPhone() -> Bool {
        candidates(starting: { $0.hasPlus || $0.characters.first == UInt8(ascii: "0") }, lengths: 10...15) { groups, characters in
            Self.isPhone(groups, digits: characters)
        }
    }

    /// French numbers: `0[1-9]` + 8 digits (the overseas `0262`, `0590`, `0694`... too), or
    /// `+33` / `0033` (or an overseas code) + 9 digits, or + `0` + 9 digits (`+33 (0)1 …`),
    /// grouped as people write them (`phoneGroupings`).
    static func isPhone(_ groups: ArraySlice<Group>, digits: [UInt8]) -> Bool {
        guard let head = groups.first, isPhone(digits, international: head.hasPlus), !groups.contains(where: \.hasLetters) else {
            return false
        }
        guard groups.count > 1 else { return true }
        let second = groups[groups.startIndex + 1]
        var sizes = groups.map(\.characters.count)
        let first = head.characters
        guard head.hasPlus || first.starts(with: [UInt8(ascii: "0"), UInt8(ascii: "0")]) else {
            return nationalGroupings.contains(sizes)
        }
        // A country code stands alone in its group; then the national part, its 0 (in
        // parentheses or not) kept or not.
        guard countryCodes.contains(head.hasPlus ? first : Array(first.dropFirst(2))) else { return false }
        sizes.removeFirst()
        if second.characters == [UInt8(ascii: "0")] {
            sizes.removeFirst()
            return internationalGroupings.contains(sizes)
        }
        return second.characters.first == UInt8(ascii: "0")
            ? nationalGroupings.contains(sizes) : internationalGroupings.contains(sizes)
    }

    /// How people group the ten digits of a national number: `01 23 45 67 89`, `0262 12 34 56`,
    /// `0 800 12 34 56`, `06 1234 5678`, `0612 345 678`... Not `01053 01004` (commune codes),
    /// nor `05 78 006 084` (inside an NIR), nor `0532 0130 00` (inside an IBAN).
    static let nationalGroupings: Set<[Int]> = [
        [2, 2, 2, 2, 2], [4, 2, 2, 2], [1, 3, 2, 2, 2], [2, 4, 4], [4, 3, 3], [4, 6], [2, 8],
    ]

    /// The nine digits after a country code: `6 12 34 56 78`, `692 12 34 56`, `612 345 678`...
    static let internationalGroupings: Set<[Int]> = [[9], [1, 2, 2, 2, 2], [3, 2, 2, 2], [1, 4, 4], [3, 3, 3], [1, 8], [3, 6]]

    /// The digits alone (see `isPhone(_:digits:)`).
    static func isPhone(_ digits: [UInt8], international: Bool) -> Bool {
        let zero = UInt8(ascii: "0")
        var rest = digits[...]
        if !international {
            guard rest.count >= 10, rest.first == zero else { return false }
            if rest.count == 10 { return rest[rest.startIndex + 1] != zero }
            guard rest.starts(with: [zero, zero]) else { return false }
            rest = rest.dropFirst(2)
        }
        guard let code = countryCodes.first(where: { rest.starts(with: $0) }) else { return false }
        rest = rest.dropFirst(code.count)
        if rest.first == zero { rest = rest.dropFirst() }
        return rest.count == 9 && rest.first != zero
    }

    // MARK: NIR

    func containsNIR() -> Bool {
        let sexes: Set<UInt8> = Set("123478".utf8)
        return candidates(starting: { !$0.hasPlus && $0.characters.first.map(sexes.contains) == true }, lengths: 13...15) {
            groups, characters in
            Self.isNIRGrouping(groups) && Self.isNIR(characters)
                // Without a key to check, only an NIR written in groups: thirteen digits in
                // one piece are as often a millisecond timestamp (`evt-1790123456789`).
                && (characters.count == 15 || groups.count > 1)
        }
    }

    /// How an NIR is written: in one piece, 13 + key, or in groups of at most three
    /// (`1 85 05 78 006 084 36`). Not `75101 75102 75103`, a list of arrondissements.
    static func isNIRGrouping(_ groups: ArraySlice<Group>) -> Bool {
        groups.count == 1 || groups.allSatisfy { $0.characters.count <= 3 }
            || (groups.count == 2 && groups.first?.characters.count == 13 && groups.last?.characters.count == 2)
    }

    /// NIR: sex, year, month, département (`2A`/`2B` in Corsica), commune, order, then
    /// the key, 97 − (the 13 first as a number mod 97, with 2A as 19 and 2B as 18).
    /// - 15 characters: sex 1, 2 (3, 4, 7, 8 for temporary numbers), month 01–12, 20, 30–42,
    ///   50–99, and the key right;
    /// - 13 characters, no key to check: sex 1 or 2 and month 01–12 or 20 only.
    static func isNIR(_ characters: [UInt8]) -> Bool {
        guard characters.count == 13 || characters.count == 15 else { return false }
        let hasKey = characters.count == 15
        var number = 0
        for (position, character) in characters.prefix(13).enumerated() {
            let digit: Int
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) {
                digit = Int(character - UInt8(ascii: "0"))
            } else if position == 6, characters[5] == UInt8(ascii: "2") {
                // 2A → 19, 2B → 18: the département's two digits replaced as a whole.
                number = number / 10 * 10 + 1
                digit = character == UInt8(ascii: "A") ? 9 : 8
            } else {
                return false
            }
            number = number * 10 + digit
        }
        guard let sex = Digits.value(characters[0..<1]), let month = Digits.value(characters[3..<5]) else { return false }
        let department = characters[5..<7]
        guard !department.elementsEqual("00".utf8), !characters[7..<10].elementsEqual("000".utf8),
            !characters[10..<13].elementsEqual("000".utf8)
        else { return false }
        guard hasKey else {
            return (sex == 1 || sex == 2) && ((1...12).contains(month) || month == 20)
        }
        guard [1, 2, 3, 4, 7, 8].contains(sex), (1...12).contains(month) || month == 20 || (30...42).contains(month) || month >= 50,
            let key = Digits.value(characters[13..<15])
        else { return false }
        return key == 97 - number % 97
    }
}

// MARK: - IBAN

/// `FR76 3000 6000 0112 3456 7890 189`: two letters, two check digits, the national part
/// (spaces allowed between characters), of the country's length, then mod 97 = 1.
enum IBANScanner {
    /// IBAN lengths of the countries a French body deals with most: the EU and EEA, the
    /// United Kingdom, Switzerland, Monaco and the Maghreb and West African countries that
    /// use the IBAN. A country not listed is not looked for.
    static let lengths: [String: Int] = [
        "FR": 27, "MC": 27, "DE": 22, "BE": 16, "LU": 20, "CH": 21, "LI": 21, "ES": 24, "AD": 24, "IT": 27, "SM": 27,
        "VA": 22, "PT": 25, "NL": 18, "GB": 22, "IE": 22, "AT": 20, "DK": 18, "FI": 18, "SE": 24, "NO": 15, "IS": 26,
        "PL": 28, "CZ": 24, "SK": 24, "HU": 28, "RO": 24, "BG": 22, "GR": 27, "HR": 21, "SI": 19, "EE": 20, "LV": 21,
        "LT": 20, "CY": 28, "MT": 31, "MA": 28, "TN": 24, "DZ": 26, "SN": 28, "CI": 28, "ML": 28, "BF": 28, "BJ": 28,
        "CM": 27, "MG": 27, "MU": 30, "TR": 26,
    ]

    /// Whether the upper-case ASCII letters `first`, `second` are a country of `lengths`
    /// (for the quick pass).
    static func startsIBAN(_ first: UInt8, _ second: UInt8) -> Bool {
        guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first), (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(second) else {
            return false
        }
        return countries[Int(first - UInt8(ascii: "A")) * 26 + Int(second - UInt8(ascii: "A"))]
    }

    /// `lengths`' countries as a table of the 26 × 26 letter pairs.
    private static let countries: [Bool] = {
        var table = [Bool](repeating: false, count: 26 * 26)
        for country in lengths.keys {
            let letters = Array(country.utf8)
            table[Int(letters[0] - UInt8(ascii: "A")) * 26 + Int(letters[1] - UInt8(ascii: "A"))] = true
        }
        return table
    }()

    /// IBANs are written in upper case: only upper-case letters are read.
    static func contains(_ scalars: [Unicode.Scalar]) -> Bool {
        for start in scalars.indices where start + 4 <= scalars.count {
            guard isUpper(scalars[start]), start == 0 || !isAlphanumeric(scalars[start - 1]) else { continue }
            if let characters = candidate(scalars, at: start), isValid(characters) { return true }
        }
        return false
    }

    private static func isUpper(_ scalar: Unicode.Scalar) -> Bool { ("A"..."Z").contains(scalar) }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCIIDigit || scalar.isLetter }

    /// The IBAN's characters (without spaces) if one of its country's length starts at
    /// `start` and ends where a word does.
    static func candidate(_ scalars: [Unicode.Scalar], at start: Int) -> [Unicode.Scalar]? {
        guard isUpper(scalars[start + 1]), scalars[start + 2].isASCIIDigit, scalars[start + 3].isASCIIDigit,
            let length = lengths[String(String.UnicodeScalarView([scalars[start], scalars[start + 1]]))]
        else { return nil }
        var characters: [Unicode.Scalar] = []
        var index = start
        while characters.count < length, index < scalars.count {
            let scalar = scalars[index]
            if scalar.isASCIIDigit || isUpper(scalar) {
                characters.append(scalar)
            } else if scalar == " " || scalar == "\u{00A0}", index + 1 < scalars.count,
                scalars[index + 1].isASCIIDigit || isUpper(scalars[index + 1])
            {
                // one space between groups
            } else {
                return nil
            }
            index += 1
        }
        guard characters.count == length, index == scalars.count || !isAlphanumeric(scalars[index]) else { return nil }
        return characters
    }

    /// ISO 13616: the first four moved to the end, letters as 10–35, the number mod 97 is 1.
    static func isValid(_ characters: [Unicode.Scalar]) -> Bool {
        var remainder = 0
        for scalar in characters.dropFirst(4) + characters.prefix(4) {
            if scalar.isASCIIDigit {
                remainder = (remainder * 10 + Int(scalar.value - 48)) % 97
            } else {
                remainder = (remainder * 100 + Int(scalar.value) - 65 + 10) % 97
            }
        }
        return remainder == 1
    }
}

// MARK: - E-mail addresses

/// `local@domain.tld`, the at sign also written `＠`, `﹫`, `(at)`, `[at]`, `{at}`, `<at>`,
/// `(arobase)` (spaces around allowed) or ` at ` / ` arobase ` between spaces, and the dots
/// of the domain also `(dot)`, `[dot]`, `(point)`, `[point]` or ` dot `. The spelled-out
/// ` at ` asks more of the local part (a dot, an underscore or a digit, as in
/// `jeanne.martin at example.org`), so that "Workshop at saint-denis.fr" is not an address.
enum EmailScanner {
    static func contains(_ scalars: [Unicode.Scalar]) -> Bool {
        var index = 0
        while index < scalars.count {
            if let mark = atMark(scalars, at: index) {
                if isAddress(scalars, localEnd: index, domainStart: mark.end, strict: mark.strict) { return true }
                index = max(index + 1, mark.end - 1)
            } else {
                index += 1
            }
        }
        return false
    }

    /// An at sign starting at `index`: where it ends, and whether it is the spelled-out form.
    static func atMark(_ scalars: [Unicode.Scalar], at index: Int) -> (end: Int, strict: Bool)? {
        switch scalars[index] {
        case "@", "\u{FF20}", "\u{FE6B}":
            return (index + 1, false)
        case "(", "[", "{", "<", " ":
            break
        default:
            return nil
        }
        // "(at)" with optional spaces around, or " at " between spaces.
        let opening = scalars[index]
        var position = skipSpaces(scalars, from: index + 1)
        var bracketed = opening != " "
        if !bracketed, position < scalars.count, ["(", "[", "{", "<"].contains(scalars[position]) {
            bracketed = true
            position = skipSpaces(scalars, from: position + 1)
        }
        let word: String
        if matches(scalars, at: position, "arobase") {
            word = "arobase"
        } else if matches(scalars, at: position, "at") {
            word = "at"
        } else {
            return nil
        }
        position += word.unicodeScalars.count
        if bracketed {
            position = skipSpaces(scalars, from: position)
            guard position < scalars.count, [")", "]", "}", ">"].contains(scalars[position]) else { return nil }
            return (skipSpaces(scalars, from: position + 1), false)
        }
        guard position < scalars.count, scalars[position] == " " else { return nil }
        return (skipSpaces(scalars, from: position), true)
    }

    private static func isLocal(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIIDigit || scalar.isLetter || "._%+-'".unicodeScalars.contains(scalar)
    }

    private static func isLabel(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCIIDigit || scalar.isLetter || scalar == "-"
    }

    static func isAddress(_ scalars: [Unicode.Scalar], localEnd: Int, domainStart: Int, strict: Bool) -> Bool {
        var start = localEnd
        while start > 0, isLocal(scalars[start - 1]) { start -= 1 }
        let local = scalars[start..<localEnd]
        guard local.contains(where: { $0.isASCIIDigit || $0.isLetter }) else { return false }
        if strict, !local.contains(where: { $0 == "." || $0 == "_" || $0.isASCIIDigit }) { return false }
        // The domain: labels separated by dots (or spelled-out dots); the last label, letters.
        var labels: [[Unicode.Scalar]] = []
        var position = domainStart
        while true {
            var label: [Unicode.Scalar] = []
            while position < scalars.count, isLabel(scalars[position]) {
                label.append(scalars[position])
                position += 1
            }
            guard !label.isEmpty else { break }
            labels.append(label)
            guard let next = dot(scalars, at: position), next < scalars.count, isLabel(scalars[next]) else { break }
            position = next
        }
        guard labels.count >= 2, let last = labels.last else { return false }
        return last.count >= 2 && last.allSatisfy(\.isASCIILetter)
    }

    /// Where the label after a dot (or a spelled-out dot) at `index` starts.
    static func dot(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard index < scalars.count else { return nil }
        if scalars[index] == "." { return index + 1 }
        var position = skipSpaces(scalars, from: index)
        let spaced = position > index
        if position < scalars.count, ["(", "["].contains(scalars[position]) {
            let inner = skipSpaces(scalars, from: position + 1)
            for word in ["dot", "point"] where matches(scalars, at: inner, word) {
                let close = skipSpaces(scalars, from: inner + word.unicodeScalars.count)
                if close < scalars.count, [")", "]"].contains(scalars[close]) { return skipSpaces(scalars, from: close + 1) }
            }
            return nil
        }
        if spaced, matches(scalars, at: position, "dot"), position + 3 < scalars.count, scalars[position + 3] == " " {
            position = skipSpaces(scalars, from: position + 3)
            return position
        }
        return nil
    }
}

// MARK: - Dates of birth

/// `né le`, `née le`, `né(e) le`, `né·e le`, `ne le`, `nee le` (any case, accents composed or
/// not) followed by a date: `12/03/1985`, `12-03-85`, `12.03.1985`, `1985-03-12`,
/// `12 mars 1985`, `1er mars`, `12 mars` (a birthday is personal data even without the year).
enum BirthDateScanner {
    static let months: [String] = [
        "janvier", "janv", "février", "fevrier", "févr", "fevr", "fév", "fev", "mars", "avril", "avr", "mai", "juin",
        "juillet", "juil", "août", "aout", "septembre", "sept", "octobre", "oct", "novembre", "nov", "décembre",
        "decembre", "déc", "dec",
    ]

    static func contains(_ original: [Unicode.Scalar]) -> Bool {
        let scalars = composed(original)
        for index in scalars.indices where scalars[index].asciiLowercased == "n" && (index == 0 || !scalars[index - 1].isLetter) {
            guard let afterWord = bornWordEnd(scalars, from: index + 1) else { continue }
            var position = skipSpaces(scalars, from: afterWord)
            guard position > afterWord, matches(scalars, at: position, "le") else { continue }
            position += 2
            let dateStart = skipSpaces(scalars, from: position)
            guard dateStart > position, isDate(scalars, at: dateStart) else { continue }
            return true
        }
        return false
    }

    /// Lower-cased, with `e` + combining acute accent as `é`.
    static func composed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar == "\u{0301}", result.last == "e" {
                result[result.count - 1] = "é"
            } else if scalar == "É" {
                result.append("é")
            } else {
                result.append(scalar.asciiLowercased)
            }
        }
        return result
    }

    /// After the `n` at `index - 1`: the end of `é`, `ée`, `é(e)`, `é·e`, `é.e`, `é-e`,
    /// `e`, `ee`, `e(e)`, when a word ends there.
    static func bornWordEnd(_ scalars: [Unicode.Scalar], from index: Int) -> Int? {
        guard index < scalars.count, scalars[index] == "é" || scalars[index] == "e" else { return nil }
        var position = index + 1
        if position < scalars.count, scalars[position] == "e" {
            position += 1
        } else if position + 2 < scalars.count, scalars[position] == "(", scalars[position + 1] == "e", scalars[position + 2] == ")" {
            position += 3
        } else if position + 1 < scalars.count, ["·", ".", "-", "\u{2022}"].contains(scalars[position]), scalars[position + 1] == "e" {
            position += 2
        }
        guard position == scalars.count || !scalars[position].isLetter else { return nil }
        return position
    }

    static func isDate(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var position = index
        func number(maximumDigits: Int) -> Int? {
            var digits = 0
            var value = 0
            while position < scalars.count, scalars[position].isASCIIDigit, digits < maximumDigits + 1 {
                value = value * 10 + Int(scalars[position].value - 48)
                digits += 1
                position += 1
            }
            return digits == 0 || digits > maximumDigits ? nil : value
        }
        if matches(scalars, at: position, "premier") || matches(scalars, at: position, "1er") {
            position += matches(scalars, at: position, "1er") ? 3 : 7
            return isMonthName(scalars, at: skipSpaces(scalars, from: position))
        }
        guard let first = number(maximumDigits: 4) else { return false }
        let afterFirst = position
        if position < scalars.count, ["/", ".", "-"].contains(scalars[position]) {
            let separator = scalars[position]
            position += 1
            guard let second = number(maximumDigits: 2), position < scalars.count, scalars[position] == separator else { return false }
            position += 1
            let yearStart = position
            guard let third = number(maximumDigits: 4) else { return false }
            let thirdDigits = position - yearStart
            if afterFirst - index == 4 {
                return thirdDigits == 2 && (1...12).contains(second) && (1...31).contains(third)
            }
            return afterFirst - index <= 2 && (1...31).contains(first) && (1...12).contains(second)
                && (thirdDigits == 2 || thirdDigits == 4)
        }
        guard afterFirst - index <= 2, (1...31).contains(first) else { return false }
        return isMonthName(scalars, at: skipSpaces(scalars, from: position))
    }

    static func isMonthName(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        months.contains { month in
            let end = index + month.unicodeScalars.count
            return matches(scalars, at: index, month) && (end == scalars.count || !scalars[end].isLetter)
        }
    }
}
