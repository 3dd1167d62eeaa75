import KernelRuntime
import SMBCrypto
import SMBWire

/// How the session authenticates: the kernel's `sec=` mount option, kept in `ses->sectype`
/// (`enum securityEnum`: `NTLM`, `NTLMv2`, `RawNTLMSSP`).
public enum SecurityType: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Old-style SESSION_SETUP_ANDX (13 words), 24-byte NTLMv1 response in both password fields.
    case ntlm
    /// Old-style SESSION_SETUP_ANDX with a raw NTLMv2 response (the domain as target info).
    case ntlmv2
    /// Extended security: raw NTLMSSP NEGOTIATE / CHALLENGE / AUTHENTICATE with an NTLMv2
    /// response and key exchange.
    case ntlmssp

    public var description: String { rawValue }
}

/// The session's state. Mirrors the kernel's `ses->status` (`CifsNew`, `CifsGood`, `CifsExiting`).
public enum SessionStatus: String, Sendable, Equatable, CustomStringConvertible {
    case new, good, exiting
    public var description: String { rawValue }
}

/// The NTLMSSP exchange in progress. Mirrors the kernel's `struct ntlmssp_auth`.
public struct NTLMSSPAuthState: Sendable, Equatable {
    /// The CHALLENGE message's NegotiateFlags (`server_flags`).
    public var serverFlags: NTLMSSPNegotiateFlags = []
    /// The exported session key encrypted under the key-exchange key (`ciphertext`).
    public var ciphertext: [UInt8] = []
}

/// The session's key material as a state view shows it (``Session/authKey``).
public enum AuthKeyState: Sendable, Equatable, CustomStringConvertible {
    /// The key is held: its bytes (empty before one is computed).
    case held([UInt8])
    /// `cifs_setup_session` freed it.
    case freed

    /// The bytes as lowercase hex (as every state value renders bytes), or `freed`.
    public var description: String {
        switch self {
        case let .held(key): return StateChanges.render(key)
        case .freed: return "freed"
        }
    }
}

/// One authenticated user on a connection. Mirrors the kernel's `struct cifs_ses`.
///
/// Mutable fields are read and written under the runtime lock.
public final class Session: @unchecked Sendable {
    public let server: ServerInfo
    /// The user name (the kernel's `user_name`).
    public let user: String
    /// The domain; `nil` until given or learnt (the kernel fills it in: `WORKGROUP` for
    /// old-style NTLMv2, the server's NetBIOS domain for NTLMSSP).
    public internal(set) var domainName: String?
    let password: String
    public let auth: SecurityType
    /// The mount asked for signing (`--sign`; the kernel's `sec=ntlmi` and friends, CIFSSEC_MUST_SIGN).
    public let wantsSigning: Bool
    /// How the NT hash is computed from the password.
    public let passwordEncoding: PasswordEncoding
    /// NativeOS sent in SESSION_SETUP_ANDX ("Linux version " + the kernel release).
    public let nativeOS: String
    /// NativeLanMan sent in SESSION_SETUP_ANDX (`CIFS_NETWORK_OPSYS`).
    public let nativeLanMan: String

    public internal(set) var status: SessionStatus = .new
    /// The connection was lost; the session must be set up again (the kernel's `need_reconnect`).
    public internal(set) var needReconnect = false
    /// The UID the server assigned (the kernel's `Suid`).
    public internal(set) var uid: UInt16 = 0
    /// The capabilities this session uses: the server's, without CAP_UNIX (as with `nounix`).
    public internal(set) var capabilities: SMBCapabilities = []
    /// The 8-byte server challenge the responses are computed from: the NEGOTIATE challenge
    /// (old style) or the NTLMSSP CHALLENGE's (the kernel's `server->cryptkey` /
    /// `ses->ntlmssp->cryptkey`).
    public internal(set) var cryptKey: [UInt8] = []
    /// Key material: the session key followed by the response as sent for old-style sessions,
    /// the exported session key for NTLMSSP; it becomes the MAC key of the first session (the
    /// kernel's `auth_key.response`). Computing a new key clears ``authKeyFreed``.
    public internal(set) var authKey: [UInt8] = [] {
        didSet { authKeyFreed = false }
    }
    /// `cifs_setup_session` freed ``authKey`` (3.8 kfree's `auth_key.response` at its end; the
    /// first session's MAC key lives on as ``ServerInfo/sessionKey``). Runtime lock.
    public private(set) var authKeyFreed = false
    /// Where ``cryptKey`` and ``authKey`` were recorded in the trace (only while tracing).
    var keyTrace = KeyTrace()
    /// The NTLMSSP exchange, while it runs.
    public internal(set) var ntlmssp: NTLMSSPAuthState?
    /// What the server said it runs (SESSION_SETUP_ANDX reply strings).
    public internal(set) var serverOS: String?
    public internal(set) var serverNOS: String?
    public internal(set) var serverDomain: String?
    /// The server logged us in as guest.
    public internal(set) var isGuest = false
    /// Tree connections of this session (the kernel's `tcon_list`).
    public internal(set) var trees: [TreeConnection] = []

    /// ``authKey`` as a state view shows it: the bytes, or freed. Assigning ``AuthKeyState/freed``
    /// empties the key and marks it freed, so a diff reads `ses.authKey <hex> → freed`. Record
    /// every change of the key through this (`changes.set(self, \.authKeyState, .held(key), …)`),
    /// so that the diff after a free reads `freed → <hex>`, as the object held.
    var authKeyState: AuthKeyState {
        get { authKeyFreed ? .freed : .held(authKey) }
        set {
            switch newValue {
            case let .held(key):
                authKey = key
            case .freed:
                authKey = []
                authKeyFreed = true
            }
        }
    }

    /// Serialises session setup and reconnect (the kernel's `session_mutex`).
    public let sessionMutex = KernelMutex("session_mutex")

    init(server: ServerInfo, user: String, password: String, domain: String?, auth: SecurityType, sign: Bool,
         passwordEncoding: PasswordEncoding, nativeOS: String, nativeLanMan: String) {
        self.wantsSigning = sign
        self.server = server
        self.user = user
        self.password = password
        self.domainName = domain
        self.auth = auth
        self.passwordEncoding = passwordEncoding
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
    }
}
