import Foundation
import ArgumentParser
import Engines
import Placement

/// `--config NAME|FILE`: a configuration, checked by the parser (an unknown name is a usage error
/// that lists the known ones), so commands never look a name up again. A config file
/// (`configs/NAME.hconfig`, or a path) that is malformed is an input error: its message, exit 2.
struct ConfigArgument: ExpressibleByArgument {
    let config: Config

    init(_ config: Config) { self.config = config }

    init?(argument: String) {
        do {
            config = try Config.resolve(argument)
        } catch is Config.UnknownConfig {
            return nil
        } catch {
            // ArgumentParser has no way to carry this message; the run cannot go on.
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        }
    }

    var defaultValueDescription: String { config.name }
    static var allValueStrings: [String] { Config.names }
}

/// `--shard I/N`: the I-th of N deterministic slices of a campaign (0 ≤ I < N).
struct Shard: ExpressibleByArgument, CustomStringConvertible {
    let index: Int
    let count: Int

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    init?(argument: String) {
        let p = argument.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard p.count == 2, let i = p[0], let n = p[1], n >= 1, i >= 0, i < n else { return nil }
        index = i
        count = n
    }

    var description: String { "\(index)/\(count)" }
    var defaultValueDescription: String { description }
}

extension Arithmetic: ExpressibleByArgument {}
extension SolverChoice: ExpressibleByArgument {}
