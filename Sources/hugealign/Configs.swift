import ArgumentParser
import Placement

struct Configs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the configurations a spec can be checked under.")

    func run() throws {
        for c in Config.all {
            print("\(c.name.padding(toLength: 10, withPad: " ", startingAt: 0))  \(c.summary)")
        }
    }
}
