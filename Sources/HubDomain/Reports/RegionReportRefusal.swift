/// Why a regional report cannot be built: it names something the reference data does not hold.
public enum RegionReportRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownRegion(String)
    case unknownSismEdition(Int, known: [Int])

    public var description: String {
        switch self {
        case .unknownRegion(let code):
            "unknown region \(code): not in the reference data (INSEE region code, e.g. 11 for Île-de-France)"
        case .unknownSismEdition(let year, let known):
            "unknown SISM edition \(year)"
                + (known.isEmpty ? ": no edition in the reference data" : " (editions: \(known.map(String.init).joined(separator: ", ")))")
        }
    }
}

extension HubState {
    /// The region `code` of the reference data, or the refusal to report on it.
    func reportRegion(_ code: String) throws(RegionReportRefusal) -> Region {
        guard let region = reference.regions[code] else { throw .unknownRegion(code) }
        return region
    }

    /// Communes of a region, through their département.
    func communes(ofRegion code: String) -> Set<String> {
        Set(reference.communes.values.filter { reference.departements[$0.departement]?.region == code }.map(\.code))
    }
}
