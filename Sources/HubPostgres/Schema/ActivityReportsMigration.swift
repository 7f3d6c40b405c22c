extension HubSchema {
    /// Migration 11 (issue 19): the latest activity report of each CLSM and year
    /// (`clsm.activity.reported`), a read model like the others. Kept in its own file so that
    /// the shared migrations list gains one line.
    static let activityReportsMigration = Migration(
        version: 11, name: "CLSM activity reports",
        sql: """
            -- The latest activity report of each CLSM and year (clsm.activity.reported): a newer
            -- version of the same (clsm_id, year) replaces the row, an older or equal one changes
            -- nothing. region is the CLSM's region when the report was recorded; year and region
            -- find a survey's reports (hub-admin report survey). Written by the rules, rebuilt from
            -- the event log, under row-level security by region like the other read models, and
            -- resident in the workers' memory (a write changes the state version).
            CREATE TABLE clsm_activity_reports (
                clsm_id text NOT NULL,
                year integer NOT NULL,
                region text NOT NULL,
                version integer NOT NULL,
                record jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (clsm_id, year)
            );
            CREATE INDEX clsm_activity_reports_year_region ON clsm_activity_reports (year, region);
            \(rowLevelSecurity(("clsm_activity_reports", "region IN (SELECT hub_readable_regions())")))
            \(stateWrittenTrigger(on: "clsm_activity_reports"))
            """)
}
