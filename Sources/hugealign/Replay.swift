import ArgumentParser
import Engines
import Foundation
import KernelC
import Placement
import Reports

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run stored counterexamples (the .json reports) on the model.",
        discussion: """
        Each report is replayed on its own; a report that cannot be read or does not match its spec \
        is reported and the batch goes on. Exit codes: 2 some report could not be read or replays \
        differently, else 10 some counterexample still fails, else 0 (none fails any more).
        """)

    @ArgumentParser.Argument(help: "Counterexample reports (.json).") var reports: [String]

    func run() throws {
        var reproduced = 0, passes = 0, broken = 0
        for path in reports {
            guard let text = readWholeFile(path) else {
                FileHandleStream.standardError.write("hugealign replay: cannot read \(path)\n")
                broken += 1
                continue
            }
            do {
                let f = try Finding.decode(text, file: path)
                switch try Engines.Replay.replay(f, report: path, text: text) {
                case .reproduced(let c):
                    reproduced += 1
                    print("\(path): reproduced: \(f.property) fails again (\(c.failures.map { "\($0.kind) at \($0.location)" }.joined(separator: "; ")))")
                case .passes:
                    passes += 1
                    print("\(path): does not fail any more: \(f.property) holds for these inputs")
                case .differs(let why):
                    broken += 1
                    print("\(path): DIFFERS: \(why)")
                }
            } catch let e as InputError {
                FileHandleStream.standardError.write(e.description + "\n")
                broken += 1
            } catch let d as Diagnostic {
                FileHandleStream.standardError.write(d.description + "\n")
                broken += 1
            }
        }
        if reports.count > 1 {
            print("\(reports.count) reports: \(reproduced) still fail, \(passes) pass, \(broken) unreadable or different")
        }
        if broken > 0 { throw ExitCode(ExitStatus.inputError.rawValue) }
        if reproduced > 0 { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}
