/// A report of several listings (the CLSMs, then the region's rates...), rendered in one of
/// the `ListingFormat`s.
///
/// - table: a title line, then each section under its own title, for people;
/// - json: one object, `"report"` and the `facts` (region, edition...) as strings, then one
///   array per section keyed by its name, for scripts;
/// - csv: a spreadsheet holds one table, so CSV renders *one* section (the first unless
///   another is named).
public struct ReportDocument: Sendable, Hashable {
    public struct Section: Sendable, Hashable {
        /// Key in JSON and value of `--section` (`clsms`, `rates`...).
        public var name: String
        /// Heading in the table rendering.
        public var title: String
        public var listing: Listing

        public init(name: String, title: String, listing: Listing) {
            self.name = name
            self.title = title
            self.listing = listing
        }
    }

    public struct Fact: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Machine name of the report (`articulation`, `sism`, `coverage`).
    public var kind: String
    public var title: String
    /// What the report is about, in order: ("region", "11"), ("regionName", "Île-de-France")...
    public var facts: [Fact]
    public var sections: [Section]

    public init(kind: String, title: String, facts: [Fact], sections: [Section]) {
        precondition(!sections.isEmpty, "a report has at least one section")
        self.kind = kind
        self.title = title
        self.facts = facts
        self.sections = sections
    }

    public var sectionNames: [String] { sections.map(\.name) }

    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    /// Renders every section, or only `section` when given. CSV renders the first section
    /// when none is named. Throws when `section` names none of the report's sections.
    public func rendered(as format: ListingFormat, section name: String? = nil) throws(UnknownReportSection) -> String {
        let chosen: [Section]
        if let name {
            guard let section = section(name) else { throw UnknownReportSection(name: name, known: sectionNames) }
            chosen = [section]
        } else {
            chosen = format == .csv ? [sections[0]] : sections
        }
        switch format {
        case .table: return table(chosen)
        case .json: return json(chosen)
        case .csv: return chosen[0].listing.csv()
        }
    }

    private func table(_ chosen: [Section]) -> String {
        var text = title + "\n"
        for section in chosen {
            text += "\n" + section.title + "\n"
            text += section.listing.rows.isEmpty ? "(none)\n" : section.listing.table()
        }
        return text
    }

    private func json(_ chosen: [Section]) -> String {
        var members = [("report", JSONValue.string(kind).canonicalString())]
        members += facts.map { ($0.name, JSONValue.string($0.value).canonicalString()) }
        members += chosen.map { section in
            // Listing's JSON array, indented one level further to sit inside the object.
            let array = section.listing.json().dropLast().replacingOccurrences(of: "\n", with: "\n  ")
            return (section.name, array)
        }
        let body = members.map { "  " + JSONValue.string($0.0).canonicalString() + ": " + $0.1 }.joined(separator: ",\n")
        return "{\n" + body + "\n}\n"
    }
}

public struct UnknownReportSection: Error, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var known: [String]

    public var description: String { "no section \(name) in this report (sections: \(known.joined(separator: ", ")))" }
}

/// Helpers shared by the report builders.
enum ReportText {
    /// A list in one cell: "a; b; c" (ids and codes never hold "; ").
    static func list<S: Sequence>(_ values: S) -> ListingValue where S.Element == String {
        let items = Array(values)
        return items.isEmpty ? .text("") : .text(items.joined(separator: "; "))
    }

    /// A share as a percentage with no decimals (null when there is nothing to divide by).
    static func percent(_ count: Int, of total: Int) -> ListingValue {
        total == 0 ? .null : .decimal(Double(count) * 100 / Double(total), fractionDigits: 0)
    }
}
