import Foundation

/// A value in a listing cell: typed, so that JSON output keeps numbers as numbers.
public enum ListingValue: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case text(String)
    case integer(Int64)
    case decimal(Double, fractionDigits: Int)
    case boolean(Bool)
    case null

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: String?) { self = value.map(ListingValue.text) ?? .null }

    /// As shown in a table or CSV cell; null is empty.
    public var description: String {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .decimal(let value, let digits): String(format: "%.\(digits)f", value)
        case .boolean(let value): value ? "yes" : "no"
        case .null: ""
        }
    }

    var json: String {
        switch self {
        case .text(let text): JSONValue.string(text).canonicalString()
        case .integer(let value): String(value)
        case .decimal(let value, let digits): value.isFinite ? String(format: "%.\(digits)f", value) : "null"
        case .boolean(let value): value ? "true" : "false"
        case .null: "null"
        }
    }
}

/// How `hub-admin` prints a listing (`--format table|json|csv` on every listing).
public enum ListingFormat: String, Sendable, CaseIterable {
    /// Aligned columns for people.
    case table
    /// A JSON array of objects keyed by column name, for scripts.
    case json
    /// RFC 4180 CSV with a header line, for spreadsheets.
    case csv
}

/// Rows under named columns: what every `hub-admin` listing and report table is built as,
/// then rendered in the format asked for.
public struct Listing: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[ListingValue]]

    public init(columns: [String], rows: [[ListingValue]] = []) {
        self.columns = columns
        self.rows = rows
    }

    public mutating func append(_ row: [ListingValue]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells under \(columns.count) columns")
        rows.append(row)
    }

    public func rendered(as format: ListingFormat) -> String {
        switch format {
        case .table: table()
        case .json: json()
        case .csv: csv()
        }
    }

    /// Columns padded to their widest cell (counted in characters, so accented names line
    /// up); numbers aligned right.
    public func table() -> String {
        let cells = rows.map { $0.map(\.description) }
        var widths = columns.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String], rightAligned: [Bool]) -> String {
            values.enumerated().map { index, value in
                let padding = String(repeating: " ", count: widths[index] - value.count)
                return rightAligned[index] ? padding + value : value + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let numeric = columns.indices.map { index in
            !rows.isEmpty
                && rows.allSatisfy {
                    switch $0[index] {
                    case .integer, .decimal, .null: true
                    default: false
                    }
                }
        }
        var lines = [line(columns, rightAligned: numeric)]
        lines.append(line(widths.map { String(repeating: "-", count: $0) }, rightAligned: numeric))
        lines += cells.map { line($0, rightAligned: numeric) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One object per line inside the array, keys in column order.
    public func json() -> String {
        let objects = rows.map { row in
            "{"
                + zip(columns, row).map { JSONValue.string($0).canonicalString() + ":" + $1.json }
                .joined(separator: ",") + "}"
        }
        return objects.isEmpty ? "[]\n" : "[\n  " + objects.joined(separator: ",\n  ") + "\n]\n"
    }

    public func csv() -> String {
        func field(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        let lines =
            [columns.map(field).joined(separator: ",")]
            + rows.map { $0.map { field($0.description) }.joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
