import Foundation
import Testing

/// The real binary: verdict lines, JSON, SMT-LIB2 output and the exit codes of design §4.
@Suite struct CLITests {
    @Test func provedOnlyExitsZero() throws {
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--property", "thp_alignment_lemma"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("thp_alignment_lemma") && r.out.contains("proved"))
        #expect(r.out.contains("config x86_64"))
    }

    @Test func counterexampleExitsTenAndShowsValues() throws {
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec"])
        #expect(r.status == 10)
        #expect(r.out.contains("counterexample"))
        #expect(r.out.contains("off = 0x1"))
    }

    @Test func checkExpectationsExitsZeroWhenAllMatch() throws {
        // A small folder: the bundled specs are proved once per run, by SpecSuiteTests.
        let r = try runCLI(["prove", "specs/examples", "--check-expectations", "--jobs", "2"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        #expect(r.out.contains("all as expected"))
    }

    @Test func jsonOutputIsVersionedAndComplete() throws {
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--json"])
        #expect(r.status == 10)
        let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(obj?["version"] as? Int == 1)
        let results = obj?["results"] as? [[String: Any]] ?? []
        #expect(results.count == 2)
        let cex = results.first { $0["verdict"] as? String == "counterexample" }?["counterexample"] as? [String: Any]
        #expect((cex?["inputs"] as? [[String: Any]])?.count == 3)
    }

    @Test func smt2OutWritesRunnableQueries() throws {
        let dir = NSTemporaryDirectory() + "hugealign-smt2-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--smt2-out", dir])
        #expect(r.status == 10)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["thp_alignment_lemma.thp_alignment_lemma.smt2", "thp_alignment_lemma.thp_alignment_sign_slip.smt2"])
    }

    @Test func usageErrorsExitOne() throws {
        #expect(try runCLI(["prove"]).status == 1)
        #expect(try runCLI(["prove", "specs", "--config", "no-such-config"]).status == 1)
        #expect(try runCLI(["prove", "specs", "--property", "no_such_property"]).status == 1)
        #expect(try runCLI(["frobnicate"]).status == 1)
    }

    @Test func missingFileIsAnInputError() throws {
        let r = try runCLI(["prove", "specs/does-not-exist.spec"])
        #expect(r.status == 2)
        #expect(r.err.contains("no such file"))
    }

    @Test func helpExitsZero() throws {
        let r = try runCLI(["prove", "--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("--smt2-out"))
    }
}
