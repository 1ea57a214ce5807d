import Foundation
import Reports
import Testing

/// docs/seed-results.md is what `hugealign report specs/seed` writes: regenerate it with the real
/// binary and compare (times aside), so the page cannot drift from the tool's verdicts.
@Suite struct SeedResultsTests {
    @Test func committedPageMatchesTheTool() throws {
        let committed = try String(contentsOfFile: Paths.repo("docs/seed-results.md"), encoding: .utf8)
        let fresh = NSTemporaryDirectory() + "hugealign-seed-\(getpid()).md"
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        let title = "The June 2025 vfio/mm thread, answered"
        let r = try runCLI(["report", "specs/seed", "--out", fresh, "--title", title, "--jobs", "2"])
        #expect(r.status == 0, "every seed verdict must be the expected one:\n\(r.out)\(r.err)")
        let page = try String(contentsOfFile: fresh, encoding: .utf8)
            .replacingOccurrences(of: "--out \(fresh)", with: "--out docs/seed-results.md")
        #expect(ResultsPage.withoutTimes(page) == ResultsPage.withoutTimes(committed),
                "docs/seed-results.md is stale: run `swift run hugealign report specs/seed --out docs/seed-results.md --title \"\(title)\"`")
    }
}
