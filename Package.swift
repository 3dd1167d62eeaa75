// swift-tools-version:6.0
import PackageDescription

/// swift-crypto's MD5, HMAC-MD5 and (in tests) SHA-256.
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

let package = Package(
    name: "cifstep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cifstep", targets: ["cifstep"]),
        .library(name: "SMBCrypto", targets: ["SMBCrypto"]),
        .library(name: "SMBWire", targets: ["SMBWire"]),
        .library(name: "KernelRuntime", targets: ["KernelRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // Sans-I/O layers: pure functions and values, no sockets, clocks or randomness.
        .target(name: "SMBCrypto", dependencies: [crypto]),
        .target(name: "SMBWire"),
        // The Markdown of executable lessons: a pure parser with no dependencies (it is fuzzed).
        .target(name: "LessonFormat"),
        // The simulated-kernel runtime (threads + baton) the client core and server run on.
        .target(name: "KernelRuntime", dependencies: ["SMBWire", "CGlibcSemaphore"]),
        // glibc's sem_clockwait, for the runtime's timed waits on the monotonic clock.
        .systemLibrary(name: "CGlibcSemaphore"),
        // The kernel-shaped client core and the loopback server, both on KernelRuntime.
        .target(name: "CIFSClient", dependencies: ["SMBWire", "SMBCrypto", "KernelRuntime"]),
        .target(name: "SMBServer", dependencies: ["SMBWire", "SMBCrypto", "KernelRuntime"]),
        // libedit for the REPL (DESIGN §5).
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        // glibc's mallopt, for `cifstep serve`'s reply buffers.
        .systemLibrary(name: "CGlibcMalloc"),
        // Command implementations, kept out of the executable so tests can call them.
        .target(
            name: "CifstepKit",
            dependencies: [
                "SMBCrypto", "SMBWire", "KernelRuntime", "CIFSClient", "SMBServer", "Stepper", "TraceRender", "LessonFormat",
                "CLibEdit",
                "CGlibcMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The stepper as a library: scenario, session, controls, catalogue (no I/O, no terminal).
        .target(
            name: "Stepper",
            dependencies: ["SMBCrypto", "SMBWire", "KernelRuntime", "CIFSClient", "SMBServer"],
            resources: [
                .embedInCode("Catalogue/client-tracepoints.json"),
                .embedInCode("Catalogue/server-tracepoints.json"),
            ]
        ),
        // Renderers: pure functions of events and snapshots (no runtime access) — the JSON trace document.
        .target(name: "TraceRender", dependencies: ["SMBWire", "KernelRuntime"]),
        .executableTarget(name: "cifstep", dependencies: ["CifstepKit"]),
        // libFuzzer harnesses (DESIGN §5, Fuzz/README.md): scripts/fuzz builds them with
        // -sanitize=fuzzer,address -DFUZZING; a plain build compiles them as stubs that say so.
        // One executable per set of dependencies, its targets chosen by name.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Fuzz/FuzzDriver"),
        .executableTarget(name: "FuzzWire", dependencies: ["FuzzDriver", "SMBWire"], path: "Fuzz/FuzzWire"),
        .executableTarget(name: "FuzzLesson", dependencies: ["FuzzDriver", "LessonFormat"], path: "Fuzz/FuzzLesson"),
        .executableTarget(name: "FuzzTrace", dependencies: ["FuzzDriver", "TraceRender"], path: "Fuzz/FuzzTrace"),
        .executableTarget(name: "FuzzREPL", dependencies: ["FuzzDriver", "Stepper"], path: "Fuzz/FuzzREPL"),
        .testTarget(name: "SMBCryptoTests", dependencies: ["SMBCrypto"]),
        // KernelRuntime for SplitMix64 only: the tests' one seeded generator.
        .testTarget(name: "SMBWireTests", dependencies: ["SMBWire", "KernelRuntime"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["CifstepKit", "TraceRender", "LessonFormat", crypto]),
        .testTarget(name: "TraceRenderTests", dependencies: ["TraceRender", "KernelRuntime", "SMBWire"]),
        .testTarget(name: "KernelRuntimeTests", dependencies: ["KernelRuntime"]),
        .testTarget(name: "LessonFormatTests", dependencies: ["LessonFormat"]),
        .testTarget(name: "StepperTests", dependencies: ["Stepper", "SMBCrypto", "SMBWire", "CIFSClient", "SMBServer", "KernelRuntime", "TraceRender"]),
        .testTarget(name: "CIFSClientTests", dependencies: ["CIFSClient", "SMBServer", crypto]),
        .testTarget(name: "SMBServerTests", dependencies: ["SMBServer", "CIFSClient", crypto]),
        // Real peers: Samba's smbd, smbclient, pysmb, tshark (started by scripts/test).
        .testTarget(name: "InteropTests", dependencies: ["CIFSClient", "SMBServer", "CifstepKit", "Stepper", "TraceRender", "KernelRuntime", crypto]),
    ]
)
