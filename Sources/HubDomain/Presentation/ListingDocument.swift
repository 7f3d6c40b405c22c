/// Several listings with different columns, printed together in one of the
/// `ListingFormat`s: a report of `hub-admin report` (the CLSMs, then the region's rates...),
/// the sections of `hub-admin status`.
///
/// - table: the title line (when there is one), then each section under its underlined
///   heading, for people;
/// - json: one object: the `facts` (report, region, edition...) as strings, then one array
///   of row objects per section keyed by its name (what `Listing.json()` prints for one
///   listing), so a script reads it with one parse;
/// - csv: a CSV file holds one table, so CSV renders *one* section: the first unless another
///   is named.
public struct ListingDocument: Sendable, Hashable {
    public struct Section: Sendable, Hashable {
        /// Key in JSON and value of `--section` (`clsms`, `lag`...).
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

    /// A named value the document is about, a string in JSON: ("report", "articulation"),
    /// ("region", "11")...
    public struct Fact: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The line above the sections in a table; nil for none.
    public var title: String?
    public var facts: [Fact]
    public var sections: [Section]

    public init(title: String? = nil, facts: [Fact] = [], sections: [Section]) {
        precondition(!sections.isEmpty, "a document has at least one section")
        self.title = title
        self.facts = facts
        self.sections = sections
    }

    public var sectionNames: [String] { sections.map(\.name) }

    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    /// Renders every section, or only `section` when given. CSV renders the first section
    /// when none is named. Throws when `section` names none of the document's sections.
    public func rendered(as format: ListingFormat, section name: String? = nil) throws(UnknownListingSection) -> String {
        let chosen: [Section]
        if let name {
            guard let section = section(name) else { throw UnknownListingSection(name: name, known: sectionNames) }
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
        var parts = title.map { [$0 + "\n"] } ?? []
        parts += chosen.map { section in
            let rule = String(repeating: "=", count: section.title.count)
            return section.title + "\n" + rule + "\n" + (section.listing.rows.isEmpty ? "(none)\n" : section.listing.table())
        }
        return parts.joined(separator: "\n")
    }

    private func json(_ chosen: [Section]) -> String {
        var members = facts.map { ($0.name, JSONValue.string($0.value).canonicalString()) }
        members += chosen.map { section in
            // Listing's JSON array, indented one level further to sit inside the object.
            let array = section.listing.json().dropLast().replacingOccurrences(of: "\n", with: "\n  ")
            return (section.name, array)
        }
        let body = members.map { "  " + JSONValue.string($0.0).canonicalString() + ": " + $0.1 }.joined(separator: ",\n")
        return "{\n" + body + "\n}\n"
    }
}

public struct UnknownListingSection: Error, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var known: [String]

    public var description: String { "no section \(name) (sections: \(known.joined(separator: ", ")))" }
}
