import Engines
import Foundation
import KernelC
import Placement
import Testing

/// Configurations written as files (configs/*.hconfig) and kernel .config files: what they set,
/// how specs and the CLI find them, and the errors a malformed one gets.
@Suite struct ConfigFileTests {
    static func bundled(_ name: String) throws -> Config {
        try ConfigFile.load(path: Paths.repo("configs/\(name).hconfig"))
    }

    @Test func everyConfigIsWellFormed() throws {
        for c in Config.all { #expect(c.validationProblem() == nil, "\(c.name): \(c.validationProblem() ?? "")") }
        let files = try FileManager.default.contentsOfDirectory(atPath: Paths.repo("configs")).filter { $0.hasSuffix(ConfigFile.suffix) }
        #expect(files.count >= 5)
        for f in files {
            let c = try ConfigFile.load(path: Paths.repo("configs/\(f)"))
            #expect(c.name + ConfigFile.suffix == f)
        }
    }

    @Test func aFileChangesWhatItSetsAndKeepsTheRest() throws {
        let amd = try ConfigFileTests.bundled("amd-f15h")
        #expect(amd.values["va_align_mask"] == 0xf000 && amd.values["va_align_flags"] == 3 && amd.values["task_randomize"] == 1)
        #expect(amd.values["TASK_SIZE"] == Config.x86_64.values["TASK_SIZE"])
        // A 32-bit kernel: the data model, the width-dependent values and the geometry follow.
        let i386 = try ConfigFileTests.bundled("i386-pae")
        #expect(i386.dataModel.longBits == 32 && i386.dataModel.longLongBits == 64)
        #expect(i386.values["ULONG_MAX"] == 0xffff_ffff && i386.values["PAGE_MASK"] == 0xffff_f000 && i386.values["PMD_MASK"] == 0xffe0_0000)
        #expect(i386.values["mm.mmap_base"] == 0xb800_0000 && i386.values["CONFIG_64BIT"] == 0)
        #expect(i386.values["MAX_LFS_FILESIZE"] == 0xfff_ffff_ffff)
        // Expressions over earlier values, mm fields included.
        let la57 = try ConfigFileTests.bundled("scaled8-la57")
        #expect(la57.values["mm.mmap_compat_base"] == la57.values["mm.mmap_base"] && la57.dataModel.longBits == 8)
    }

    @Test func errorsPointAtTheLineAndColumn() throws {
        func error(_ text: String) -> String {
            do { _ = try ConfigFile.parse(text: text, path: "t.hconfig"); return "" } catch { return "\(error)" }
        }
        #expect(error("base x86_64\n").contains("t.hconfig:1:1: error: a config file starts with 'name NAME'"))
        #expect(error("name a\nsummary \"x\"\n").contains("t.hconfig:2:1: error: the second line of a config file is 'base NAME'"))
        #expect(error("name x86_64\n").contains("is a built-in config"))
        #expect(error("name a\nbase nope\n").contains("unknown base config 'nope'"))
        #expect(error("name a\nbase x86_64\nNOT_A_THING = 1\n").contains("t.hconfig:3:1: error: unknown name 'NOT_A_THING'"))
        let syntax = error("name a\nbase x86_64\nTASK_SIZE = 0x1000 +\n")
        #expect(syntax.contains("t.hconfig:3:") && syntax.contains("^"), "\(syntax)")
        #expect(error("name a\nbase x86_64\nTASK_SIZE = NOPE\n").contains("t.hconfig:3:13: error: 'NOPE' has no value"))
        #expect(error("name a\nbase scaled8\nTASK_SIZE = 0x1000\n").contains("does not fit TASK_SIZE (8 bits)"))
        #expect(error("name a\nbase x86_64\nCONFIG_64BIT = 0\n").contains("CONFIG_64BIT is off but long is 64 bits"))
        #expect(error("name a\nbase x86_64\ndata-model ilp32\n").contains("does not fit 32 bits"))
        #expect(error("name a\nbase x86_64\ngeometry page 12 pmd 9 pud 30\n").contains("expected 'geometry page N pmd N pud N'"))
    }

    /// A kernel .config decides IS_ENABLED (and with it the path the placement takes).
    @Test func aKernelConfigSetsIsEnabled() throws {
        let dir = try temporaryFolder("kconfig")
        try """
        # Linux/x86 6.12 Kernel Configuration
        CONFIG_FOO=y
        CONFIG_BAR=m
        # CONFIG_TRANSPARENT_HUGEPAGE is not set
        CONFIG_NR_CPUS=64
        CONFIG_LOCALVERSION="-test"
        """.write(toFile: dir + "/linux.config", atomically: true, encoding: .utf8)
        try "name no-thp\nbase x86_64\nkernel-config linux.config\n".write(toFile: dir + "/no-thp.hconfig", atomically: true, encoding: .utf8)
        let c = try Config.resolve(dir + "/no-thp.hconfig")
        #expect(c.values["CONFIG_FOO"] == 1 && c.values["CONFIG_BAR"] == 1 && c.values["CONFIG_TRANSPARENT_HUGEPAGE"] == 0)
        #expect(c.values["CONFIG_NR_CPUS"] == 64 && c.values["CONFIG_LOCALVERSION"] == nil)
        #expect(Config.named("no-thp") != nil)   // registered for this run (replay finds it)
        let results = try proveAll("""
        #include "\(Paths.repo("specs/kernel/v6.18/mmap.spec"))"
        property switches(int unused) { assert(IS_ENABLED(CONFIG_FOO) && IS_ENABLED(CONFIG_BAR) && !IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)); }
        // Without THP, anonymous PMD multiples are placed plainly.
        property anon_is_plain(unsigned long len) layout vmas <= 0
        {
            assume(len == PMD_SIZE);
            assert(do_mmap_placement(NULL, 0, len, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0) == current->mm->mmap_base - len);
        }
        """, config: c)
        #expect(results["switches"]?.verdict.name == "proved")
        #expect(results["anon_is_plain"]?.verdict.name == "proved")
        // On the built-in x86_64 (THP on) the same request is aligned: the .config made the difference.
        let thp = try proveAll("""
        #include "\(Paths.repo("specs/kernel/v6.18/mmap.spec"))"
        property anon_is_plain(unsigned long len) layout vmas <= 0
        {
            assume(len == PMD_SIZE);
            assert(do_mmap_placement(NULL, 0, len, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0) == current->mm->mmap_base - len);
        }
        """, config: .x86_64)
        #expect(thp["anon_is_plain"]?.verdict.name == "counterexample")
        // A line that is not a config line is rejected with its number.
        try "CONFIG_FOO=y\nFOO BAR\n".write(toFile: dir + "/bad.config", atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) { try ConfigFile.kernelConfig(path: dir + "/bad.config") }
        do { _ = try ConfigFile.kernelConfig(path: dir + "/bad.config") } catch let e as InputError { #expect(e.line == 2) }
    }

    @Test func theCLITakesAConfigFile() throws {
        let dir = try temporaryFolder("cliconfig")
        // A path, for a spec without a config clause.
        let ok = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--config", "configs/amd-f15h.hconfig"])
        #expect(ok.out.contains("config amd-f15h"), "\(ok.out)\(ok.err)")
        // A malformed file: its error, exit 2.
        try "name broken\nbase x86_64\nTASK_SIZE = = 1\n".write(toFile: dir + "/broken.hconfig", atomically: true, encoding: .utf8)
        let bad = try runCLI(["prove", "specs/examples/thp_alignment_lemma.spec", "--config", dir + "/broken.hconfig"])
        #expect(bad.status == 2 && bad.err.contains("broken.hconfig:3:"), "\(bad.err)")
        // `configs` lists the files; --show prints the values.
        let list = try runCLI(["configs"])
        #expect(list.out.contains("amd-f15h") && list.out.contains("i386-pae"))
        let show = try runCLI(["configs", "--show", "i386-pae"])
        #expect(show.out.contains("long 32-bit") && show.out.contains("TASK_SIZE"))
    }
}
