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
            (.., absolute paths) are refused, and symlinks pointing outside answer as missing \
            names. The limits below bound what one client, and all of them together, may \
            hold (see README, "What serve lets one client take").
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
    @OptionGroup(title: "Limits (what one client, and all together, may take)") var limits: ServeLimitOptions

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
        // (Benchmarks/readahead-vs-smbclient.sh, serve scenario). Connections now build those
        // replies in one reused buffer each; what a connection freed is handed back to the
        // system when it closes (malloc_trim below), so the heap does not keep it.
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 128 << 20)

        var serverLimits = try limits.serverLimits()
        let descriptors = ServeCommand.raiseDescriptorLimit()
        // Opens of one file share a descriptor, so the server needs at most one per distinct
        // open file, one per connection, and a few of its own.
        let budget = descriptors - serverLimits.maxConnections - ServeCommand.reservedDescriptors
        if serverLimits.maxOpenFiles > budget {
            let clamped = max(1, budget)
            Terminal.writeError("serve: --max-open-files \(serverLimits.maxOpenFiles) lowered to \(clamped): "
                                + "the process may open \(descriptors) descriptors\n")
            serverLimits.maxOpenFiles = clamped
        }

        let recorder = trace == nil ? nil : TraceRecorder()
        let runtime = FreeRunRuntime(seed: seed ?? UInt64.random(in: 0...UInt64.max), recorder: recorder)
        var config = SMBServerConfiguration(users: userMap, shares: shareMap, signing: policy, faults: plan,
                                            limits: serverLimits) { event in
            Terminal.writeError("serve: \(event)\n")
        }
        config.maxRequestSize = limits.maxFrameSize
        config.connectionEnded = { _ = malloc_trim(0) }
        let server: SMBServer
        do { server = try SMBServer(configuration: config, runtime: runtime) } catch {
            throw CLIError.usage("\(error)")
        }
        let listener: TCPListener
        do { listener = try TCPListener(host: host, port: port, backlog: serverLimits.listenBacklog) } catch {
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

    /// Descriptors kept for the listener, standard streams and the runtime's own.
    static let reservedDescriptors = 32

    /// Raises the soft RLIMIT_NOFILE to the hard one and returns the limit in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
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

/// `serve`'s limits (``SMBServerLimits``); each default is the library's, with its reason there.
struct ServeLimitOptions: ParsableArguments {
    private static let defaults = SMBServerLimits()

    @Option(help: "Connections served at once; more are refused with an NBSS negative session response.")
    var maxConnections: Int = defaults.maxConnections
    @Option(help: "listen(2) backlog (a burst of connects needs no SYN retry; capped by net.core.somaxconn).")
    var backlog: Int32 = defaults.listenBacklog
    @Option(help: "Open files per connection (STATUS_TOO_MANY_OPENED_FILES past it).")
    var maxOpenFilesPerConnection: Int = defaults.maxOpenFilesPerConnection
    @Option(help: "Open files across all connections (opens of one file share a descriptor).")
    var maxOpenFiles: Int = defaults.maxOpenFiles
    @Option(help: "Open directory searches per connection (STATUS_INSUFFICIENT_RESOURCES past it).")
    var maxSearchesPerConnection: Int = defaults.maxSearchesPerConnection
    @Option(help: "Open directory searches across all connections.")
    var maxSearches: Int = defaults.maxSearches
    @Option(help: "Half-finished NTLMSSP logins per connection.")
    var maxPendingLoginsPerConnection: Int = defaults.maxPendingLoginsPerConnection
    @Option(help: "Half-finished NTLMSSP logins across all connections.")
    var maxPendingLogins: Int = defaults.maxPendingLogins
    @Option(help: "Logged-on sessions (UIDs) per connection.")
    var maxSessionsPerConnection: Int = defaults.maxSessionsPerConnection
    @Option(help: "Tree connects (TIDs) per connection.")
    var maxTreesPerConnection: Int = defaults.maxTreesPerConnection
    @Option(help: "Largest request frame in bytes (larger ones, keep-alives included, close the connection).")
    var maxFrameSize: Int = SMBServerConfiguration().maxRequestSize
    @Option(help: "Seconds a started frame may take to arrive, and a reply to be taken, before the connection is closed.")
    var frameTimeout: Double = Double(defaults.frameTimeout) / 1e9
    @Option(help: "Seconds a connection may stay without a logged-on session.")
    var loginTimeout: Double = Double(defaults.loginTimeout) / 1e9
    @Option(help: "Seconds a logged-on connection may stay without a request.")
    var idleTimeout: Double = Double(defaults.idleTimeout) / 1e9

    func serverLimits() throws -> SMBServerLimits {
        let counts: [(String, Int)] = [
            ("--max-connections", maxConnections), ("--backlog", Int(backlog)),
            ("--max-open-files-per-connection", maxOpenFilesPerConnection), ("--max-open-files", maxOpenFiles),
            ("--max-searches-per-connection", maxSearchesPerConnection), ("--max-searches", maxSearches),
            ("--max-pending-logins-per-connection", maxPendingLoginsPerConnection),
            ("--max-pending-logins", maxPendingLogins), ("--max-sessions-per-connection", maxSessionsPerConnection),
            ("--max-trees-per-connection", maxTreesPerConnection),
        ]
        for (name, value) in counts where value < 1 {
            throw CLIError.usage("\(name): expected a count of at least 1, got \(value)")
        }
        guard maxFrameSize >= 1024 && maxFrameSize <= 0xFF_FFFF else {
            throw CLIError.usage("--max-frame-size: expected 1024…16777215 bytes, got \(maxFrameSize)")
        }
        func nanoseconds(_ name: String, _ seconds: Double) throws -> UInt64 {
            guard seconds.isFinite, seconds >= 0.01, seconds <= 86_400 * 365 else {
                throw CLIError.usage("\(name): expected seconds between 0.01 and a year, got \(seconds)")
            }
            return UInt64(seconds * 1e9)
        }
        return SMBServerLimits(
            maxConnections: maxConnections, listenBacklog: backlog,
            maxOpenFilesPerConnection: maxOpenFilesPerConnection, maxOpenFiles: maxOpenFiles,
            maxSearchesPerConnection: maxSearchesPerConnection, maxSearches: maxSearches,
            maxPendingLoginsPerConnection: maxPendingLoginsPerConnection, maxPendingLogins: maxPendingLogins,
            maxSessionsPerConnection: maxSessionsPerConnection, maxTreesPerConnection: maxTreesPerConnection,
            frameTimeout: try nanoseconds("--frame-timeout", frameTimeout),
            loginTimeout: try nanoseconds("--login-timeout", loginTimeout),
            idleTimeout: try nanoseconds("--idle-timeout", idleTimeout))
    }
}
