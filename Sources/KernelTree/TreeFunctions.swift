import KernelC
import Placement

/// The placement functions of a kernel tree for one configuration, parsed and checked in the
/// environment hugealign writes around them (`Environment`), ready to replace the bundled models.
public struct TreeFunctions: FunctionReplacement {
    /// What became of one placement function.
    public enum Outcome: Sendable {
        /// Read from the tree and accepted by the front end.
        case accepted
        /// Not defined in the files it is looked for in.
        case absent
        /// Its definition depends on a preprocessor condition hugealign cannot decide.
        case undecided(symbol: String, line: Int)
        /// The front end stopped at this diagnostic.
        case rejected(Diagnostic)
    }

    public struct Entry: Sendable {
        public var function: PlacementFunction
        /// Where the definition was found (`mm/mmap.c`), when it was.
        public var file: String?
        public var outcome: Outcome
        var syntax: FunctionSyntax?
    }

    public let tree: KernelTree
    public let config: Config
    public private(set) var entries: [Entry] = []
    /// The environment's functions (structs' accessors, globals, helpers without a tree definition).
    public private(set) var environment: [FunctionSyntax]
    /// Environment functions left out because something they name did not make it (the hook
    /// accessor names every provider): the function and why.
    public private(set) var droppedEnvironment: [(name: String, reason: Diagnostic)] = []

    /// Reads, parses and checks every placement function of `config`'s arch, or only `only`.
    public init(tree: KernelTree, config: Config, only: Set<String>? = nil) throws {
        self.tree = tree
        self.config = config
        environment = try Environment.functions(for: config)
        let macros = PlacementFunctions.macros(for: config, archPage: try tree.file("arch/x86/include/asm/page.h")?.text)
        var files: [String: SourceFile?] = [:]
        for f in PlacementFunctions.functions(for: config) where only == nil || only!.contains(f.name) || !f.counted {
            var entry = Entry(function: f, file: nil, outcome: .absent, syntax: nil)
            search: for path in f.files {
                if files[path] == nil { files[path] = try tree.file(path) }
                guard let source = files[path]! else { continue }
                switch FunctionExtractor.definition(of: f.name, in: source, macros: macros) {
                case .absent: continue
                case .undecided(let symbol, let line):
                    entry.file = path
                    entry.outcome = .undecided(symbol: symbol, line: line)
                    break search
                case .found(let text):
                    entry.file = path
                    do {
                        var parser = try Parser(file: text)
                        let unit = try parser.parseUnit()
                        entry.syntax = unit.functions.first { $0.name == f.name }
                        if entry.syntax != nil { try LoopInvariants.attach(to: &entry.syntax!) }
                        entry.outcome = entry.syntax == nil ? .absent : .accepted
                    } catch let d as Diagnostic {
                        entry.outcome = .rejected(d)
                    }
                    break search
                }
            }
            // Helpers the tree lacks are simply not used (the environment may stand in).
            if !f.counted, entry.syntax == nil { continue }
            entries.append(entry)
        }
        // mmap() up to the placement is the tree's do_mmap() when it made it (the wrapper then
        // replaces the bundled do_mmap_placement).
        if let doMmap = entries.first(where: { $0.function.name == "do_mmap" }), case .accepted = doMmap.outcome, let syntax = doMmap.syntax {
            environment = try Environment.functions(for: config, doMmapParameters: syntax.parameters.count)
        }
        try checkTogether()
    }

    /// Checks the accepted functions with the environment; a function the checker stops at is
    /// rejected with that diagnostic and the rest are checked again (its callers then stop too).
    mutating func checkTogether() throws {
        while true {
            let unit = TranslationUnitSyntax(includes: [], functions: unchecked(into: []), properties: [])
            do {
                _ = try Checker.check(unit, model: config.dataModel)
                return
            } catch let d as Diagnostic {
                if let i = entries.firstIndex(where: { e in
                    guard case .accepted = e.outcome, let s = e.syntax else { return false }
                    return d.location.file === s.location.file
                }) {
                    entries[i].outcome = .rejected(d)
                    continue
                }
                // In the environment: that function goes (its callers then stop), as long as it
                // names a tree function that stopped; anything else is a hugealign bug.
                let stopped = Set(entries.filter { if case .accepted = $0.outcome { return false } else { return true } }.map(\.function.name))
                guard d.location.file?.path == Environment.path, stopped.contains(where: { d.message.contains("'\($0)'") }),
                      let e = environment.lastIndex(where: { $0.location.line <= d.location.line }) else {
                    throw Diagnostic(d.location, "in hugealign's kernel environment: \(d.message)")
                }
                droppedEnvironment.append((environment[e].name, d))
                environment.remove(at: e)
            }
        }
    }

    /// The accepted tree functions.
    public var accepted: [FunctionSyntax] { entries.compactMap { if case .accepted = $0.outcome { return $0.syntax } else { return nil } } }

    /// The bundled names a tree replaces: every placement function of every arch (a version that
    /// lacks one does not get the bundled model in its place: that would mix two versions; the
    /// other arch's are not used), the models they supersede, and what the environment defines.
    public var replacedNames: Set<String> {
        var names = Set(environment.map(\.name))
        for f in PlacementFunctions.all { names.insert(f.name); names.formUnion(f.supersedes) }
        return names
    }

    /// A program's functions with the tree's and the environment's in place of the bundled ones.
    /// A placement function the program has a model of, but that did not make it from the tree, is
    /// an error: the program would mix the tree's code with the bundled models.
    public func merged(into bundled: [FunctionSyntax]) throws -> [FunctionSyntax] {
        // A function this version does not have is simply not there (a caller gets the checker's
        // "unknown function"); one it has but the front end could not take is an error here.
        let modelled = Set(bundled.map(\.name))
        for e in entries where e.function.counted && (modelled.contains(e.function.name) || !modelled.isDisjoint(with: e.function.supersedes)) {
            switch e.outcome {
            case .accepted, .absent: continue
            case .rejected, .undecided: if let d = failure(of: e) { throw d }
            }
        }
        return unchecked(into: bundled)
    }

    public var kernelVersion: String? { tree.version }

    public var sourceDescription: String {
        "kernel tree \(tree.path)\(tree.version.map { " (Linux \($0))" } ?? "")"
    }

    func unchecked(into bundled: [FunctionSyntax]) -> [FunctionSyntax] {
        let tree = accepted
        let treeNames = Set(tree.map(\.name))
        let env = environment.filter { !treeNames.contains($0.name) }
        let replaced = replacedNames
        return env + tree + bundled.filter { !replaced.contains($0.name) }
    }

    /// The first function that did not make it, as an error (exit 2 in the CLI).
    public func firstFailure() -> Diagnostic? {
        for e in entries where e.function.counted { if let d = failure(of: e) { return d } }
        return nil
    }

    /// Why a function did not make it from the tree, as an error; nil when it did.
    public func failure(of e: Entry) -> Diagnostic? {
        switch e.outcome {
        case .accepted: return nil
        case .rejected(let d):
            var out = Diagnostic(d.location, "\(e.function.name) from the kernel tree: \(d.message)")
            out.notes = d.notes
            return out
        case .absent:
            return Diagnostic(.unknown, "\(e.function.name) is not defined in \(e.function.files.joined(separator: " or ")) of the kernel tree \(tree.path)")
        case .undecided(let symbol, let line):
            return Diagnostic(.unknown, "\(e.function.name) in \(tree.displayPath(e.file ?? "")):\(line) depends on '#if \(symbol)', which hugealign cannot decide for config \(config.name)")
        }
    }
}
