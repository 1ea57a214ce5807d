import Foundation

/// A layout file as users give it: a /proc/PID/maps file or the JSON format of
/// docs/layout-json.md, told apart by content (JSON starts with `{`). Every command that takes a
/// layout reads it through here.
public enum LayoutFile {
    public static func read(path: String, config: Config) throws -> Layout {
        guard let text = readWholeFile(path) else {
            throw InputError(file: path, line: 0, message: "cannot read the file", text: "")
        }
        return try layout(text: text, file: path, config: config)
    }

    public static func layout(text: String, file: String, config: Config) throws -> Layout {
        if text.drop(while: { $0.isWhitespace }).first == "{" {
            return try LayoutJSON.layout(text: text, file: file, config: config)
        }
        return try MapsReader.layout(text: text, file: file, config: config)
    }

    /// The highest end a VMA may have in a configuration.
    static func limit(_ config: Config) -> UInt64 {
        config.number(.taskSizeMax)
    }
}
