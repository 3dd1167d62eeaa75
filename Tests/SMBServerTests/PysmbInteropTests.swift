import Foundation
import Testing
@testable import SMBServer

/// pysmb (SMB1 forced) reading from the server over TCP.
@Suite("pysmb against the server", .serialized)
struct PysmbInteropTests {
    /// Retrieves `path` from `share` with pysmb and prints its SHA-256 and length, or
    /// `FAILED <exception>`.
    static let script = """
    import sys, io, hashlib
    import smb.smb_structs
    smb.smb_structs.SUPPORT_SMB2 = False
    from smb.SMBConnection import SMBConnection
    user, password, port, share, path, v2, extended = sys.argv[1:8]
    smb.smb_structs.SUPPORT_EXTENDED_SECURITY = extended == '1'
    try:
        c = SMBConnection(user, password, 'client', 'server', use_ntlm_v2=(v2 == '1'), is_direct_tcp=True)
        if not c.connect('127.0.0.1', int(port)):
            print('FAILED connect')
            sys.exit(0)
        f = io.BytesIO()
        c.retrieveFile(share, path, f)
        data = f.getvalue()
        print('OK', len(data), hashlib.sha256(data).hexdigest())
        c.close()
    except Exception as e:
        print('FAILED', type(e).__name__, e)
    """

    static var pythonAvailable: Bool {
        (try? runProcess("/usr/bin/env", ["python3", "-c", "import smb"]).status) == 0
    }

    private func retrieve(_ fixture: TCPServerFixture, path: String, password: String = "Wonderland-42",
                          ntlmv2: Bool = true, extended: Bool = true) throws -> String {
        let result = try runProcess("/usr/bin/env", ["python3", "-c", Self.script, "alice", password, "\(fixture.port)",
                                                     "share", path, ntlmv2 ? "1" : "0", extended ? "1" : "0"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + (result.status == 0 ? "" : result.stderr)
    }

    static let helloDigest = "eabea53ccc6cba634ead654184995377310f96d334eb25937dc31613ab1193a5"

    @Test(.enabled(if: PysmbInteropTests.pythonAvailable))
    func retrievesFilesUnsignedAndSigned() throws {
        let log = EventLog()
        for signing in [SigningPolicy.auto, .required] {
            let fixture = try TCPServerFixture(TestData.configuration(signing: signing, log: log.sink))
            let hello = try retrieve(fixture, path: "/hello.txt")
            let big = try retrieve(fixture, path: "/dir/random-1m.bin")
            try fixture.shutdown()
            #expect(hello == "OK 33 \(Self.helloDigest)", "signing \(signing)")
            #expect(big.hasPrefix("OK 1048576 "), "signing \(signing): \(big)")
        }
        let modes = log.authentications.compactMap { event -> String? in
            guard case let .authentication(_, _, _, mode, wrapping, status, signing) = event else { return nil }
            return "\(mode?.rawValue ?? "-") \(wrapping.rawValue) \(status.name) \(signing)"
        }
        #expect(modes == ["ntlmssp-v2 spnego STATUS_SUCCESS false", "ntlmssp-v2 spnego STATUS_SUCCESS false",
                          "ntlmssp-v2 spnego STATUS_SUCCESS true", "ntlmssp-v2 spnego STATUS_SUCCESS true"])
    }

    @Test(.enabled(if: PysmbInteropTests.pythonAvailable))
    func retrievesWithNTLMv1AndOldStyle() throws {
        let fixture = try TCPServerFixture(TestData.configuration(signing: .auto))
        let v1 = try retrieve(fixture, path: "/hello.txt", ntlmv2: false)
        let oldStyle = try retrieve(fixture, path: "/hello.txt", ntlmv2: false, extended: false)
        try fixture.shutdown()
        #expect(v1 == "OK 33 \(Self.helloDigest)")
        #expect(oldStyle == "OK 33 \(Self.helloDigest)")
    }

    @Test(.enabled(if: PysmbInteropTests.pythonAvailable))
    func wrongPasswordAndMissingFile() throws {
        let fixture = try TCPServerFixture(TestData.configuration(signing: .auto))
        let wrong = try retrieve(fixture, path: "/hello.txt", password: "nope")
        let missing = try retrieve(fixture, path: "/nothing.txt")
        try fixture.shutdown()
        #expect(wrong.hasPrefix("FAILED connect") || wrong.contains("FAILED"), "\(wrong)")
        #expect(missing.hasPrefix("FAILED OperationFailure"), "\(missing)")
    }
}
