import ArgumentParser
import Foundation
import KernelC
import KernelTree
import Placement
import SMT
import Semantics

/// Validation of numeric options that every command shares: a budget is a finite, positive number
/// of seconds (Z3 and the search loops cannot honour NaN, infinity or a negative one).
enum Validate {
    static func seconds(_ value: Double?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite && value > 0 else {
            throw ValidationError("\(option) must be a finite number of seconds above 0 (got \(value))")
        }
    }
}

/// The one place where an error becomes a message and an exit code (design §4): commands and data
/// readers throw what went wrong; `HugeAlign.main` asks this how to end.
enum ErrorExit {
    /// The message and exit status for an error, or nil for ArgumentParser's own (help, usage,
    /// `ExitCode`), which it reports itself.
    static func ending(for error: Error) -> (message: String, status: ExitStatus)? {
        switch error {
        case let d as Diagnostic: return (d.description, .inputError)
        case let e as InputError: return (e.description, .inputError)
        case let e as KernelTree.Failure: return ("hugealign: \(e)", .inputError)
        case let e as EvaluationError: return ("hugealign: \(e)", .inputError)
        case let e as SMTError: return ("hugealign: internal error: \(e)", .internalError)
        case is ExitCode, is CleanExit, is ValidationError: return nil
        default:
            let ns = error as NSError
            if ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain {
                return ("hugealign: \(CLIError.describe(error))", .inputError)
            }
            return nil
        }
    }
}

/// Checks of the command line's paths, before any work.
enum CLIError {
    /// Creates an output folder before any work, so that a bad path fails at once (exit 1) instead
    /// of after the solving.
    static func prepareFolder(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { return try fail("output folder '\(path)' is an existing file") }
            guard FileManager.default.isWritableFile(atPath: path) else { return try fail("output folder '\(path)' is not writable") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            try fail("cannot create output folder '\(path)': \(describe(error))")
        }
    }

    private static func fail(_ message: String) throws {
        FileHandleStream.standardError.write("hugealign: \(message)\n")
        throw ExitCode(ExitStatus.usage.rawValue)
    }

    /// A Foundation error in one line (the POSIX reason, not an NSError dump).
    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileWriteFileExistsError: return "a file is in the way"
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
            case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            default: break
            }
        }
        return ns.localizedDescription
    }
}
