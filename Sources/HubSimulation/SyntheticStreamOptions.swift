import HubDomain

/// Knobs of a synthetic stream.
public struct SyntheticStreamOptions: Sendable, Hashable {
    /// Share of activity records replaced by an invalid one (malformed JSON, unknown field,
    /// personal data, unknown commune or QPV, malformed envelope, unsupported type), to
    /// exercise dead letters. Invalid records never change what later records refer to.
    public var invalidFraction: Double
    /// Share of activity records that are the exact re-send of a recent valid record (same
    /// `ce_source`/`ce_id`, same bytes).
    public var duplicateFraction: Double
    /// Shares of the valid activity records (normalised): SISM proposals, QPV actions,
    /// CLSM re-declarations, new PTSM diagnostic versions.
    public var sismShare: Double
    public var qpvActionShare: Double
    public var clsmUpdateShare: Double
    public var ptsmShare: Double
    /// Share of yearly CLSM activity reports (`clsm.activity.reported`, answers drawn at the
    /// 2022 survey's rates, `SyntheticActivityReports`); 0 by default, which leaves the
    /// streams of the other shares exactly as they were.
    public var activityReportShare: Double
    /// Most distinct SISM proposals one CLSM makes for one edition (each CLSM draws its own
    /// limit in 3...this). Beyond it, its SISM records update or cancel earlier proposals:
    /// the regional programme of an (edition, region), which the rules read on every
    /// proposal, stays bounded (a few hundred proposals).
    public var maxProposalsPerClsmAndEdition: Int

    public init(
        invalidFraction: Double = 0, duplicateFraction: Double = 0, sismShare: Double = 0.40,
        qpvActionShare: Double = 0.54, clsmUpdateShare: Double = 0.04, ptsmShare: Double = 0.02,
        maxProposalsPerClsmAndEdition: Int = 12, activityReportShare: Double = 0
    ) {
        precondition((0...1).contains(invalidFraction) && (0...1).contains(duplicateFraction) && invalidFraction + duplicateFraction <= 1)
        precondition(maxProposalsPerClsmAndEdition >= 3)
        self.invalidFraction = invalidFraction
        self.duplicateFraction = duplicateFraction
        self.sismShare = sismShare
        self.qpvActionShare = qpvActionShare
        self.clsmUpdateShare = clsmUpdateShare
        self.ptsmShare = ptsmShare
        self.activityReportShare = activityReportShare
        self.maxProposalsPerClsmAndEdition = maxProposalsPerClsmAndEdition
    }
}
