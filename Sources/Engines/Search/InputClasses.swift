import KernelC
import Semantics

/// The values of a parameter that no run tells apart, grouped: the model checker runs the first
/// value of each class instead of every value. Two values are in one class when every observation
/// of the parameter (`InputObservations`: the pure expressions of it that every read of its raw
/// value sits in) gives the same result for both; they then make the same run on every layout.
/// Values are grouped among those the single-parameter assumptions left, where those assumptions
/// hold for all and split nothing.
public struct InputClasses: Sendable {
    /// What one parameter's classes are: shown in the summary, so that the runs add up.
    public struct Parameter: Sendable, CustomStringConvertible {
        public let name: String
        public let values: Int
        public let classes: Int
        public var description: String { "\(name): \(classes) classes of \(values) values" }
    }

    /// The first value of each class of `domain` (in domain order) for parameter `index`, and the
    /// summary when that groups anything; the domain itself when the parameter is read in a way
    /// that tells every value apart.
    static func representatives(_ domain: [UInt64], parameter index: Int, runner: ConcreteRunner) -> ([UInt64], Parameter?) {
        guard let (firsts, _) = classes(domain, parameter: index, runner: runner), firsts.count < domain.count else { return (domain, nil) }
        let p = runner.parameters[index]
        return (firsts, Parameter(name: p.name, values: domain.count, classes: firsts.count))
    }

    /// The classes of `domain`: the first value of each, and for each value of `domain` the index
    /// of its class; nil when the parameter is read in a way that tells every value apart.
    static func classes(_ domain: [UInt64], parameter index: Int, runner: ConcreteRunner) -> (firsts: [UInt64], classOf: [Int])? {
        let p = runner.parameters[index]
        guard domain.count > 2, p.type.isInteger || p.type == .bool,
              let observations = InputObservations.of(parameter: index, in: runner.property.function, program: runner.program)
        else { return nil }
        let evaluator = runner.evaluator
        // One frame's slots per observation, the observed slot set for each value.
        let frames = observations.map { o in (observation: o, slots: o.function.slotTypes.prefix(o.slot + 1).map { evaluator.zero($0) }) }
        var seen: [[UInt64]: Int] = [:]
        var firsts: [UInt64] = []
        var classOf: [Int] = []
        for v in domain {
            var key: [UInt64] = []
            key.reserveCapacity(frames.count)
            for var f in frames {
                f.slots[f.observation.slot] = evaluator.value(bits: v, of: f.observation.function.slotTypes[f.observation.slot])
                switch evaluator.evaluate(f.observation.expr, in: f.observation.function, arguments: f.slots) {
                case .word(let w): key.append(w)
                case .truth(let t): key.append(t ? 1 : 0)
                case .record(let ws): key += ws
                }
            }
            if let k = seen[key] {
                classOf.append(k)
            } else {
                seen[key] = firsts.count
                classOf.append(firsts.count)
                firsts.append(v)
            }
        }
        return (firsts, classOf)
    }
}
