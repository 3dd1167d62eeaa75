import SMBCrypto

/// What `mount -t cifs` would be told: where, who, how to authenticate, how big to read.
public struct MountOptions: Sendable, Equatable {
    /// Server name or address as it appears in the UNC (no port).
    public var host: String
    /// Share name.
    public var share: String
    public var user: String
    public var password: String
    /// Domain; `nil` lets the kernel's rules pick one (`WORKGROUP` for old-style NTLMv2, the
    /// server's for NTLMSSP, none for NTLM).
    public var domain: String?
    public var auth: SecurityType
    /// Require signing (`--sign`, the kernel's `sec=ntlmi` / `ntlmv2i` / `ntlmsspi`).
    public var sign: Bool
    /// Bytes per READ_ANDX; `nil` picks the kernel's default (61,440 with CAP_LARGE_READX).
    public var rsize: Int?
    /// The page-cache read's maximum readahead window in 4 KiB pages (`ra_pages`); `nil` picks
    /// ``CIFSMount/defaultReadaheadPages``; 0 turns readahead off (every page by `readpage`).
    public var readaheadPages: Int?
    /// How the NT hash is computed from the password.
    public var passwordEncoding: PasswordEncoding
    /// Connect attempts cifsd makes after losing the connection before it gives up.
    public var reconnectAttempts: Int
    /// Pause between reconnect attempts, in runtime nanoseconds (the kernel's 3 s).
    public var reconnectDelay: UInt64
    /// NativeOS sent in SESSION_SETUP_ANDX.
    public var nativeOS: String
    /// NativeLanMan sent in SESSION_SETUP_ANDX.
    public var nativeLanMan: String
    /// Do what 3.8 did with a READ_ANDX reply that stops inside a page before end of file:
    /// zero the rest of that page and mark it uptodate, so the reader sees zeros where the
    /// file has data. Off for `cifstep get` (the page is left for `readpage`); the stepper
    /// turns it on to show the 3.8 behaviour.
    public var shortReadZeroFill = false
    /// How long, in runtime nanoseconds, the reader waits for a reply, a credit or a page in
    /// flight before it gives the connection up with ``CIFSError/timedOut(awaited:seconds:)``;
    /// `nil` (the default): forever, as 3.8, whose `wait_for_response` had no timeout (a lost
    /// reply hung the reader). `cifstep get` sets one (`--timeout`).
    public var responseTimeout: UInt64?

    public init(host: String, share: String, user: String, password: String, domain: String? = nil,
                auth: SecurityType = .ntlmssp, sign: Bool = false, rsize: Int? = nil,
                passwordEncoding: PasswordEncoding = .kernel, reconnectAttempts: Int = 3,
                reconnectDelay: UInt64 = 3_000_000_000, nativeOS: String = "Linux version 3.8.0",
                nativeLanMan: String = "CIFS VFS Client for Linux", readaheadPages: Int? = nil) {
        self.host = host
        self.share = share
        self.user = user
        self.password = password
        self.domain = domain
        self.auth = auth
        self.sign = sign
        self.rsize = rsize
        self.passwordEncoding = passwordEncoding
        self.reconnectAttempts = reconnectAttempts
        self.reconnectDelay = reconnectDelay
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
        self.readaheadPages = readaheadPages
    }

    /// `\\host\share`, the tree name sent in TREE_CONNECT_ANDX.
    public var unc: String { "\\\\\(host)\\\(share)" }
}

/// Counters of one mount, for `cifstep get`'s summary and for tests.
public struct MountStatistics: Sendable, Equatable {
    /// File bytes handed to callers.
    public var bytesRead: UInt64 = 0
    /// READ_ANDX requests sent.
    public var readsIssued = 0
    /// Requests sent (all commands).
    public var requestsSent = 0
    /// Replies whose signature verified.
    public var signaturesVerified = 0
    /// Replies whose signature did not verify (-EACCES; the data was used).
    public var signatureFailures = 0
    /// Successful reconnects.
    public var reconnects = 0
    /// Frames for no pending request, dropped.
    public var unknownFrames = 0
    /// Frames refused as malformed.
    public var malformedFrames = 0
    /// The most requests in flight at once.
    public var maxInFlight = 0
    /// READ_ANDX requests sent asynchronously by the page-cache read (`cifs_async_readv`).
    public var asyncReads = 0
    /// Async reads that completed with an error or were lost.
    public var asyncReadFailures = 0
    /// Pages read synchronously with `cifs_readpage` because their async read failed, came
    /// back short, or readahead was off.
    public var readpageFallbacks = 0

    public init() {}
}
