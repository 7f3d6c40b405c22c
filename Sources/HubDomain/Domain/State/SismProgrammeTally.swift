/// A regional SISM programme: one edition in one region (the region of the proposing CLSM).
public struct SismProgrammeId: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var edition: Int
    public var region: String

    public init(edition: Int, region: String) {
        self.edition = edition
        self.region = region
    }

    /// The programme `record` counts in.
    public init(of record: SismProposalRecord) {
        self.init(edition: record.proposal.edition, region: record.region)
    }

    public static func < (lhs: SismProgrammeId, rhs: SismProgrammeId) -> Bool {
        (lhs.edition, lhs.region) < (rhs.edition, rhs.region)
    }

    public var description: String { "SISM \(edition) in region \(region)" }
}

/// The counts of a regional SISM programme, what `sism.programme.updated` reports, kept up
/// to date proposal by proposal.
///
/// Why a record of its own: the rule needs the programme's totals on every proposal, and
/// computing them from the proposals meant loading and scanning every proposal of the
/// region in every batch (the largest cost of processing SISM proposals). The tally holds
/// the same information: each proposal record counts in exactly one tally (`count` adds or
/// removes it), so the tally always equals the counts over the programme's proposals.
public struct SismProgrammeTally: Sendable, Hashable, Codable {
    public var edition: Int
    public var region: String
    /// Scheduled proposals (accepted, not cancelled).
    public var scheduled = 0
    /// Scheduled proposals by `SismFormat` raw value; formats with none are absent.
    public var byFormat: [String: Int] = [:]
    /// Scheduled proposals by commune; communes with none are absent.
    public var communes: [String: Int] = [:]
    /// Scheduled proposals by proposing CLSM; CLSMs with none are absent.
    public var clsms: [String: Int] = [:]
    /// Scheduled proposals in a QPV.
    public var qpvEvents = 0
    /// Accepted cancellations.
    public var cancelled = 0
    /// Refused proposals.
    public var rejected = 0

    public init(_ id: SismProgrammeId) {
        edition = id.edition
        region = id.region
    }

    public var id: SismProgrammeId { SismProgrammeId(edition: edition, region: region) }

    /// No proposal counts here (every map is then empty too): the programme has no tally.
    public var isEmpty: Bool { scheduled == 0 && cancelled == 0 && rejected == 0 }

    /// Adds (`+1`) or removes (`-1`) what `record` counts for.
    public mutating func count(_ record: SismProposalRecord, _ sign: Int) {
        if record.isScheduled {
            scheduled += sign
            Self.adjust(&byFormat, record.proposal.format.rawValue, sign)
            Self.adjust(&communes, record.proposal.commune, sign)
            Self.adjust(&clsms, record.proposal.clsmId, sign)
            if record.proposal.qpv != nil { qpvEvents += sign }
        } else if !record.isAccepted {
            rejected += sign
        } else {
            cancelled += sign
        }
    }

    /// The tally with `record` counted.
    public func counting(_ record: SismProposalRecord) -> SismProgrammeTally {
        var copy = self
        copy.count(record, +1)
        return copy
    }

    private static func adjust(_ counts: inout [String: Int], _ key: String, _ sign: Int) {
        let value = counts[key, default: 0] + sign
        counts[key] = value == 0 ? nil : value
    }
}
