/// An enumeration ordered as its cases are declared: sorted lists of reasons, kinds or
/// funders read in the order the type gives them, in reports and notification data alike.
public protocol DeclarationOrdered: CaseIterable, Comparable {}

extension DeclarationOrdered {
    public static func < (lhs: Self, rhs: Self) -> Bool {
        // Every value of a case-iterable enumeration is in `allCases`: `endIndex` is never used.
        let cases = Array(allCases)
        return (cases.firstIndex(of: lhs) ?? cases.endIndex) < (cases.firstIndex(of: rhs) ?? cases.endIndex)
    }
}
