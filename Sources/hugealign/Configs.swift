import ArgumentParser
import Foundation
import Placement

struct Configs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the configurations a spec can be checked under, or show one's values.",
        discussion: """
        Built-in configurations, then the config files of the configs/ folder found from the working \
        directory (a spec names either in its 'config' clause; --config takes either, or a path to \
        a .hconfig file). docs/configs.md describes the file format.
        """)

    @Option(help: "Print every value of this configuration (a name or a .hconfig file).")
    var show: ConfigArgument?

    func run() throws {
        if let c = show?.config {
            print("\(c.name): \(c.summary)")
            print("data model: int \(c.dataModel.intBits)-bit, long \(c.dataModel.longBits)-bit, long long \(c.dataModel.longLongBits)-bit")
            let width = c.values.keys.map(\.count).max() ?? 10
            for (k, v) in c.values.sorted(by: { $0.key < $1.key }) {
                print("  \(k.padding(toLength: width, withPad: " ", startingAt: 0))  0x\(String(v, radix: 16))")
            }
            return
        }
        var rows = Config.all.map { ($0.name, $0.summary) }
        for file in Configs.files() {
            do {
                let c = try ConfigFile.load(path: file)
                rows.append((c.name, "\(c.summary) [\(file)]"))
            } catch {
                rows.append(((file as NSString).lastPathComponent, "error: \(error)"))
            }
        }
        let width = rows.map(\.0.count).max() ?? 10
        for (name, summary) in rows {
            print("\(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(summary)")
        }
    }

    /// The .hconfig files of the nearest configs/ folder from the working directory up.
    static func files() -> [String] {
        let fm = FileManager.default
        var dir = fm.currentDirectoryPath
        while true {
            let folder = (dir as NSString).appendingPathComponent("configs")
            if let names = try? fm.contentsOfDirectory(atPath: folder) {
                let found = names.filter { $0.hasSuffix(ConfigFile.suffix) }.sorted()
                if !found.isEmpty { return found.map { (folder as NSString).appendingPathComponent($0) } }
            }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { return [] }
            dir = parent
        }
    }
}
