import Foundation

/// stderr as a text stream.
enum FileHandleStream {
    static let standardError = StandardError()
    struct StandardError {
        func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    }
}
