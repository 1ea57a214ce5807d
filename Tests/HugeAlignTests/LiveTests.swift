import Foundation
import Testing

/// The x86-64 models against the running kernel: real mmap calls in a child process.
@Suite struct LiveTests {
    @Test func modelAgreesWithThisKernel() throws {
        #if os(Linux) && arch(x86_64)
        let r = try runCLI(["live", "--count", "400", "--seed", "3", "--json"])
        #expect(r.status == 0, "disagreements:\n\(r.out)\(r.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let requests = doc?["requests"] as? Int ?? 0
        let agreements = doc?["agreements"] as? Int ?? -1
        #expect(requests == 400)
        #expect(agreements == requests)
        #else
        print("LiveTests: skipped: hugealign live compares with the x86-64 Linux kernel, and this is not one")
        #endif
    }

    @Test func sameSeedSameRequests() throws {
        #if os(Linux) && arch(x86_64)
        let a = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        let b = try runCLI(["live", "--count", "50", "--seed", "9", "--json"])
        #expect(a.out == b.out)
        #endif
    }
}
