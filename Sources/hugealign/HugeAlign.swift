import ArgumentParser
import CLinux
import Foundation

/// Exit codes (CBMC convention, design §4).
enum ExitStatus: Int32 {
    case ok = 0
    case usage = 1
    case inputError = 2
    /// `live --qemu`: qemu, a compiler or the kernel package is missing; `prove --solver portfolio`:
    /// Bitwuzla is.
    case missingPrerequisite = 3
    /// `live --qemu`: the guest did not boot, stopped, or stopped answering.
    case guestFailed = 4
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
        limit), 1 usage error, 2 input error (spec, maps, JSON), 3 a missing prerequisite of live --qemu \
        (qemu, a compiler, the kernel), 4 a qemu guest that did not boot or stopped answering, 6 internal error.
        """,
        version: "hugealign \(version)",
        subcommands: [Prove.self, Fuzz.self, Check.self, Replay.self, Report.self, Mutate.self, Live.self, Tree.self, Diff.self, Configs.self, LiveChild.self])

    static let version = "0.4.0"

    /// No subcommand is a usage error: the help goes to stderr and the exit code is 1.
    func run() throws {
        FileHandleStream.standardError.write(HugeAlign.helpMessage() + "\n")
        throw ExitCode(ExitStatus.usage.rawValue)
    }

    /// ArgumentParser exits 64 on usage errors; the project's convention (design §4) is 1.
    static func main() {
        // Results reach a pipe or file line by line, so an interrupted or killed run keeps them.
        hugealign_line_buffered_stdout()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let end = ErrorExit.ending(for: error) {
                FileHandleStream.standardError.write(end.message + "\n")
                Foundation.exit(end.status.rawValue)
            }
            if exitCode(for: error) == .validationFailure {
                FileHandleStream.standardError.write(fullMessage(for: error) + "\n")
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
