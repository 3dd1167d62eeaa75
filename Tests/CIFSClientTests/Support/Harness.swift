import CIFSClient
import Crypto
import KernelRuntime
import SMBWire

#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers: mounting under a runtime, test data, lab addresses.
enum Harness {
    static let helloText = Array("Hello from the SMB1 interop lab!\n".utf8)

    /// `count` bytes of a fixed pseudo-random pattern, the same in every run: the runtime's own
    /// ``SeededGenerator`` (one generator for the tests and the code), eight bytes per draw, so
    /// a shorter pattern is a prefix of a longer one.
    static func pattern(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.bytes(count)
    }

    static func options(auth: SecurityType = .ntlm, sign: Bool = false, rsize: Int? = nil, password: String = "Wonderland-42",
                        host: String = "fake", reconnectAttempts: Int = 3) -> MountOptions {
        MountOptions(host: host, share: "share", user: "alice", password: password, auth: auth, sign: sign,
                     rsize: rsize, reconnectAttempts: reconnectAttempts)
    }

    /// A value a simulated thread sets and the test reads afterwards.
    final class Box<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Runs `body` as the `reader` thread of `runtime` with a fresh mount, and returns the mount.
    @discardableResult
    static func withMount(_ runtime: any KernelRuntime, options: MountOptions,
                          connect: @escaping @Sendable () throws -> any Transport,
                          _ body: @escaping @Sendable (CIFSMount) throws -> Void) throws -> CIFSMount {
        let mount = CIFSMount(runtime: runtime, options: options, connect: connect)
        try runtime.runMain(name: "reader") {
            try body(mount)
        }
        return mount
    }

    /// Mounts, reads `path` whole, unmounts; returns the bytes and the mount.
    static func fetch(_ runtime: any KernelRuntime, options: MountOptions, path: String,
                      connect: @escaping @Sendable () throws -> any Transport) throws -> ([UInt8], CIFSMount) {
        let data = Box<[UInt8]>([])
        let mount = try withMount(runtime, options: options, connect: connect) { mount in
            try mount.mount()
            let file = try mount.open(path)
            try mount.read(file) { data.value += $0 }
            try mount.close(file)
            try mount.unmount()
        }
        return (data.value, mount)
    }

    /// The environment variable `name`, if set and not empty.
    static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }

    /// `host:port` from `name`, or nil (the test should skip) — or a failure when `CI` is
    /// `true`, where the lab must be there.
    static func labAddress(_ name: String) -> (host: String, port: UInt16)? {
        guard let value = environment(name) else { return nil }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        return (String(parts[0]), port)
    }

    /// SHA-256 of `bytes`, lower-case hex.
    static func sha256(_ bytes: [UInt8]) -> String {
        Hex.encode(Array(SHA256.hash(data: bytes)))
    }

    static var isCI: Bool { environment("CI") == "true" }

    /// Events of `function` in a recorder.
    static func events(_ recorder: TraceRecorder?, _ function: String) -> [TraceEvent] {
        (recorder?.events ?? []).filter { $0.function == function }
    }
}
