/// Several listings under names, printed together (`hub-admin status`): a report made of
/// tables that have different columns.
///
/// - table: each section under its title, separated by a blank line;
/// - json: ONE object whose keys are the section names, each an array of row objects
///   (what `Listing.json()` prints for one listing), so a script reads it with one parse;
/// - csv: CSV has no place for several tables, so each section is preceded by a
///   `# name` line and followed by a blank line; a caller that wants plain CSV prints one
///   section alone (`only(_:)`), which renders as bare CSV.
public struct ListingSections: Sendable, Hashable {
    public struct Section: Sendable, Hashable {
        /// The key in JSON and the `# name` line in CSV (`lag`, `outbox`...).
        public var name: String
        /// The heading above the table, for people.
        public var title: String
        public var listing: Listing

        public init(name: String, title: String, listing: Listing) {
            self.name = name
            self.title = title
            self.listing = listing
        }
    }

    public var sections: [Section]

    public init(_ sections: [Section]) {
        self.sections = sections
    }

    /// The sections named `name` only (all of them when nil).
    public func only(_ name: String?) -> ListingSections {
        guard let name else { return self }
        return ListingSections(sections.filter { $0.name == name })
    }

    public func rendered(as format: ListingFormat) -> String {
        switch format {
        case .table: table()
        case .json: json()
        case .csv: csv()
        }
    }

    public func table() -> String {
        sections.map { section in
            let rule = String(repeating: "=", count: section.title.count)
            let body = section.listing.rows.isEmpty ? "(none)\n" : section.listing.table()
            return section.title + "\n" + rule + "\n" + body
        }.joined(separator: "\n")
    }

    /// `{"lag": [{...}, ...], "outbox": [...]}`, keys in section order, one row object a line.
    public func json() -> String {
        guard !sections.isEmpty else { return "{}\n" }
        let members = sections.map { section in
            let objects = section.listing.rows.map { row in
                "{" + zip(section.listing.columns, row).map { JSONValue.string($0).canonicalString() + ":" + $1.json }
                    .joined(separator: ",") + "}"
            }
            let array = objects.isEmpty ? "[]" : "[\n    " + objects.joined(separator: ",\n    ") + "\n  ]"
            return JSONValue.string(section.name).canonicalString() + ": " + array
        }
        return "{\n  " + members.joined(separator: ",\n  ") + "\n}\n"
    }

    /// One section: plain CSV. Several: `# name` line, the CSV, a blank line between them.
    public func csv() -> String {
        if sections.count == 1 { return sections[0].listing.csv() }
        return sections.map { "# \($0.name)\r\n" + $0.listing.csv() }.joined(separator: "\r\n")
    }
}
