import ArgumentParser
import CIFSClient
import Foundation
import KernelRuntime
import SMBCrypto
import Stepper
import TraceRender

/// `cifstep get`: copy one file from an SMB1 server with the kernel-shaped client core, the
/// same code the stepper walks through, at full speed on real threads.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Copy a file from an SMB1 server with the kernel-shaped client core.",
        discussion: """
            The password comes from --password, else $CIFSTEP_PASSWORD, else a prompt (no echo). \
            A reply whose signature does not verify makes the copy fail (the 3.8 kernel only \
            logged -EACCES and used the data; --allow-bad-signature does the same). The output \
            file appears only once complete.
            """
    )

    @Argument(help: "//HOST[:PORT]/SHARE/PATH") var url: String
    @Option(name: .shortAndLong, help: "Output file, or - for stdout (default: the file's name).") var output: String?
    @Option(help: "User name.") var user: String
    @Option(help: "Password (visible to other users in the process list: prefer $CIFSTEP_PASSWORD).")
    var password: String?
    @Option(help: "Domain.") var domain: String?
    @Option(help: "ntlm | ntlmv2 | ntlmssp (the kernel's sec= option).") var auth: String = "ntlmssp"
    @Flag(help: "Sign every request and verify every reply.") var sign = false
    @Option(help: """
        Bytes per READ_ANDX, rounded down to whole 4 KiB pages (default 1 MiB, or 126976 when \
        signing, under smbd's 131011-byte cap on signed replies; the kernel's was 61440).
        """)
    var rsize: Int?
    @Option(help: ArgumentHelp(
        "Maximum readahead window in KiB, whole pages (default 1024, rounded down to whole READ_ANDX; "
            + "0 = no readahead: every page by a synchronous readpage).",
        valueName: "KiB"))
    var readahead: Int?
    @Option(help: "Write every trace event as JSON.") var trace: String?
    @Option(help: "Write the SMB traffic as a pcap file (port 445).") var pcap: String?
    @Option(help: ArgumentHelp(
        "Give up when the server has not answered a request or a read for this long (default 30; "
            + "the 3.8 kernel waited for ever).", valueName: "SECONDS"))
    var timeout: Double = GetCommand.defaultTimeout
    @Option(help: "Seed for challenges and nonces (default: random).") var seed: UInt64?
    @Flag(help: "Replace an existing output file.") var force = false
    @Flag(help: "Keep data whose signature did not verify, as the 3.8 kernel did.") var allowBadSignature = false

    func run() throws {
        let plan = try validated()
        let out = try OutputFile(path: plan.outputPath, overwrite: force)
        let transfer = try self.transfer(plan, into: out)
        try report(transfer, plan: plan, output: out)
    }

    /// What the flags ask for, checked.
    struct Plan {
        var target: SMBURL
        var options: MountOptions
        var outputPath: String
    }

    /// Checks every flag and the URL (usage errors, exit 2) and resolves the password.
    func validated() throws -> Plan {
        let target: SMBURL
        do {
            target = try SMBURL(parsing: url)
        } catch {
            throw CLIError.usage(error.message)
        }
        guard let mode = SecurityType(rawValue: auth) else {
            throw CLIError.usage("--auth: expected ntlm, ntlmv2 or ntlmssp, got '\(auth)'")
        }
        if let rsize, rsize < 1 || rsize > CIFSMount.maxRsize {
            throw CLIError.usage("--rsize: expected 1...\(CIFSMount.maxRsize)")
        }
        if let readahead, readahead < 0 || readahead > 1 << 20 {
            throw CLIError.usage("--readahead: expected 0...\(1 << 20) KiB")
        }
        guard timeout > 0, timeout <= GetCommand.maximumTimeout else {
            throw CLIError.usage("--timeout: expected more than 0 and at most \(Int(GetCommand.maximumTimeout)) seconds")
        }
        var options = MountOptions(host: target.host, share: target.share, user: user, password: try resolvePassword(),
                                   domain: domain, auth: mode, sign: sign, rsize: rsize,
                                   readaheadPages: readahead.map { $0 / 4 })
        options.responseTimeout = UInt64(timeout * 1e9)
        return Plan(target: target, options: options, outputPath: output ?? target.fileName)
    }

    /// How a copy went: the bytes written, its counters and times, and why it stopped if it failed.
    struct Transfer {
        var bytes: UInt64 = 0
        var statistics = MountStatistics()
        var started: UInt64 = 0
        var transferStarted: UInt64 = 0
        var finished: UInt64 = 0
        var failure: GetFailure?
    }

    /// Why a copy failed.
    enum GetFailure {
        /// A reply's signature did not verify and `--allow-bad-signature` was not given: the copy
        /// stopped before any byte of that reply reached the output.
        case badSignature
        /// Anything else the client core or the transport reported.
        case error(any Error)
    }

    /// A reply failed verification: stop the copy (thrown inside the read loop).
    private struct SignatureRefused: Error {}

    /// Mounts, opens and copies through the page cache into `out`; writes the trace and the
    /// capture even when the copy failed (that is when they help).
    func transfer(_ plan: Plan, into out: OutputFile) throws -> Transfer {
        // Before the runtime spawns the reader, cifsd and cifsiod, so that they inherit it.
        BatchScheduling.applyToCallingThread()
        let recorder = trace == nil ? nil : TraceRecorder()
        let runtime = FreeRunRuntime(seed: seed ?? UInt64.random(in: 0...UInt64.max), recorder: recorder)
        let capture = try pcap.map { try WireCapture(path: $0) }
        let host = plan.target.host, port = plan.target.port
        let mount = CIFSMount(runtime: runtime, options: plan.options) {
            let tcp = try TCPTransport.connect(host: host, port: port, timeout: .seconds(10))
            return capture.map { $0.wrap(tcp) } ?? tcp
        }

        var result = Transfer(started: ProgressBar.nowNanos())
        nonisolated(unsafe) var transferStart: UInt64 = 0
        nonisolated(unsafe) var bytes: UInt64 = 0
        let refuseBadSignatures = !allowBadSignature
        do {
            try runtime.runMain(name: "reader") {
                try mount.mount()
                defer { try? mount.unmount() }
                let file = try mount.open(plan.target.path)
                transferStart = ProgressBar.nowNanos()
                let progress = ProgressBar(total: file.size)
                // The page cache with readahead and asynchronous READ_ANDX (cifs_readpages).
                // The pages' bytes go to the output straight from the cache (one writev a batch).
                bytes = try mount.readThroughPageCache(file, gathering: { pages in
                    // Stop before a byte that failed verification reaches the output (stdout
                    // cannot be taken back).
                    if refuseBadSignatures, mount.statistics.signatureFailures > 0 { throw SignatureRefused() }
                    try out.write(gathering: pages)
                }, progress: { done, _ in progress.update(done) })
                progress.finish()
                try mount.close(file)
            }
        } catch is SignatureRefused {
            result.failure = .badSignature
        } catch {
            result.failure = .error(error)
        }
        result.finished = ProgressBar.nowNanos()
        result.transferStarted = transferStart
        result.bytes = bytes
        result.statistics = mount.statistics
        if result.failure == nil, refuseBadSignatures, result.statistics.signatureFailures > 0 {
            result.failure = .badSignature
        }

        if let trace, let recorder { try TraceFile.write(TraceDocument(events: recorder.events), to: trace, overwrite: true) }
        try capture?.finish()
        return result
    }

    /// Keeps or discards the output and says how it went: one line on stderr.
    func report(_ transfer: Transfer, plan: Plan, output out: OutputFile) throws {
        let stats = transfer.statistics
        switch transfer.failure {
        case .error(let error)?:
            out.discard()
            throw CLIError.failure(GetCommand.describe(error, url: plan.target))
        case .badSignature?:
            out.discard()
            let count = max(stats.signatureFailures, 1)
            throw CLIError.failure("\(count) repl\(count == 1 ? "y" : "ies") failed signature verification (-EACCES: possible man in the middle); nothing written (--allow-bad-signature keeps the data)")
        case nil:
            try out.commit()
        }

        let total = Double(transfer.finished - transfer.started) / 1e9
        let seconds = Double(transfer.finished - max(transfer.transferStarted, transfer.started)) / 1e9
        let rate = seconds > 0 ? Double(transfer.bytes) / seconds / 1e6 : 0
        var summary = "\(transfer.bytes) bytes in \(Formatting.decimal(total, places: 3)) s "
        summary += "(\(Formatting.decimal(rate, places: 1)) MB/s transfer), \(stats.readsIssued) reads, "
        summary += "at most \(stats.maxInFlight) in flight, \(stats.asyncReads) async, "
        summary += "\(stats.readpageFallbacks) readpage fallback\(stats.readpageFallbacks == 1 ? "" : "s"), "
        summary += sign || stats.signaturesVerified > 0
            ? "\(stats.signaturesVerified) signatures verified" : "unsigned"
        if stats.signatureFailures > 0 { summary += ", \(stats.signatureFailures) signature failures kept" }
        Terminal.writeError(summary + "\n")
    }

    /// A file copy's patience: far more than any reply of a working server takes, short enough
    /// that a dead one is noticed.
    static let defaultTimeout: Double = 30
    /// A day: anything longer is a mistake (and would overflow nothing, but helps no one).
    static let maximumTimeout: Double = 86_400

    private func resolvePassword() throws -> String {
        if let password { return password }
        if let env = ProcessInfo.processInfo.environment["CIFSTEP_PASSWORD"] { return env }
        if let typed = Terminal.readSecret(prompt: "Password for \(user): ") { return typed }
        throw CLIError.usage("no password: use --password, $CIFSTEP_PASSWORD, or run on a terminal")
    }

    /// One line that says what went wrong, in the user's terms.
    static func describe(_ error: Error, url: SMBURL) -> String {
        if let e = error as? CIFSError { return "\(url.host): \(e)" }
        if let e = error as? TransportError { return "\(e)" }
        return "\(error)"
    }
}
