import SMT

/// What one property may spend: wall-clock time from its start, and optionally Z3's deterministic
/// resource units, summed over all its checks. Each check is limited to what is left (or to a share
/// of the whole, for short checks), so the budget bounds the property, not each check.
public struct Budget: Sendable {
    let deadline: ContinuousClock.Instant
    let seconds: Double
    let resources: UInt64?
    /// Units the first look at a splittable query may use (`ProverOptions.splitAfterResources`).
    let probeUnits: UInt64
    /// Resource units spent so far (Z3's "rlimit count", summed over checks).
    public private(set) var used: UInt64 = 0
    /// The context's resource counter after the previous check: Z3 counts per context.
    private var lastCount: UInt64 = 0

    public init(start: ContinuousClock.Instant = .now, seconds: Double, resources: UInt64?, probeUnits: UInt64 = Budget.shortCheckUnits) {
        self.seconds = seconds
        self.resources = resources
        self.probeUnits = probeUnits
        deadline = start.advanced(by: .seconds(min(seconds, 1e9)))
    }

    /// A phase of the property (minimisation) may get only a share: a nearer deadline and a unit cap.
    private var phaseDeadline: ContinuousClock.Instant?
    private var phaseUnitsEnd: UInt64?

    var remainingSeconds: Double { (min(deadline, phaseDeadline ?? deadline) - .now).seconds }
    var remainingResources: UInt64? {
        let end = min(resources ?? .max, phaseUnitsEnd ?? .max)
        return end == .max ? nil : (end > used ? end - used : 0)
    }

    /// From now on at most `units` more Z3 resource units when the budget counts them — and then
    /// only units, so a loaded machine takes the same steps — else at most `seconds` more; always
    /// within what the property has left. `endPhase()` lifts it.
    mutating func startPhase(seconds: Double, units: UInt64) {
        if resources != nil { phaseUnitsEnd = used &+ units }
        else { phaseDeadline = ContinuousClock.now.advanced(by: .seconds(seconds)) }
    }

    mutating func endPhase() {
        phaseDeadline = nil
        phaseUnitsEnd = nil
    }

    public var exhausted: Bool { remainingSeconds <= 0 || remainingResources == 0 }
    var exhaustedReason: String { remainingResources == 0 ? "resource limit" : "timeout" }

    /// Z3 resource units of a short check when the budget is counted in units (about 2 s of Z3 work
    /// on a 2020s x86-64 core, the time share of a short check otherwise).
    public static let shortCheckUnits: UInt64 = 6_000_000

    /// The limits of the next check, or nil when nothing is left. With a resource budget the shares
    /// are counted in units only, so that a loaded machine takes the same steps; the clock is then
    /// just the outer bound.
    /// `fraction` gives one engine of several part of the share (`Arithmetic.both`).
    func limits(_ share: Session.Share, fraction: Double = 1) -> SolverLimits? {
        let left = remainingSeconds
        guard left > 0, remainingResources != 0 else { return nil }
        var time = left
        var units = remainingResources
        if share != .rest {
            if let u = units { units = min(u, share == .probe ? probeUnits : Budget.shortCheckUnits) }
            else { time = share == .probe ? min(time, 2, seconds / 4) : min(time, 2) }
        }
        if fraction < 1 {
            time *= fraction
            units = units.map { max(1, UInt64(Double($0) * fraction)) }
        }
        // Z3 reads a timeout of 0 as "none": never round a short budget down to it.
        let ms = UInt32(max(1, min(time * 1000, Double(UInt32.max))))
        return SolverLimits(timeoutMilliseconds: ms, rlimit: units.map { UInt32(min($0, UInt64(UInt32.max))) })
    }

    /// Records the context's resource counter after a check.
    mutating func spend(_ count: UInt64) {
        if count > lastCount { used += count - lastCount }
        lastCount = max(lastCount, count)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
