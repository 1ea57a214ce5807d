// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hugealign",
    products: [
        .executable(name: "hugealign", targets: ["hugealign"]),
        .executable(name: "hugealign-bench", targets: ["hugealign-bench"]),
        // The embedding library: front end, semantics, engines, reports.
        .library(name: "HugeAlign", targets: ["SMT", "KernelC", "Placement", "KernelTree", "Semantics", "Compiled", "Engines", "Reports"]),
        // Helpers for Swift test targets that prove specs.
        .library(name: "HugeAlignTesting", targets: ["HugeAlignTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZ3", pkgConfig: "z3", providers: [.apt(["libz3-dev"])]),
        .target(name: "SMT", dependencies: ["CZ3", "CLinux"]),
        .target(name: "CLinux"),
        .target(name: "KernelC"),
        .target(name: "Placement", dependencies: ["KernelC"]),
        // Placement functions read from a user's kernel source tree, and the environment around them.
        .target(name: "KernelTree", dependencies: ["KernelC", "Placement"]),
        .target(name: "Semantics", dependencies: ["KernelC", "Placement", "SMT"]),
        // The checked IR as native code (C through the system compiler), for the concrete engines.
        .target(name: "Compiled", dependencies: ["Semantics", "KernelC", "Placement", "CLinux"]),
        .target(name: "Engines", dependencies: ["Semantics", "Compiled", "KernelC", "Placement", "SMT"]),
        .target(name: "Reports", dependencies: ["Engines", "Semantics", "KernelC", "Placement"]),
        .target(name: "HugeAlignTesting", dependencies: ["Engines", "Reports", "KernelC", "Placement"]),
        .executableTarget(name: "hugealign", dependencies: [
            "Engines", "Reports", "KernelC", "KernelTree", "Placement", "Semantics", "CLinux",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hugealign-bench", dependencies: ["Engines", "Compiled", "Semantics", "KernelC", "Placement", "SMT"]),
        .testTarget(name: "HugeAlignTests", dependencies: [
            "SMT", "KernelC", "KernelTree", "Placement", "Semantics", "Compiled", "Engines", "Reports", "HugeAlignTesting", "hugealign", "hugealign-bench",
        ], resources: [.copy("Malformed")]),
    ]
)
