import Foundation
import Testing

/// docs/tutorial.md, followed step by step: its spec is written where it says, every
/// `hugealign` command runs in the tutorial's folder, and each `echo $?` must print what the page
/// says. (`swift build`, `export` and `mkdir … && cd` are the test's own set-up: the built binary,
/// a folder beside a copy of specs/.)
@Suite struct TutorialTests {
    @Test func tutorialWorksAsWritten() throws {
        let text = try String(contentsOfFile: Paths.repo("docs/tutorial.md"), encoding: .utf8)
        let root = try temporaryFolder("tutorial")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: Paths.repo("specs"), toPath: root + "/specs")
        let work = root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

        // The spec: the one ```c block, saved under the name the page gives.
        let blocks = text.components(separatedBy: "```")
        let spec = try #require(blocks.first { $0.hasPrefix("c\n") }).dropFirst(2)
        try String(spec).write(toFile: work + "/my_thp.spec", atomically: true, encoding: .utf8)

        var steps = 0
        var last: Int32?
        for block in blocks where block.hasPrefix("console\n") {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (i, line) in lines.enumerated() where line.hasPrefix("$ ") {
                let command = String(line.dropFirst(2))
                if command.hasPrefix("hugealign ") {
                    let args = command.dropFirst("hugealign ".count).split(separator: " ").map(String.init)
                    let r = try runCLI(args, in: work)
                    last = r.status
                    steps += 1
                    // Lines the page shows under the command (not its pictures or timings) appear in the output.
                    for shown in lines[(i + 1)...].prefix(while: { !$0.hasPrefix("$ ") }) where shown.hasSuffix("as expected") || shown.contains("reproduced:") {
                        #expect((r.out + r.err).contains(shown.trimmingCharacters(in: .whitespaces)), "`\(command)` did not print: \(shown)\n\(r.out)\(r.err)")
                    }
                } else if command == "echo $?" {
                    let expected = Int32(lines[i + 1].trimmingCharacters(in: .whitespaces))
                    #expect(last == expected, "the page says \(expected.map(String.init) ?? "?") after step \(steps), the tool exited \(last.map(String.init) ?? "-")")
                } else if command.hasPrefix("sed '") {
                    // sed 's/A/B/' IN > OUT
                    let parts = command.split(separator: "'")
                    let script = parts[1].split(separator: "/", omittingEmptySubsequences: false)
                    let files = parts[2].split(separator: " ").filter { $0 != ">" }
                    let input = try String(contentsOfFile: work + "/" + files[0], encoding: .utf8)
                    #expect(input.contains(String(script[1])), "the sed step changes nothing")
                    try input.replacingOccurrences(of: String(script[1]), with: String(script[2]))
                        .write(toFile: work + "/" + files[1], atomically: true, encoding: .utf8)
                } else if command.hasPrefix("cat ") {
                    #expect(FileManager.default.fileExists(atPath: work + "/" + command.dropFirst(4)), "\(command): no such file")
                }
            }
        }
        #expect(steps == 5, "the page's hugealign commands: \(steps)")
        for file in ["results.xml", "results.sarif", "cex/my_thp_is_congruent.prover.svg", "cex/my_thp_is_congruent.fuzzer.json"] {
            #expect(FileManager.default.fileExists(atPath: work + "/" + file), "\(file) was not written")
        }
    }
}
