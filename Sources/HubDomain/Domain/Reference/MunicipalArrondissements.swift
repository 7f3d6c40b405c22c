/// Paris, Lyon and Marseille have INSEE codes for the commune (75056, 69123, 13055) and for
/// each municipal arrondissement (75101-75120, 69381-69389, 13201-13216). The field uses both:
/// a CLSM may be declared on 75056 while the QPVs, CLS or SISM events of the city are coded by
/// arrondissement, or the other way round. This is the one place where the hub decides that
/// two commune codes designate overlapping ground: the same code, or a divided commune and one
/// of its arrondissements (two different arrondissements do not meet).
///
/// Every rule and report that matches communes goes through here (`ReferenceData`'s lookups,
/// the CLSM, SISM and QPV action rules, the articulation report), and the slices the rules
/// read are widened with `related(_:)` so that storage loads the rows on the other codes.
public enum MunicipalArrondissements {
    /// The divided communes and the range of their arrondissements' codes.
    public static let cities: [(commune: String, arrondissements: ClosedRange<Int>)] = [
        ("75056", 75101...75120),  // Paris
        ("69123", 69381...69389),  // Lyon
        ("13055", 13201...13216),  // Marseille
    ]

    /// The commune an arrondissement belongs to (`75118` -> `75056`), or nil.
    public static func commune(ofArrondissement code: String) -> String? {
        guard isInDividedCity(code), let number = Int(code) else { return nil }
        return cities.first { $0.arrondissements.contains(number) }?.commune
    }

    /// Whether `code` may be one of the three cities or their arrondissements (départements
    /// 13, 69 and 75): the rules ask for every commune, and nearly all are elsewhere.
    static func isInDividedCity(_ code: String) -> Bool {
        var bytes = code.utf8.makeIterator()
        guard code.utf8.count == 5, let first = bytes.next(), let second = bytes.next() else { return false }
        switch (first, second) {
        case (UInt8(ascii: "7"), UInt8(ascii: "5")), (UInt8(ascii: "6"), UInt8(ascii: "9")), (UInt8(ascii: "1"), UInt8(ascii: "3")):
            return true
        default:
            return false
        }
    }

    /// The arrondissements of a divided commune (`69123` -> `69381`...`69389`), or none.
    public static func arrondissements(of code: String) -> [String] {
        guard isInDividedCity(code), let city = cities.first(where: { $0.commune == code }) else { return [] }
        return city.arrondissements.map(String.init)
    }

    /// The codes that meet `code`: itself, its arrondissements or its commune.
    public static func related(_ code: String) -> [String] {
        guard isInDividedCity(code) else { return [code] }
        if let commune = commune(ofArrondissement: code) { return [code, commune] }
        return [code] + arrondissements(of: code)
    }

    /// `codes` with every code that meets one of them.
    public static func related<Codes: Sequence<String>>(_ codes: Codes) -> Set<String> {
        var all = Set<String>()
        for code in codes { all.formUnion(related(code)) }
        return all
    }

    /// `codes` with every code that meets one of them: `codes` itself, not copied, when none
    /// is in the three cities (the rules' lookups ask this for every event).
    public static func related(_ codes: Set<String>) -> Set<String> {
        guard codes.contains(where: isInDividedCity) else { return codes }
        var all = codes
        for code in codes where isInDividedCity(code) { all.formUnion(related(code)) }
        return all
    }

    /// Whether two codes designate overlapping ground.
    public static func meet(_ a: String, _ b: String) -> Bool {
        a == b || commune(ofArrondissement: a) == b || commune(ofArrondissement: b) == a
    }

    /// Whether `code` meets one of `codes`.
    public static func meets<Codes: Collection<String>>(_ code: String, anyOf codes: Codes) -> Bool {
        if let set = codes as? Set<String> { return related(code).contains(where: set.contains) }
        return codes.contains { meet(code, $0) }
    }

    /// The codes of either side that meet a code of the other: the ground two territories
    /// share, the same seen from both (`shared(a, b) == shared(b, a)`), and their common
    /// codes when neither uses arrondissements.
    public static func shared<A: Collection<String>, B: Collection<String>>(_ a: A, _ b: B) -> Set<String> {
        let setA = a as? Set<String> ?? Set(a)
        var shared = setA.intersection(b)
        // Only a code of the three cities can meet a code other than itself.
        guard setA.contains(where: isInDividedCity) || b.contains(where: isInDividedCity) else { return shared }
        let setB = b as? Set<String> ?? Set(b)
        for code in setA where isInDividedCity(code) && related(code).contains(where: setB.contains) { shared.insert(code) }
        for code in setB where isInDividedCity(code) && related(code).contains(where: setA.contains) { shared.insert(code) }
        return shared
    }
}
