@testable import Engines
import Compiled
import Foundation
import HugeAlignTesting
import KernelC
import Placement
import Testing

/// Contracts (assume-guarantee, `Contracts.swift`): a property that names one sees the function's
/// calls only through it, and only once the contract itself is proved. (The bundled contracts of
/// the window searches are proved where specs/properties/placement_64.spec is, `SpecSuiteTests`.)
@Suite struct ContractTests {
    static let spec = """
    // Divides, so a call without its precondition can fail; loops, so its encoding is not free.
    static unsigned long share(unsigned long total, unsigned long parts)
    {
        unsigned long i, r = 0;

        for (i = 0; i < 3; i++)
            r += total / parts;
        return r / 3;
    }

    contract unsigned long share(unsigned long total, unsigned long parts)
        requires parts != 0
        ensures result <= total;

    // False: share() may return less than total.
    static unsigned long half(unsigned long x) { return x / 2; }
    contract unsigned long half(unsigned long x) ensures result == x;

    // True but weaker than what the function does.
    static unsigned long five(unsigned long x) { return 5; }
    contract unsigned long five(unsigned long x) ensures result <= 10;

    static unsigned long copy_length(struct vm_unmapped_area_info *info)
    {
        info->length = info->low_limit;
        return 0;
    }
    contract unsigned long copy_length(struct vm_unmapped_area_info *info) ensures result == 0;

    property share_is_bounded(unsigned long total, unsigned long parts) layout any contract share
    {
        assume(parts != 0);
        assert(share(total, parts) <= total);
    }

    // The contract's requires is not met (parts may be 0): the real run divides by zero.
    property share_without_precondition(unsigned long total, unsigned long parts) layout any contract share
    {
        share(total, parts);
    }

    property half_is_identity(unsigned long x) layout any contract half
    {
        assert(half(x) == x);
    }

    property five_is_five(unsigned long x) layout any contract five
    {
        assert(five(x) == 5);
    }

    property copy_keeps_length(unsigned long len) layout any contract copy_length
    {
        struct vm_unmapped_area_info info = {};

        info.length = len;
        copy_length(&info);
        assert(info.length == len);
    }
    """

    func prove() throws -> [String: PropertyResult] {
        try proveAll(Self.spec, config: .x86_64) { $0.concreteSearchRuns = 0 }
    }

    @Test func provedContractsAreUsedAndOthersNever() throws {
        let r = try prove()
        // Proved through the contract, and the bounds say so.
        #expect(r["share_is_bounded"]?.verdict.kind == .proved)
        #expect(r["share_is_bounded"]?.bounds.contracts?.first?.hasPrefix("share (its contract proved") == true)
        #expect(r["share_is_bounded"]?.bounds.description.contains("calls through the contracts of share") == true)
        // A call that breaks the precondition: the model replays on the real function, which fails.
        guard case .counterexample(let c)? = r["share_without_precondition"]?.verdict else {
            Issue.record("share_without_precondition: \(String(describing: r["share_without_precondition"]?.verdict))")
            return
        }
        #expect(c.inputs.first { $0.name == "parts" }?.bits == 0)
        // A false contract is never used: the property is decided with the function itself (with
        // the contract it would be "proved"), and the bounds say why.
        guard case .counterexample(let h)? = r["half_is_identity"]?.verdict else {
            Issue.record("half_is_identity: \(String(describing: r["half_is_identity"]?.verdict))")
            return
        }
        #expect((h.inputs.first { $0.name == "x" }?.bits ?? 0) != 0)
        #expect(r["half_is_identity"]?.bounds.contracts == nil)
        #expect(r["half_is_identity"]?.bounds.contractsNotUsed?.first?.hasPrefix("half: its contract fails") == true)
        // A true but weak contract: the model (a result of 7, say) does not replay — unknown, never
        // a counterexample.
        guard case .unknown(let weak)? = r["five_is_five"]?.verdict else {
            Issue.record("five_is_five: \(String(describing: r["five_is_five"]?.verdict))")
            return
        }
        #expect(weak.contains("a result only a contract allows"))
        // A function that changes the struct it is given has no contract (callers would read the
        // struct as it was): the property sees the change.
        #expect(r["copy_keeps_length"]?.verdict.kind == .counterexample)
        #expect(r["copy_keeps_length"]?.bounds.contractsNotUsed?.first?.hasPrefix("copy_length: its contract fails") == true)
    }

