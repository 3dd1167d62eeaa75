import CIFSClient
import Foundation
import KernelRuntime
import SMBWire
import Testing

/// The async read path against a real smbd 4.17 (`CIFSTEP_SAMBA`, `CIFSTEP_SAMBA_SIGNED`):
/// files of awkward sizes are put on the lab's share with smbclient, read back through the page
/// cache, compared byte for byte and deleted. Skipped without the labs, failed under `CI=true`.
@Suite("Readahead against Samba", .serialized)
struct ReadaheadSambaTests {
    /// sha256 of the lab's `big-8m.bin` (`BIG_MB=8`: the first 8 MiB of the AES-CTR keystream).
    static let big8MSHA256 = "24206b8316ce67b5efab26ab54ccf0f8a1e05e5814330b156e2411270da8039a"
    static let sizes = [0, 1, 4095, 4096, 4097, 3 * 61_440 - 4096, 1_000_003]

    static func options(_ address: (host: String, port: UInt16), sign: Bool = false, rsize: Int? = nil) -> MountOptions {
        var options = Harness.options(auth: .ntlmssp, sign: sign, rsize: rsize, password: SambaTests.password,
                                      host: address.host)
        options.user = SambaTests.user
        options.reconnectAttempts = 1
        return options
    }

    static func read(_ address: (host: String, port: UInt16), _ path: String, sign: Bool = false,
                     rsize: Int? = nil) throws -> ReadaheadHarness.Outcome {
        try ReadaheadHarness.read(FreeRunRuntime(seed: 41), options: options(address, sign: sign, rsize: rsize),
                                  path: path) {
            try TCPTransport.connect(host: address.host, port: address.port)
        }
    }

    @Test("sizes 0, 1, 4095, 4096, 4097, 176,128 and 1,000,003 put with smbclient read back byte-exact, two rsizes")
    func awkwardSizes() throws {
        guard let address = SambaTests.lab("CIFSTEP_SAMBA") else { return }
        guard let smbclient = Smbclient(address: address) else { return }
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        for size in Self.sizes {
            let name = "ra-\(tag)-\(size).bin"
            let content = Harness.pattern(size, seed: UInt64(size) &+ 99)
            try smbclient.put(content, as: name)
            defer { try? smbclient.delete(name) }
            for rsize in [61_440, nil] as [Int?] {
                let run = try Self.read(address, name, rsize: rsize)
                #expect(run.bytes == content, "\(size) bytes, rsize \(rsize.map(String.init) ?? "default")")
                #expect(run.statistics.readpageFallbacks == 0)
                #expect(run.statistics.asyncReads == (size == 0 ? 0 : run.statistics.readsIssued))
            }
        }
    }

    @Test("big-8m.bin, unsigned: many 1 MiB windows, several 60 KiB READ_ANDX in flight, both read sizes")
    func multiWindow() throws {
        guard let address = SambaTests.lab("CIFSTEP_SAMBA") else { return }
        for rsize in [61_440, nil] as [Int?] {
            let run = try Self.read(address, "big-8m.bin", rsize: rsize)
            #expect(Harness.sha256(run.bytes) == Self.big8MSHA256)
            let stats = run.statistics
            #expect(stats.readpageFallbacks == 0)
            if rsize != nil { #expect(stats.maxInFlight >= 2) }
            // 2048 pages: at least 137 reads of 15 pages, or 8 of 256.
            #expect(stats.asyncReads >= (rsize == nil ? 8 : 137))
        }
        let random = try Self.read(address, "random-1m.bin")
        #expect(Harness.sha256(random.bytes) == SambaTests.random1MSHA256)
    }

    @Test("ntlmssp + sign against SIGNING=mandatory: every READ_ANDX signature verified over header and pages")
    func signed() throws {
        guard let address = SambaTests.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let run = try Self.read(address, "big-8m.bin", sign: true)
        #expect(Harness.sha256(run.bytes) == Self.big8MSHA256)
        let stats = run.statistics
        #expect(stats.signatureFailures == 0)
        // TREE_CONNECT, NT_CREATE, TRANS2, the reads, CLOSE, TDIS, LOGOFF.
        #expect(stats.signaturesVerified == stats.requestsSent - 3)
        #expect(stats.signaturesVerified == stats.asyncReads + 6)
        #expect(stats.readpageFallbacks == 0)
        #expect(stats.asyncReads >= 67)  // 2048 pages in runs of at most 31
    }

    @Test("signed with rsize 256 KiB: smbd's 131,011-byte replies come back short, readpage fills the rest, all verified")
    func signedShortReplies() throws {
        guard let address = SambaTests.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let run = try Self.read(address, "random-1m.bin", sign: true, rsize: 256 * 1024)
        #expect(Harness.sha256(run.bytes) == SambaTests.random1MSHA256)
        let stats = run.statistics
        #expect(stats.signatureFailures == 0)
        #expect(stats.signaturesVerified == stats.requestsSent - 3)
        #expect(stats.readpageFallbacks > 0)
    }
}

/// smbclient against a lab, to put and delete test files (the lab's share is writable).
struct Smbclient {
    let path: String
    let address: (host: String, port: UInt16)
    let signed: Bool

    /// nil (skip, or an issue under CI) when smbclient is not installed.
    init?(address: (host: String, port: UInt16), signed: Bool = false) {
        guard let path = ["/usr/bin/smbclient", "/usr/local/bin/smbclient"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            if Harness.isCI { Issue.record("smbclient is not installed but CI=true") }
            return nil
        }
        self.path = path
        self.address = address
        self.signed = signed
    }

    func run(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var arguments = ["//\(address.host)/share", "-p", String(address.port),
                         "-U", "\(SambaTests.user)%\(SambaTests.password)", "-m", "NT1",
                         "--option=client min protocol=NT1", "-c", command]
        if signed { arguments.append("--option=client signing=required") }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, !text.contains("NT_STATUS_") else {
            throw CIFSError.invalidArgument("smbclient -c '\(command)' failed: \(text)")
        }
    }

    func put(_ content: [UInt8], as name: String) throws {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-\(name)")
        try Data(content).write(to: local)
        defer { try? FileManager.default.removeItem(at: local) }
        try run("put \(local.path) \(name)")
    }

    func delete(_ name: String) throws {
        try run("del \(name)")
    }
}
