import ArgumentParser
import Foundation

/// Exit codes (CBMC convention, design §4).
enum ExitStatus: Int32 {
    case ok = 0
    case usage = 1
    case inputError = 2
    case unknown = 5
    case internalError = 6
    case counterexample = 10
}

@main
struct HugeAlign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hugealign",
        abstract: "Prove or refute invariants of the kernel's virtual-address placement code.",
        discussion: """
        Exit codes: 0 all proved / nothing found, 10 counterexample, 5 unknown (timeout or resource \
        limit), 1 usage error, 2 input error (spec, maps, JSON), 6 internal error.
        """,
        subcommands: [Prove.self, Fuzz.self, Check.self, Replay.self, Report.self, Live.self, Configs.self, LiveChild.self])

    /// ArgumentParser exits 64 on usage errors; the project's convention (design §4) is 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandleStream.standardError.write(fullMessage(for: error) + "\n")
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
