import CIFSClient
import KernelRuntime
import SMBWire
import Testing

/// The client core against a real smbd 4.17 (`../shared/interop/samba-up.sh`), over TCP on the
/// free-running runtime. The lab addresses come from `CIFSTEP_SAMBA` (default signing) and
/// `CIFSTEP_SAMBA_SIGNED` (`SIGNING=mandatory`) as `host:port`; without them the tests skip,
/// except under `CI=true`, where they fail.
@Suite("Client core against Samba", .serialized)
struct SambaTests {
    static let random1MSHA256 = "81d2e0277e02e82905a82544e0b46f944fbb644a2287c211b3eab305b42c81a9"

    /// The lab at `variable`, or nil after recording why (skip) or failing (CI).
    static func lab(_ variable: String) -> (host: String, port: UInt16)? {
        if let address = Harness.labAddress(variable) { return address }
        if Harness.isCI {
            Issue.record("\(variable) is not set (host:port of the Samba lab) but CI=true")
        } else {
            print("skipping: set \(variable)=host:port to test against a Samba lab")
        }
        return nil
    }

    /// The lab's account (`scripts/test` may set its own).
    static var user: String { Harness.environment("CIFSTEP_SAMBA_USER") ?? "alice" }
    static var password: String { Harness.environment("CIFSTEP_SAMBA_PASSWORD") ?? "Wonderland-42" }

    static func fetch(_ address: (host: String, port: UInt16), auth: SecurityType, sign: Bool = false,
                      path: String, rsize: Int? = nil) throws -> ([UInt8], CIFSMount) {
        let runtime = FreeRunRuntime(seed: 99)
        var options = Harness.options(auth: auth, sign: sign, rsize: rsize, password: password, host: address.host)
        options.user = user
        options.reconnectAttempts = 1
        return try Harness.fetch(runtime, options: options, path: path) {
            try TCPTransport.connect(host: address.host, port: address.port)
        }
    }

    @Test("sec=ntlm, unsigned: hello.txt and random-1m.bin", arguments: [SecurityType.ntlm, .ntlmv2, .ntlmssp])
    func unsigned(auth: SecurityType) throws {
        guard let address = Self.lab("CIFSTEP_SAMBA") else { return }
        let (hello, helloMount) = try Self.fetch(address, auth: auth, path: "hello.txt")
        #expect(hello == Harness.helloText)
        #expect(helloMount.statistics.signaturesVerified == 0)
        #expect(helloMount.statistics.signatureFailures == 0)
        #expect(helloMount.session.serverOS != nil)

        let (random, mount) = try Self.fetch(address, auth: auth, path: "random-1m.bin")
        #expect(random.count == 1 << 20)
        #expect(Harness.sha256(random) == Self.random1MSHA256)
        #expect(mount.statistics.readsIssued == 18)  // 1 MiB in 61,440-byte reads
        #expect(mount.statistics.reconnects == 0)
    }

    @Test("ntlmssp + sign against SIGNING=mandatory: every Samba signature verified")
    func signedMandatory() throws {
        guard let address = Self.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let (random, mount) = try Self.fetch(address, auth: .ntlmssp, sign: true, path: "random-1m.bin")
        #expect(Harness.sha256(random) == Self.random1MSHA256)
        let stats = mount.statistics
        #expect(stats.signatureFailures == 0)
        // TREE_CONNECT, NT_CREATE, TRANS2, 18 READs, CLOSE, TDIS, LOGOFF.
        #expect(stats.signaturesVerified == 24)
        #expect(stats.signaturesVerified == stats.requestsSent - 3)
    }

    @Test("ntlmssp without --sign against SIGNING=mandatory signs because the server requires it")
    func mandatoryWithoutFlag() throws {
        guard let address = Self.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let (hello, mount) = try Self.fetch(address, auth: .ntlmssp, path: "hello.txt")
        #expect(hello == Harness.helloText)
        #expect(mount.statistics.signatureFailures == 0)
        #expect(mount.statistics.signaturesVerified == 7)
    }

    @Test("signed reads of 1 MiB: smbd caps each reply near 128 KiB, the loop follows DataLength")
    func signedLargeReads() throws {
        guard let address = Self.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let (random, mount) = try Self.fetch(address, auth: .ntlmssp, sign: true, path: "random-1m.bin", rsize: 1 << 20)
        #expect(Harness.sha256(random) == Self.random1MSHA256)
        #expect(mount.statistics.readsIssued == 9)  // 8 replies of 131,011 bytes, then the rest
        #expect(mount.statistics.signatureFailures == 0)
    }

    @Test("old-style ntlm against SIGNING=mandatory: smbd never signs old-style sessions, every check is -EACCES, the data is used")
    func oldStyleAgainstMandatory() throws {
        guard let address = Self.lab("CIFSTEP_SAMBA_SIGNED") else { return }
        let (hello, mount) = try Self.fetch(address, auth: .ntlm, path: "hello.txt")
        #expect(hello == Harness.helloText)
        #expect(mount.server.signingEnabled)
        // TREE_CONNECT, NT_CREATE, TRANS2, READ, CLOSE, TDIS, LOGOFF: none signed by smbd.
        #expect(mount.statistics.signatureFailures == 7)
        #expect(mount.statistics.signaturesVerified == 0)
    }

    @Test("a wrong password is STATUS_LOGON_FAILURE")
    func wrongPassword() throws {
        guard let address = Self.lab("CIFSTEP_SAMBA") else { return }
        let runtime = FreeRunRuntime(seed: 1)
        let error = Harness.Box<CIFSError?>(nil)
        var options = Harness.options(auth: .ntlmssp, password: Self.password + "-wrong", host: address.host)
        options.user = Self.user
        try Harness.withMount(runtime, options: options, connect: {
            try TCPTransport.connect(host: address.host, port: address.port)
        }) { mount in
            do { try mount.mount() } catch let e as CIFSError { error.value = e }
        }
        #expect(error.value == .status(.logonFailure, command: .sessionSetupAndX))
    }
}
