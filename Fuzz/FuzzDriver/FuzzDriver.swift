#if FUZZING
import CLibFuzzer
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One fuzz target: a name for the command line and a function that takes any bytes.
///
/// The function must return normally for every input; a decoder that traps, or an invariant
/// the harness checks with ``FuzzCheck/require(_:_:)``, is what libFuzzer reports as a crash.
public struct FuzzTarget: Sendable {
    public var name: String
    /// One line for `--list`: what the target feeds its input to.
    public var summary: String
    public var run: @Sendable ([UInt8]) -> Void

    public init(_ name: String, _ summary: String, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// Runs the fuzz target named by the first argument under libFuzzer.
///
/// An executable holds the targets that share its dependencies (all of SMBWire's in one, so the
/// fuzz build links few programs); `PROGRAM TARGET [libFuzzer flags] [corpus dirs]` runs one,
/// `PROGRAM --list` lists them. Built without `-DFUZZING` (a plain `swift build`), it only says
/// how to build it — so the package builds everywhere and the harnesses keep compiling.
public enum FuzzDriver {
    public static func main(_ targets: [FuzzTarget]) -> Never {
        let arguments = CommandLine.arguments
        let program = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "fuzz"
        guard arguments.count >= 2, arguments[1] != "--list", arguments[1] != "--help" else {
            print("usage: \(program) TARGET [libFuzzer flags] [corpus dirs]\ntargets:")
            for t in targets { print("  \(t.name)\(String(repeating: " ", count: max(1, 17 - t.name.count)))\(t.summary)") }
            exit(arguments.count >= 2 ? 0 : 2)
        }
        guard let target = targets.first(where: { $0.name == arguments[1] }) else {
            print("\(program): no target '\(arguments[1])'; \(program) --list names them")
            exit(2)
        }
        #if FUZZING
        selected = target.run
        // libFuzzer sees the program name and everything after the target's name.
        var forwarded = [arguments[0]] + arguments.dropFirst(2)
        var argc = CInt(forwarded.count)
        var cStrings: [UnsafeMutablePointer<CChar>?] = forwarded.map { strdup($0) } + [nil]
        let status = cStrings.withUnsafeMutableBufferPointer { buffer -> CInt in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                selected?(bytes)
                return 0
            }
        }
        forwarded.removeAll()
        exit(status)
        #else
        _ = target
        print("\(program) was built without libFuzzer; build it with scripts/fuzz build")
        exit(2)
        #endif
    }
}

#if FUZZING
/// libFuzzer's classic entry point. SwiftPM links a debug executable with `--defsym
/// main=<module>_main` (so tests can import it), which leaves `main` undefined while the linker
/// reads libFuzzer's archive: that pulls in libFuzzer's own `main` and its reference to this
/// function. The `main` that runs is still ours (``FuzzDriver/main(_:)``, which hands libFuzzer
/// its callback through `LLVMFuzzerRunDriver`); this definition only satisfies the reference.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected?(bytes)
    return 0
}
#endif

/// The target libFuzzer's C callback calls (a C function pointer cannot capture it). Written
/// once before the fuzzing loop starts, then only read, from libFuzzer's single thread.
nonisolated(unsafe) private var selected: (@Sendable ([UInt8]) -> Void)?

/// Invariant checks inside harnesses: a broken one is a finding, reported like a crash.
public enum FuzzCheck {
    /// Stops the run (libFuzzer saves the input) when `condition` is false.
    public static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        guard condition() else { fail(message()) }
    }

    /// Prints `message` and aborts, so libFuzzer records the input as a crash.
    public static func fail(_ message: String) -> Never {
        // stdout is where libFuzzer's own report goes too; flush before aborting.
        print("fuzz invariant broken: \(message)")
        fflush(nil)
        abort()
    }
}
