import ArgumentParser
import Foundation
import Placement

/// `live --qemu CONFIG --kernel IMAGE`: the same comparison as `live`, with the requests made in a
/// Debian kernel booted under qemu (`QemuGuest`) — 5-level paging, arm64 — instead of in a child
/// of this process. The requests are generated and predicted here, one at a time: the guest only
/// makes each call and answers with its result and the layout it was made on.
extension Live {
    func runQemu(_ named: Config, kernel: String) throws {
        var outcomes: [LiveOutcome] = []
        var machine = MachineState(config: named, notes: [])
        var modelNote = ""
        do {
            let guest = try QemuGuest(config: named, kernel: kernel, probeSource: probeSourcePath(), layout: guestLayout.rawValue,
                                      bootTimeout: bootTimeout, timeout: 60)
            defer { guest.stop() }
            let state = try guest.processState()
            guard state.page == named.number(.pageSize) else {
                throw QemuGuest.Failure(message: "the guest's pages are \(state.page) bytes, \(named.name) has \(named.number(.pageSize))",
                                        exitCode: ExitStatus.usage.rawValue)
            }
            let read: (String) -> String? = { path in (try? guest.readFile(path)) ?? nil }
            // The guest's mTHP folders, found by asking for each size the page size allows.
            let list: (String) -> [String] = { dir in
                (2...9).map { "hugepages-\((state.page << $0) >> 10)kB" }.filter { read("\(dir)/\($0)/shmem_enabled") != nil }
            }
            machine = Config.machine(base: named, name: named.name + " (qemu)", read: read, list: list, root: state.root,
                                     stackRlimit: state.stackRlimit, personality: state.personality, raisedHint: state.raisedHint)
            let version = read("/proc/version")?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
            machine.notes.insert("qemu guest: \(version), \((kernel as NSString).lastPathComponent), \(guest.machine.qemu) \(guest.machine.qemuArguments.joined(separator: " "))", at: 0)
            let hugePages = (named.value("CONFIG_HUGETLBFS") ?? 0) != 0 ? try guest.reserveHugePages(64) : 0
            if hugePages < 16 { machine.notes.append("MAP_HUGETLB not asked: \(hugePages) huge pages could be reserved in the guest") }
            let predictor = try LivePredictor(model: modelPath(), config: machine.config, kernelTree: tree.kernelTree)
            if let source = predictor.program.functionSource { modelNote = ", functions from \(source)" }
            var session = LiveSession(config: machine.config, seed: seed, target: guest)
            session.hugetlb = hugePages >= 16
            let logFile = try log.map { try LiveLog.Writer(path: $0, machine: machine, seed: seed) }
            defer { logFile?.close() }
            final class Counts: @unchecked Sendable { var compared = 0, agree = 0 }
            let counts = Counts()
            let target = count
            let progress = ProgressLine.polled({ "live --qemu: \(counts.compared) / \(target) requests compared, \(counts.agree) agree" })
            let interruption = Interruption {}
            let page = state.page
            while outcomes.count < count && !interruption.happened {
                try session.maybeUnmap()
                let req = session.nextRequest()
                let actual = try session.perform(req)
                let layout = try MapsReader.layout(text: guest.lastMaps, file: "the guest's /proc/self/maps", config: machine.config)
                if let predicted = try predictor.predict(req, on: layout) {
                    logFile?.append(req, layout: layout, actual: actual)
                    let o = LiveOutcome(request: req, predicted: predicted, actual: actual, layout: layout)
                    outcomes.append(o)
                    counts.compared += 1
                    if o.agrees { counts.agree += 1 }
                    progress.poll()
                }
                try session.settle(req, result: actual, page: page)
            }
            progress.finish()
        } catch let f as QemuGuest.Failure {
            FileHandleStream.standardError.write("hugealign live --qemu: \(f.message)\n")
            // What was compared before the guest failed is still reported.
            if outcomes.isEmpty { throw ExitCode(f.exitCode) }
        }
        var report = LiveReport(machine: machine, seed: seed, outcomes: outcomes, pagemap: nil)
        report.model += modelNote
        print(json ? try report.json() : report.text())
        if !report.disagreements.isEmpty { throw ExitCode(ExitStatus.counterexample.rawValue) }
    }

    /// probe/live-probe.c of this checkout (the guest's /init, built for the guest's architecture).
    func probeSourcePath() -> String {
        let local = "probe/live-probe.c"
        if FileManager.default.fileExists(atPath: local) { return local }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(local).path
    }
}
