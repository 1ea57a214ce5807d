import ArgumentParser
import Engines

/// `--solver` of the commands that prove (prove, report, diff): who decides the bit-vector queries
/// (`SolverChoice`, docs/verdicts.md "The solver portfolio").
struct SolverOptions: ParsableArguments {
    @Option(help: "Which solvers decide queries: auto (where their Python bindings are installed — pip install bitwuzla z3-solver — Bitwuzla first on bit-vector queries and a Z3 newer than the linked one first on integer forms, an 'unsat' of theirs being the proof, then the linked Z3; else the linked Z3 alone), z3 (the linked Z3 alone), or portfolio (as auto, exit 3 when Bitwuzla is missing). A verdict or counterexample the linked Z3 gives is the same either way.")
    var solver: SolverChoice = .auto

    /// The choice, after making sure `portfolio` has its Bitwuzla (exit 3 otherwise).
    func choice() throws -> SolverChoice {
        if solver == .portfolio && SolverChoice.bitwuzlaVersion == nil {
            FileHandleStream.standardError.write("hugealign: --solver portfolio needs Bitwuzla's Python binding: pip install bitwuzla (python3 from $HUGEALIGN_PYTHON or the PATH)\n")
            throw ExitCode(ExitStatus.missingPrerequisite.rawValue)
        }
        return solver
    }
}
