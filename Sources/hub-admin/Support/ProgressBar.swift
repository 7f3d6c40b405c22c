import Foundation

/// A one-line progress bar on standard error, for long work (imports, replays, republishing).
///
/// Drawn only when standard error is a terminal, so scripts and logs stay clean; the
/// command's result still goes to standard output either way.
final class ProgressBar {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private var done = 0
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(_ label: String, total: Int, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = max(total, 0)
        self.enabled = enabled && total > 0
    }

    func advance(by count: Int = 1) {
        done += count
        // At most ten redraws a second: a terminal write per item would slow a replay down.
        if ContinuousClock.now - lastDrawn >= .milliseconds(100) || done >= total { draw() }
    }

    /// Ends the bar's line.
    func finish() {
        guard enabled else { return }
        draw()
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw() {
        guard enabled else { return }
        lastDrawn = .now
        let fraction = min(Double(done) / Double(total), 1)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r\(label) [\(bar)] \(done)/\(total) \(Int(fraction * 100))%"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
