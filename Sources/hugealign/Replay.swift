import ArgumentParser
import Engines
import Foundation
import KernelC
import Placement
import Reports

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run stored counterexamples (the .json reports) on the model.",
        discussion: "Exit codes: 10 every counterexample reproduced, 0 none fails any more, 2 a report does not match its spec (or cannot be read).")

    @ArgumentParser.Argument(help: "Counterexample reports (.json).") var reports: [String]

    func run() throws {
        var reproduced = 0, passes = 0, differs = 0
        for path in reports {
            guard let text = readWholeFile(path) else {
                FileHandleStream.standardError.write("hugealign replay: cannot read \(path)\n")
                throw ExitCode(ExitStatus.inputError.rawValue)
            }
            do {
                let f = try Finding.decode(text, file: path)
                switch try Engines.Replay.replay(f) {
                case .reproduced(let c):
                    reproduced += 1
                    print("\(path): reproduced: \(f.property) fails again (\(c.failures.map { "\($0.kind) at \($0.location)" }.joined(separator: "; ")))")
                case .passes:
                    passes += 1
                    print("\(path): does not fail any more: \(f.property) holds for these inputs")
                case .differs(let why):
                    differs += 1
                    print("\(path): DIFFERS: \(why)")
                }
            } catch let e as InputError {
                FileHandleStream.standardError.write(e.description + "\n")
                throw ExitCode(ExitStatus.inputError.rawValue)
            } catch let d as Diagnostic {
                FileHandleStream.standardError.write(d.description + "\n")
                throw ExitCode(ExitStatus.inputError.rawValue)
            }
        }
        if differs > 0 { throw ExitCode(ExitStatus.inputError.rawValue) }
        if reproduced > 0 && passes == 0 { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }
}
