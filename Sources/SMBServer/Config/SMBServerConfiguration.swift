import Foundation
import SMBWire

/// What a share serves. Shares are always read-only.
public enum ShareSource: Sendable, Equatable {
    /// Files held in memory: path relative to the share root (`/` or `\` separated, e.g.
    /// `hello.txt`, `dir/big.bin`) → contents. Directories are implied by the paths.
    case memory([String: [UInt8]])
    /// A directory on the local file system. Nothing outside it is ever served: `..`,
    /// absolute names and symlinks that resolve outside it are refused.
    case directory(String)

    /// A directory share from a file URL.
    public static func directory(_ url: URL) -> ShareSource { .directory(url.path) }
}

/// When the server signs (MS-CIFS 3.3.5.2, smbd's `server signing`).
public enum SigningPolicy: String, Sendable, CaseIterable {
    /// Never: SecurityMode advertises no signing; signatures are neither checked nor sent.
    case off
    /// SIGN_ENABLED: sign a session when the client sets FLAGS2_SMB_SECURITY_SIGNATURES in the
    /// SESSION_SETUP_ANDX that completes it.
    case auto
    /// SIGN_ENABLED | SIGN_REQUIRED: sign every authenticated session; a request whose
    /// signature does not verify closes the connection (what smbd does).
    case required
}

/// How a client authenticated, named after the kernel's `sec=` options.
public enum AuthMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Old-style SESSION_SETUP_ANDX (13 words) with a 24-byte NTLMv1 response.
    case ntlm
    /// Old-style SESSION_SETUP_ANDX with a raw NTLMv2 response.
    case ntlmv2
    /// NTLMSSP AUTHENTICATE carrying an NTLMv1 response (with or without extended session
    /// security).
    case ntlmsspV1 = "ntlmssp-v1"
    /// NTLMSSP AUTHENTICATE carrying an NTLMv2 response.
    case ntlmsspV2 = "ntlmssp-v2"

    public var description: String { rawValue }
}

/// Everything the server serves and how it behaves.
public struct SMBServerConfiguration: Sendable {
    /// User name (matched case-insensitively) → password.
    public var users: [String: String]
    /// Share name (matched case-insensitively) → what it serves. `IPC$` is added by the
    /// server (see ``acceptsIPC``).
    public var shares: [String: ShareSource]
    /// When sessions are signed (default `auto`).
    public var signing: SigningPolicy
    /// The NetBIOS name in the NEGOTIATE response and the NTLMSSP target info.
    public var serverName: String
    /// The domain (workgroup) the server reports.
    public var domain: String
    /// NEGOTIATE MaxMpxCount: how many requests a client may have outstanding.
    public var maxMpxCount: UInt16
    /// NEGOTIATE MaxBufferSize (smbd: 16644).
    public var maxBufferSize: UInt32
    /// NEGOTIATE MaxRawSize (smbd: 65536; pysmb reads MaxRawSize − 2 bytes at a time).
    public var maxRawSize: UInt32
    /// Advertise CAP_LARGE_READX: READ_ANDX may return more than MaxBufferSize, using
    /// MaxCountHigh.
    public var largeReadX: Bool
    /// The largest READ_ANDX reply data the server returns (before the signing cap).
    public var maxReadSize: Int
    /// On a signed connection READ_ANDX replies are capped at this many data bytes, like
    /// smbd (131011 = the 17-bit NetBIOS length limit minus the reply's headers); nil = no cap.
    public var signedReadLimit: Int?
    /// Requests longer than this close the connection (the NBSS frame cap).
    public var maxRequestSize: Int
    /// Which authentication forms are accepted; others fail with STATUS_LOGON_FAILURE.
    public var allowedAuthModes: Set<AuthMode>
    /// Answer FLAGS2_EXTENDED_SECURITY with an extended-security NEGOTIATE (SPNEGO/NTLMSSP).
    /// When false every client gets the challenge form.
    public var allowsExtendedSecurity: Bool
    /// Accept TREE_CONNECT to `IPC$` (smbclient connects there first for a DFS referral).
    public var acceptsIPC: Bool
    /// Faults to inject, for lessons and tests.
    public var faults: FaultPlan
    /// What one client, and all clients together, may hold and how long the server waits.
    public var limits: SMBServerLimits
    /// The clock the timeouts of ``limits`` are measured on, in nanoseconds (nil: the
    /// runtime's ``KernelRuntime/now``). Tests pass a clock they move by hand.
    public var clock: (@Sendable () -> UInt64)?
    /// Called on a connection's thread after it ended and released what it held (`cifstep
    /// serve` hands freed memory back to the system there).
    public var connectionEnded: (@Sendable () -> Void)?
    /// Called for every ``ServerLogEvent``, on the thread of the connection concerned — so
    /// possibly from several threads at once. Keep it quick and thread-safe.
    public var log: (@Sendable (ServerLogEvent) -> Void)?

    public init(
        users: [String: String] = [:], shares: [String: ShareSource] = [:],
        signing: SigningPolicy = .auto, serverName: String = "CIFSTEP", domain: String = "WORKGROUP",
        maxMpxCount: UInt16 = 50, maxBufferSize: UInt32 = 16644, maxRawSize: UInt32 = 65536,
        largeReadX: Bool = true, maxReadSize: Int = 16 * 1024 * 1024 - 256,
        signedReadLimit: Int? = 131_011, maxRequestSize: Int = 256 * 1024,
        allowedAuthModes: Set<AuthMode> = Set(AuthMode.allCases), allowsExtendedSecurity: Bool = true,
        acceptsIPC: Bool = true, faults: FaultPlan = FaultPlan(), limits: SMBServerLimits = SMBServerLimits(),
        log: (@Sendable (ServerLogEvent) -> Void)? = nil
    ) {
        self.users = users
        self.shares = shares
        self.signing = signing
        self.serverName = serverName
        self.domain = domain
        self.maxMpxCount = maxMpxCount
        self.maxBufferSize = maxBufferSize
        self.maxRawSize = maxRawSize
        self.largeReadX = largeReadX
        self.maxReadSize = maxReadSize
        self.signedReadLimit = signedReadLimit
        self.maxRequestSize = maxRequestSize
        self.allowedAuthModes = allowedAuthModes
        self.allowsExtendedSecurity = allowsExtendedSecurity
        self.acceptsIPC = acceptsIPC
        self.faults = faults
        self.limits = limits
        self.log = log
    }
}
