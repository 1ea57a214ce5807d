import ArgumentParser
import Engines
import Foundation
import Reports

/// `--sarif FILE` and `--junit FILE`, shared by prove, fuzz and check: the results in the formats
/// code-scanning services and CI test tabs read. Written at the end of the run, also after Ctrl-C.
struct CIOutputOptions: ParsableArguments {
    @Option(help: "Write the results as SARIF 2.1.0 (counterexamples at the failed assertion, with the text report).")
    var sarif: String?

    @Option(help: "Write the results as JUnit XML (one test case per property).")
    var junit: String?

    /// Fails before any work when a file cannot be written where it was asked for.
    func prepare() throws {
        for path in [sarif, junit].compactMap({ $0 }) {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try CLIError.prepareFolder(dir) }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                FileHandleStream.standardError.write("hugealign: '\(path)' is a folder; --sarif and --junit take a file name\n")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
    }

    func write(_ records: [CheckRecord], command: String) throws {
        if let sarif {
            try AtomicFile.write(try SARIFReport.document(records, toolVersion: HugeAlign.version), to: sarif)
        }
        if let junit {
            try AtomicFile.write(JUnitReport.document(records, name: "hugealign \(command)"), to: junit)
        }
    }
}
