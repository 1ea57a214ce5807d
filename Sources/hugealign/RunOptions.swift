import ArgumentParser

/// What prove, fuzz and check share: which property, where the counterexample reports go, JSON
/// output and parallel jobs.
struct RunOptions: ParsableArguments {
    @Option(help: "Only this property (default: every property, in turn).")
    var property: String?

    @Option(help: "Where to write counterexample reports (JSON, text, SVG, C reproducer; default for fuzz and check: next to the spec, specs/x.spec → specs/x.cex/).")
    var out: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Option(parsing: .unconditional, help: "Parallel jobs (results are still printed in order, and do not depend on the number).")
    var jobs: Int = 1

    func validate() throws {
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be in 1...256") }
    }
}
