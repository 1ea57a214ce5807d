import Foundation

/// A malformed data file (a maps file, a JSON layout, a stored counterexample, a corpus entry):
/// the file, the line and why, printed as `file:line: error: why` with the line under it.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public var text: String

    public init(file: String, line: Int, message: String, text: String) {
        self.file = file
        self.line = line
        self.message = message
        self.text = text
    }

    public var description: String {
        line > 0 ? "\(file):\(line): error: \(message)\n    \(text)" : "\(file): error: \(message)"
    }
}

/// Reads a file to its end. `FileManager.contents(atPath:)` stops after one read on /proc files
/// (they report size 0), which cuts /proc/PID/maps short.
public func readWholeFile(_ path: String) -> String? {
    guard let h = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? h.close() }
    return String(data: h.readDataToEndOfFile(), encoding: .utf8)
}
