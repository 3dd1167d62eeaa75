import ArgumentParser
import CGlibcMalloc
import Foundation
import KernelRuntime
import SMBServer
import Stepper
import TraceRender

/// `cifstep serve`: the loopback SMB1 server, for smbclient, pysmb, the kernel's own cifs
/// client or `cifstep get`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve shares over SMB1 (NT LM 0.12) until interrupted.",
        discussion: """
            With no --share, serves a small in-memory share named 'share'. With no --user, \
            accepts alice / Wonderland-42. Shares are read-only; names that leave a share \
            (.., absolute paths, symlinks pointing outside) are refused.
            """
    )

    @Option(help: "Address to listen on (loopback by default).") var listen: String = "127.0.0.1:4450"
    @Option(name: .customLong("share"), help: "NAME=DIR: serve DIR read-only as NAME (repeatable).")
    var shares: [String] = []
    @Option(name: .customLong("user"), help: "NAME:PASSWORD (repeatable).") var users: [String] = []
    @Option(help: "off | auto | required") var signing: String = "auto"
    @Option(help: "Write every trace event as JSON when the server stops.") var trace: String?
    @Option(name: .customLong("fault"), help: "Inject a fault: read-error:N[:STATUS], corrupt-signature:N, drop-reply:N, delay-reply:N:MS, close:N, invalidate-handle:N, reject-login:N (repeatable).")
    var faults: [String] = []
    @Option(help: "Seed for challenges and GUIDs (default: random).") var seed: UInt64?

    func run() throws {
        let (host, port) = try ServeCommand.parseListen(listen)
        guard let policy = SigningPolicy(rawValue: signing) else {
            throw CLIError.usage("--signing: expected off, auto or required, got '\(signing)'")
        }
        var plan = FaultPlan()
        for spec in faults { try FaultSpec.apply(spec, to: &plan) }
        var shareMap: [String: ShareSource] = [:]
        for spec in shares {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
                throw CLIError.usage("--share: expected NAME=DIR, got '\(spec)'")
            }
            let name = String(spec[..<eq]), dir = String(spec[spec.index(after: eq)...])
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError.usage("--share \(name): '\(dir)' is not a directory")
            }
            shareMap[name] = .directory(dir)
        }
        if shareMap.isEmpty { shareMap["share"] = .memory(DemoShare.files) }
        var userMap: [String: String] = [:]
        for spec in users {
            guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex else {
                throw CLIError.usage("--user: expected NAME:PASSWORD, got '\(spec)'")
            }
            userMap[String(spec[..<colon])] = String(spec[spec.index(after: colon)...])
        }
        if userMap.isEmpty {
            // The demo identity is the stepper scenario's, written once (Stepper.Scenario).
            let demo = Scenario()
            userMap[demo.user] = demo.password
            Terminal.writeError("serve: no --user given; accepting \(demo.user) / \(demo.password)\n")
        }

        // Each READ_ANDX reply is a buffer of up to a few MiB. By default glibc maps and unmaps
        // every such buffer, paying page faults and zeroing per reply; serving them from the
        // heap instead took smbclient's rate from this server from 0.64x to 1.55x of smbd's
        // (Benchmarks/readahead-vs-smbclient.sh, serve scenario).
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 128 << 20)

        let recorder = trace == nil ? nil : TraceRecorder()
        let runtime = FreeRunRuntime(seed: seed ?? UInt64.random(in: 0...UInt64.max), recorder: recorder)
        let config = SMBServerConfiguration(users: userMap, shares: shareMap, signing: policy, faults: plan) { event in
            Terminal.writeError("serve: \(event)\n")
        }
        let server: SMBServer
        do { server = try SMBServer(configuration: config, runtime: runtime) } catch {
            throw CLIError.usage("\(error)")
        }
        let listener: TCPListener
        do { listener = try TCPListener(host: host, port: port) } catch {
            throw CLIError.failure("cannot listen on \(host):\(port): \(error)")
        }
        Terminal.writeError("serve: listening on \(host):\(listener.port) (signing \(policy.rawValue)); shares: \(shareMap.keys.sorted().joined(separator: ", "))\n")

        // SIGINT/SIGTERM stop the server; the accept loop then returns.
        let stopper = SignalStopper { server.stop() }
        defer { withExtendedLifetime(stopper) {} }
        try server.serve(listener: listener)
        if let trace, let recorder { try TraceFile.write(TraceDocument(events: recorder.events), to: trace, overwrite: true) }
        Terminal.writeError("serve: stopped\n")
    }

    static func parseListen(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":") else {
            throw CLIError.usage("--listen: expected HOST:PORT, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]) else {
            throw CLIError.usage("--listen: expected HOST:PORT, got '\(text)'")
        }
        return (host, port)
    }
}

/// Runs `action` once on SIGINT or SIGTERM.
final class SignalStopper {
    private var sources: [DispatchSourceSignal] = []

    init(_ action: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
    }
}

/// The files of the default in-memory share: the stepper's standard demo files.
enum DemoShare {
    static var files: [String: [UInt8]] { DemoFiles.standard }
}
