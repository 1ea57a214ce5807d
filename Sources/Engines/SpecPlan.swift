import Foundation
import KernelC
import Placement

/// Which properties of a spec file to prove, each with the program checked under its configuration
/// (a property's `config NAME` clause, else the default). A file is checked once per configuration.
public struct SpecPlan: Sendable {
    public struct Item: Sendable {
        public var property: Property
        public var program: Program
        public var config: Config
    }

    public var file: String
    public var items: [Item]

    /// Functions that replace the bundled models under a configuration (`--kernel-tree`).
    public typealias Replacements = @Sendable (Config) throws -> (any FunctionReplacement)?

    /// Throws a `Diagnostic` for spec errors and for unknown configuration names.
    public init(file: String, defaultConfig: Config, only: String? = nil, replacements: Replacements? = nil) throws {
        self.file = file
        let base = try SpecLoader.load(path: file, model: defaultConfig.dataModel, replacement: try replacements?(defaultConfig))
        var programs: [String: Program] = [defaultConfig.name: base.program]
        var items: [Item] = []
        // A contract's own proof, by its name (`contract_NAME`), under the default configuration.
        if let only, let c = base.program.contracts.first(where: { $0.obligation.name == only }) {
            self.items = [Item(property: c.obligation, program: base.program, config: defaultConfig)]
            return
        }
        for p in base.program.properties where only == nil || p.name == only {
            let name = p.config ?? defaultConfig.name
            // A built-in name, or a config file beside the spec (configs/NAME.hconfig, or a path).
            let config: Config
            do {
                config = try Config.resolve(name, near: (file as NSString).deletingLastPathComponent)
            } catch let unknown as Config.UnknownConfig {
                throw Diagnostic(p.location, unknown.description)
            } catch {
                // A malformed config file: its own error, at its line, under the property's clause.
                throw Diagnostic(p.location, "config '\(name)': \(error)")
            }
            if programs[name] == nil {
                programs[name] = try SpecLoader.load(path: file, model: config.dataModel, replacement: try replacements?(config)).program
            }
            let program = programs[name]!
            items.append(Item(property: program.property(named: p.name)!, program: program, config: config))
        }
        self.items = items
    }
}
