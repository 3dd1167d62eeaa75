import CIFSClient
import KernelRuntime
import SMBServer

/// Everything that defines one steppable run: who mounts, how they authenticate and sign, which
/// file they read, the read sizes, the seed and the scheduling policy.
///
/// The defaults are Linux 3.8's own: `rsize` 61,440 (CAP_LARGE_READX, no Unix extensions) and a
/// readahead maximum of `rsize / PAGE_CACHE_SIZE` = 15 pages, because 3.8's `cifs_mount` sets
/// `bdi.ra_pages` that way — so a large read's first window is 30 pages and two READ_ANDX are in
/// flight. Change any field with ``apply(_:)`` (`readahead=256`) for another run; settings that
/// depart from 3.8 are labelled in ``settings``.
///
/// A scenario is one value (`Codable`, `Equatable`): the REPL's `reset`, `cifstep repl` and
/// `cifstep trace` flags and, later, lessons all describe a run with it. Decoding fills missing
/// keys with the defaults.
public struct Scenario: Codable, Equatable, Sendable {
    /// How the session authenticates (the kernel's `sec=`).
    public enum Auth: String, Codable, CaseIterable, Sendable {
        /// Old-style SESSION_SETUP_ANDX with a 24-byte NTLM response.
        case ntlm
        /// Old-style SESSION_SETUP_ANDX with an NTLMv2 response.
        case ntlmv2
        /// Extended security: NTLMSSP NEGOTIATE / CHALLENGE / AUTHENTICATE.
        case ntlmssp

        var securityType: SecurityType {
            switch self {
            case .ntlm: return .ntlm
            case .ntlmv2: return .ntlmv2
            case .ntlmssp: return .ntlmssp
            }
        }
    }

    /// Who signs.
    public enum Signing: String, Codable, CaseIterable, Sendable {
        /// Nobody asks for signing: nothing is signed.
        case off
        /// The client asks for signing (`sec=…i`); the server signs when asked.
        case on
        /// The server requires signing; the client signs because the server says so.
        case required

        var clientSigns: Bool { self == .on }

        var serverPolicy: SigningPolicy { self == .required ? .required : .auto }
    }

    /// Who runs next when no one asks for a particular thread.
    public enum Policy: String, Codable, CaseIterable, Sendable {
        /// The canonical story: keep the running thread until it blocks, then reader > cifsiod >
        /// cifsd > smbd (see ``TeachingOrder``).
        case teaching
        /// A seeded random runnable thread (see ``SeededChoice``).
        case random

        /// The runtime policy for a run with `seed`.
        public func schedulingPolicy(seed: UInt64) -> SchedulingPolicy {
            switch self {
            case .teaching: return TeachingOrder.policy()
            case .random: return SeededChoice.policy(seed: seed)
            }
        }
    }

    /// Bytes per READ_ANDX by default: 3.8's `CIFS_DEFAULT_NON_POSIX_RSIZE`.
    public static let kernelDefaultRsize = CIFSMount.defaultRsize

    /// How the session authenticates (default `ntlmssp`).
    public var auth: Auth
    /// Who signs (default `off`).
    public var signing: Signing
    /// The one user the server knows and the client logs in as.
    public var user: String
    /// `nil` lets the client pick one as the kernel does.
    public var domain: String?
    /// The user's password, on both sides.
    public var password: String
    /// Fixes every random value (challenges, nonces, MIDs) and the random policy's choices.
    public var seed: UInt64
    /// The file to read from the share: one of ``DemoFiles``' names, a generated
    /// `random-<size>.bin`, or any other name (which the server will not find).
    public var file: String
    /// Bytes per READ_ANDX.
    public var rsize: Int
    /// The readahead maximum in 4 KiB pages; `nil` = 3.8's rule, `rsize / PAGE_CACHE_SIZE`.
    public var readaheadPages: Int?
    /// Who runs next when no one chooses (default: the teaching order).
    public var policy: Policy
    /// A real SMB1 server and share to read ``file`` from, over TCP; `nil` (the default): the
    /// embedded server over an in-memory pipe. Its ``SMBURL/path`` is unused (``file`` is the path).
    public var server: SMBURL?

