import ArgumentParser
import Placement

struct Configs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the configurations a spec can be checked under.")

    func run() throws {
        let width = Config.all.map(\.name.count).max() ?? 10
        for c in Config.all {
            print("\(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.summary)")
        }
    }
}
