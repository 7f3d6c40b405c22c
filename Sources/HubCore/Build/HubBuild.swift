/// What this build of the hub is: the version both executables print with `--version`,
/// and the labels of the workers' `hub_build_info` metric.
///
/// The version is set here and only here. It follows CHANGELOG.md: no release yet, so the
/// development version of the issue under way (`0.16.0-dev` while issue 16 is; the first
/// release drops `-dev` and gets its own CHANGELOG section).
public enum HubBuild {
    public static let version = "0.16.0-dev"

    /// The Swift compiler that built this binary (major.minor), from `#if compiler`.
    public static let swiftCompiler: String = {
        #if compiler(>=6.4)
            return "6.4+"
        #elseif compiler(>=6.3)
            return "6.3"
        #elseif compiler(>=6.2)
            return "6.2"
        #else
            return "<6.2"
        #endif
    }()

    /// The labels of `hub_build_info` (value 1), in order.
    public static var infoLabels: [(String, String)] {
        [("version", version), ("swift", swiftCompiler)]
    }
}