    public init(
        auth: Auth = .ntlmssp, signing: Signing = .off, user: String = "alice", domain: String? = nil,
        password: String = "Wonderland-42", seed: UInt64 = 1, file: String = "hello.txt",
        rsize: Int = Scenario.kernelDefaultRsize, readaheadPages: Int? = nil, policy: Policy = .teaching,
        server: SMBURL? = nil
    ) {
        self.server = server
        self.auth = auth
        self.signing = signing
        self.user = user
        self.domain = domain
        self.password = password
        self.seed = seed
        self.file = file
        self.rsize = rsize
        self.readaheadPages = readaheadPages
        self.policy = policy
    }

    /// The readahead maximum the mount uses, in pages.
    public var effectiveReadaheadPages: Int { readaheadPages ?? Self.kernelReadaheadPages(rsize: rsize) }

    /// 3.8's `bdi.ra_pages` for a mount with `rsize`: `rsize / PAGE_CACHE_SIZE`.
    public static func kernelReadaheadPages(rsize: Int) -> Int { rsize / Page.size }

    /// What the client is told at mount time. `rsize` and `readaheadPages` are always explicit,
    /// so the client's own (faster, `cifstep get`) defaults never apply to a stepped run.
    public var mountOptions: MountOptions {
        var options = MountOptions(
            host: server?.host ?? "cifstep", share: server?.share ?? DemoFiles.shareName, user: user, password: password, domain: domain,
            auth: auth.securityType, sign: signing.clientSigns, rsize: rsize,
            readaheadPages: effectiveReadaheadPages)
        // The stepper shows what 3.8 did with a short read (a `short-read` fault).
        options.shortReadZeroFill = true
        return options
    }

    // MARK: Codable with defaults

    private enum CodingKeys: String, CodingKey {
        case auth, signing, user, domain, password, seed, file, rsize, readaheadPages, policy, server
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Scenario()
        auth = try c.decodeIfPresent(Auth.self, forKey: .auth) ?? d.auth
        signing = try c.decodeIfPresent(Signing.self, forKey: .signing) ?? d.signing
        user = try c.decodeIfPresent(String.self, forKey: .user) ?? d.user
        domain = try c.decodeIfPresent(String.self, forKey: .domain)
        password = try c.decodeIfPresent(String.self, forKey: .password) ?? d.password
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        file = try c.decodeIfPresent(String.self, forKey: .file) ?? d.file
        rsize = try c.decodeIfPresent(Int.self, forKey: .rsize) ?? d.rsize
        readaheadPages = try c.decodeIfPresent(Int.self, forKey: .readaheadPages)
        policy = try c.decodeIfPresent(Policy.self, forKey: .policy) ?? d.policy
        server = try c.decodeIfPresent(SMBURL.self, forKey: .server)
        // Decoded values obey the same limits as typed settings.
        var checked = Scenario()
        for (key, value) in assignments {
            do {
                try checked.set(key, to: value)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: error.description))
            }
        }
    }

    /// Every setting as the `key=value` text that sets it, in ``Setting`` order: applying them
    /// to a default scenario (``applying(_:)``) gives this scenario back. An unset domain is
    /// `""` and 3.8's readahead rule is `default`, both as `set` reads them. Trace documents
    /// record a run's scenario this way.
    public var assignments: [(setting: Setting, value: String)] {
        [
            (.auth, auth.rawValue), (.signing, signing.rawValue), (.user, user),
            (.domain, domain ?? ""), (.password, password), (.seed, String(seed)), (.file, file),
            (.rsize, String(rsize)), (.readahead, readaheadPages.map(String.init) ?? "default"),
            (.policy, policy.rawValue),
        ] + (server.map { [(.server, $0.description)] } ?? [])
    }
}