    /// A contract's own proof is a plan item by its name.
    @Test func aContractsProofIsProvedByName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hugealign-contract-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.spec").path
        try Self.spec.write(toFile: file, atomically: true, encoding: .utf8)
        var options = ProverOptions.deterministic()
        options.concreteSearchRuns = 0
        for (name, kind) in [("contract_share", Verdict.Kind.proved), ("contract_half", .counterexample)] {
            let plan = try SpecPlan(file: file, defaultConfig: .x86_64, only: name)
            #expect(plan.items.count == 1)
            let result = try Prover(options: options).prove(plan.items[0], file: file)
            #expect(result.verdict.kind == kind, "\(name): \(result.verdict)")
        }
    }

    /// A contract's proof is shared by programs whose code it runs is the same — another spec
    /// that includes the same models — and never by one where that code differs (a mutant).
    @Test func proofsAreSharedOnlyOverTheSameCode() throws {
        let other = Self.spec + "\nproperty unrelated(unsigned long y) { assert(y == y); }\n"
        let mutant = Self.spec.replacingOccurrences(of: "r += total / parts;", with: "r += total / parts + 1;")
        func key(_ text: String, _ options: ProverOptions = .deterministic()) throws -> String {
            let program = try SpecLoader.load(text: text, path: "contracts.spec").program
            return ContractProofs.key(try #require(program.contracts.first { $0.name == "share" }), program, options)
        }
        let base = try key(Self.spec)
        #expect(try key(other) == base)
        #expect(try key(mutant) != base)
        #expect(try key(Self.spec, .deterministic(config: .arm64_4k)) != base)
    }

    /// A kernel tree whose function takes other parameters than the contract states (6.1's
    /// `__thp_get_unmapped_area` has six, the bundled contract 6.7's seven): the contract is left
    /// out and the property proved without it, saying why — not a spec error.
    @Test func aContractATreeDoesNotFitIsSetAside() throws {
        struct OlderTree: FunctionReplacement {
            func merged(into functions: [FunctionSyntax]) throws -> [FunctionSyntax] {
                var parser = try Parser(file: SourceFile(path: "tree.c", text: """
                static unsigned long inner(unsigned long x) { return x; }
                static unsigned long outer(unsigned long x) { return inner(x); }
                """))
                let tree = try parser.parseUnit().functions
                return functions.map { f in tree.first { $0.name == f.name } ?? f }
            }
            var sourceDescription: String { "the test's tree" }
            var kernelVersion: String? { nil }
        }
        let text = """
        static unsigned long inner(unsigned long x, unsigned long y) { return x; }
        static unsigned long outer(unsigned long x) { return inner(x, 0); }
        contract unsigned long inner(unsigned long x, unsigned long y) ensures result == x;
        property outer_is_identity(unsigned long x) layout any contract inner { assert(outer(x) == x); }
        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hugealign-contract-tree-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("t.spec").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        var options = ProverOptions.deterministic()
        options.concreteSearchRuns = 0
        for tree in [nil, OlderTree()] as [OlderTree?] {
            let program = try SpecLoader.load(path: file, replacement: tree).program
            let r = try Prover(options: options).prove(try #require(program.properties.first), in: program, file: file)
            #expect(r.verdict.kind == .proved)
            if tree == nil {
                #expect(r.bounds.contracts?.count == 1 && r.bounds.contractsNotUsed == nil)
            } else {
                #expect(r.bounds.contracts == nil)
                #expect(r.bounds.contractsNotUsed == ["inner: the test's tree has inner with 1 parameters, the contract 2"])
            }
        }
        // Without a tree, a contract that does not fit its function stays an error.
        #expect(throws: Diagnostic.self) {
            try SpecLoader.load(text: text.replacingOccurrences(of: "contract unsigned long inner(unsigned long x, unsigned long y)",
                                                               with: "contract unsigned long inner(unsigned long x)"))
        }
    }

    @Test func contractErrorsPointAtTheDeclaration() throws {
        let cases: [(String, String)] = [
            ("contract unsigned long nowhere(unsigned long x) ensures result == x;", "contract for unknown function 'nowhere'"),
            ("static unsigned long f(unsigned long x) { return x; }\ncontract int f(unsigned long x) ensures result == 0;",
             "contract for 'f' has the signature"),
            ("static unsigned long f(unsigned long x) { return x; }\ncontract unsigned long f(unsigned long x) requires x != 0;",
             "has no 'ensures' clause"),
            ("static unsigned long f(unsigned long result) { return 0; }\ncontract unsigned long f(unsigned long result) ensures 1;",
             "cannot be named 'result'"),
            ("static unsigned long f(unsigned long x) { return x; }\ncontract unsigned long f(unsigned long x) ensures result == x;\nproperty p(unsigned long x) contract f { assert(f(x) == x); }",
             "'contract' needs 'layout any'"),
            ("property p(unsigned long x) layout any contract g { assert(x == x); }", "no contract for 'g'"),
            ("static unsigned long f(unsigned long x) { return x; }\ncontract unsigned long f(unsigned long x) ensures result == f(x);",
             "calls 'f', a function with a contract"),
            ("static unsigned long f(unsigned long x) { return x; }\nstatic unsigned long g(unsigned long x) { return x; }\ncontract unsigned long f(unsigned long x) contract g ensures result == x;\ncontract unsigned long g(unsigned long x) contract f ensures result == x;",
             "would use that contract itself"),
            ("static unsigned long f(unsigned long x) { return x; }\ncontract unsigned long f(unsigned long x) ensures result == x unwind 0;",
             "unwinding bound must be in"),
        ]
        for (text, message) in cases {
            do {
                _ = try SpecLoader.load(text: text, path: "bad.spec")
                Issue.record("accepted: \(text)")
            } catch let d as Diagnostic {
                #expect(d.message.contains(message), "\(text): \(d.message)")
                #expect(d.location.line >= 1)
            }
        }
    }

    /// A parallel run proves each contract once, as work of its own just before the first
    /// property that uses it, and a contract's own contracts before it: two provers then make two
    /// proofs side by side instead of one waiting for the other's.
    @Test func aParallelRunSchedulesEachContractBeforeItsFirstUser() throws {
        let spec = Self.spec + """

        static unsigned long both(unsigned long total, unsigned long parts) { return share(total, parts); }
        contract unsigned long both(unsigned long total, unsigned long parts) contract share
            requires parts != 0
            ensures result <= total;

        property plain(unsigned long y) { assert(y == y); }
        property both_is_bounded(unsigned long total, unsigned long parts) layout any contract both
        {
            assume(parts != 0);
            assert(both(total, parts) <= total);
        }
        """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hugealign-contract-tasks-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.spec").path
        try spec.write(toFile: file, atomically: true, encoding: .utf8)
        let work = try ProofCampaign.plan([file])
        var options = ProverOptions.deterministic()
        options.concreteSearchRuns = 0
        let planned = ProofCampaign.tasks(work, prover: Prover(options: options))
        let tasks = planned.tasks.map { $0.name(work) }
        #expect(tasks == ["contract share (x86_64)", "share_is_bounded", "share_without_precondition", "contract half (x86_64)", "half_is_identity",
                          "contract five (x86_64)", "five_is_five", "contract copy_length (x86_64)", "copy_keeps_length", "plain",
                          "contract both (x86_64)", "both_is_bounded"])
        // Each task waits for the proofs it uses: `both`'s own proof for `share`'s, its user for both.
        let after = Dictionary(uniqueKeysWithValues: zip(tasks, planned.after.map { $0.map { tasks[$0] } }))
        #expect(after["contract both (x86_64)"] == ["contract share (x86_64)"])
        #expect(after["both_is_bounded"] == ["contract share (x86_64)", "contract both (x86_64)"])
        #expect(after["share_is_bounded"] == ["contract share (x86_64)"])
        #expect(after["plain"] == [])
        // Run with two provers, every property is reported once, in plan order, with the
        // contract it uses proved.
        var names: [String] = []
        var bounded: PropertyResult?
        let campaign = ProofCampaign(work: work, options: options, jobs: 2)
        // The two provers share the cores for their solvers' side-by-side workers.
        #expect(campaign.provers.map(\.options.solverLanes) == Array(repeating: max(1, ProcessInfo.processInfo.activeProcessorCount / 2), count: 2))
        try campaign.run { i, r in
            names.append(work[i].item.property.name)
            if case .success(let p)? = r, p.property == "both_is_bounded" { bounded = p }
        }
        #expect(names == work.map(\.item.property.name))
        #expect(bounded?.verdict.kind == .proved)
        #expect(bounded?.bounds.contracts?.first?.hasPrefix("both (its contract proved") == true)
    }

    /// Before its query, a contract's proof runs the concrete search compiled, as a property's
    /// does (its obligation is no property of the program; interpreted, the THP contract's runs
    /// took seconds).
    @Test(.enabled(if: NativeLibrary.compiler != nil, "no C compiler: the concrete search runs interpreted"))
    func aContractsConcreteSearchRunsCompiled() throws {
        let program = try SpecLoader.load(text: Self.spec, path: "contracts.spec").program
        let share = try #require(program.contracts.first { $0.name == "share" })
        let r = try #require(try Session.search(share.obligation, in: program, options: .deterministic(), vmas: 0))
        #expect(r.compiled, "\(r.interpretedBecause ?? "")")
        #expect(r.failing == nil)
    }
}
