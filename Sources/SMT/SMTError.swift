/// A failure reported by Z3 (through the non-exiting error handler) or by this layer's own checks.
/// Z3's default handler exits the process; ours records the error and it surfaces as this Swift error.
public struct SMTError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The Z3 error code's name (e.g. `Z3_SORT_ERROR`), or `hugealign` for checks done here.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Z3 error \(code): \(message)" }
}
