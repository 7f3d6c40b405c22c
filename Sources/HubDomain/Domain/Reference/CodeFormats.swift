/// Formats of the French territorial codes the hub accepts. Checking the format in the
/// schema step gives a precise `schema_violation`; whether the code exists is checked later
/// against reference data (`unknown_reference`).
public enum CodeFormat {
    /// INSEE commune code: five digits, or `2A`/`2B` + three digits for Corsica
    /// (Paris, Lyon and Marseille arrondissements have their own codes, e.g. 75056 / 75101).
    public static func isCommune(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 5 else { return false }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        if bytes[0] == UInt8(ascii: "2"), bytes[1] == UInt8(ascii: "A") || bytes[1] == UInt8(ascii: "B") {
            return bytes[2...].allSatisfy(isDigit)
        }
        return bytes.allSatisfy(isDigit)
    }

    /// Département code: two digits (`01`-`95`), `2A`/`2B`, or three digits for overseas (`971`-`976`).
    public static func isDepartement(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        switch bytes.count {
        case 2: return code == "2A" || code == "2B" || bytes.allSatisfy(isDigit)
        case 3: return bytes[0] == UInt8(ascii: "9") && bytes[1] == UInt8(ascii: "7") && isDigit(bytes[2])
        default: return false
        }
    }

    /// QPV code: `QN` (2024 list) or `QP` (2015 list) followed by six upper-case letters or
    /// digits, e.g. `QN07501M`, `QP093005`.
    public static func isQpv(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 8, bytes[0] == UInt8(ascii: "Q"), bytes[1] == UInt8(ascii: "N") || bytes[1] == UInt8(ascii: "P") else {
            return false
        }
        return bytes[2...].allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
        }
    }

    /// SIREN (an EPCI's, for instance): nine digits.
    public static func isSiren(_ code: String) -> Bool {
        code.utf8.count == 9 && code.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Region code (INSEE, e.g. `11` Île-de-France, `84` Auvergne-Rhône-Alpes): two digits.
    public static func isRegion(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return bytes.count == 2 && bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

extension Strict {
    public static let commune = Strict.code("an INSEE commune code (5 characters, e.g. 93066)", CodeFormat.isCommune)
    public static let departement = Strict.code("a département code (e.g. 93, 2A, 974)", CodeFormat.isDepartement)
    public static let qpv = Strict.code("a QPV code (e.g. QN09301M)", CodeFormat.isQpv)
    public static let siren = Strict.code("a SIREN (9 digits, e.g. 200057867)", CodeFormat.isSiren)
    public static let region = Strict.code("an INSEE region code (2 digits, e.g. 11)", CodeFormat.isRegion)
}
