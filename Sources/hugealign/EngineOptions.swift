import ArgumentParser

/// How fuzz and check run a property: through its compiled form (C, built by the system's compiler
/// and cached), through the evaluator, or whichever pays (the default).
struct EngineOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case auto, compiled, interpreted
    }

    @Option(help: "compiled: runs as native code (C through cc; needs a C compiler, cached in ~/.cache/hugealign/native); interpreted: the evaluator; auto: compiled for campaigns with a time limit or of 20 000 runs or more (2 000 when tcc is installed).")
    var engine: Choice = .auto

    var compiled: Bool? {
        switch engine {
        case .auto: return nil
        case .compiled: return true
        case .interpreted: return false
        }
    }
}
