import CIFSClient

extension Scenario {
    /// A field that `key=value` text can set (`reset readahead=256`, `--readahead 256`).
    public enum Setting: String, CaseIterable, Sendable {
        case auth, signing, user, domain, password, seed, file, rsize, readahead, policy, server

        /// What the value may be.
        public var help: String {
            switch self {
            case .auth: return "ntlm | ntlmv2 | ntlmssp"
            case .signing: return "off | on (the client signs) | required (the server requires it)"
            case .user: return "the user name (the server knows this one user)"
            case .domain: return "the domain (empty: the client picks, as the kernel does)"
            case .password: return "the user's password"
            case .seed: return "0 ... \(UInt64.max): the same seed gives the same run"
            case .file: return "hello.txt, random-256k.bin, or random-<size>.bin (e.g. random-16m.bin)"
            case .rsize: return "bytes per READ_ANDX, 1 ... \(CIFSMount.maxRsize) (3.8: \(Scenario.kernelDefaultRsize))"
            case .readahead: return "readahead maximum in 4 KiB pages, 0 ... \(Scenario.maximumReadaheadPages) (3.8: rsize / 4096)"
            case .policy: return "teaching | random"
            case .server: return "//HOST[:PORT]/SHARE[/PATH]: a real SMB1 server (the path sets file) | embedded"
            }
        }
    }

    /// Why a setting was refused.
    public struct SettingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The text as given (`readahead=lots`).
        public var input: String
        /// Why, naming the key and the accepted values.
        public var message: String

        public init(input: String, message: String) {
            self.input = input
            self.message = message
        }

        public var description: String { message }
    }

    /// A setting as shown to people: its value and, where it matters, how it stands to 3.8.
    public struct SettingValue: Equatable, Sendable {
        public var setting: Setting
        public var value: String
        /// e.g. `3.8's default` or `not 3.8's default (3.8: 15 pages)`.
        public var note: String?
    }

    /// The largest readahead maximum accepted: 65,536 pages = 256 MiB, the largest file a
    /// stepped run generates; a bigger window reads nothing more.
    public static let maximumReadaheadPages = 65_536

    /// Applies one `key=value` assignment.
    public mutating func apply(_ assignment: String) throws(SettingError) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw SettingError(
                input: assignment,
                message: "expected key=value, got '\(assignment)' (keys: \(Setting.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let key = String(assignment[..<equals])
        let value = String(assignment[assignment.index(after: equals)...])
        guard let setting = Setting(rawValue: key) else {
            let nearest = EditDistance.closest(to: key, among: Setting.allCases.map(\.rawValue), limit: 3)
            throw SettingError(input: assignment,
                               message: "unknown setting '\(key)' (did you mean \(nearest.joined(separator: ", "))?)")
        }
        do {
            try set(setting, to: value)
        } catch {
            throw SettingError(input: assignment, message: error.message)
        }
    }

    /// This scenario with `assignments` applied in order.
    public func applying(_ assignments: [String]) throws(SettingError) -> Scenario {
        var copy = self
        for assignment in assignments { try copy.apply(assignment) }
        return copy
    }

    /// Sets one field from text.
    public mutating func set(_ setting: Setting, to value: String) throws(SettingError) {
        func refuse(_ why: String) -> SettingError {
            SettingError(input: "\(setting.rawValue)=\(value)", message: "\(setting.rawValue): \(why)")
        }
        switch setting {
        case .auth:
            guard let auth = Auth(rawValue: value) else { throw refuse("expected ntlm, ntlmv2 or ntlmssp, got '\(value)'") }
            self.auth = auth
        case .signing:
            guard let signing = Signing(rawValue: value) else { throw refuse("expected off, on or required, got '\(value)'") }
            self.signing = signing
        case .user:
            guard !value.isEmpty else { throw refuse("the user name must not be empty") }
            user = value
        case .domain:
            domain = value.isEmpty ? nil : value
        case .password:
            password = value
        case .seed:
            guard let seed = UInt64(value) else { throw refuse("expected a number 0 ... \(UInt64.max), got '\(value)'") }
            self.seed = seed
        case .file:
            guard !value.isEmpty else { throw refuse("the file name must not be empty") }
            if case let .tooLarge(size) = DemoFiles.kind(of: value) {
                throw refuse("\(value) would be \(size) bytes; generated files go up to \(DemoFiles.maximumGeneratedSize) bytes (random-256m.bin)")
            }
            file = value
        case .rsize:
            guard let rsize = Int(value), (1...CIFSMount.maxRsize).contains(rsize) else {
                throw refuse("expected 1 ... \(CIFSMount.maxRsize) bytes, got '\(value)'")
            }
            self.rsize = rsize
        case .readahead:
            if value == "default" {
                readaheadPages = nil
                return
            }
            guard let pages = Int(value), (0...Scenario.maximumReadaheadPages).contains(pages) else {
                throw refuse("expected 0 ... \(Scenario.maximumReadaheadPages) pages (or default), got '\(value)'")
            }
            readaheadPages = pages
        case .policy:
            guard let policy = Policy(rawValue: value) else { throw refuse("expected teaching or random, got '\(value)'") }
            self.policy = policy
        case .server:
            if value.isEmpty || value == "embedded" {
                server = nil
                return
            }
            do {
                var url = try SMBURL(parsing: value, pathRequired: false)
                if !url.path.isEmpty { file = url.path }
                url.path = ""
                server = url
            } catch {
                throw refuse(error.message)
            }
        }
    }

    /// Every setting with its value, in ``Setting`` order, the read sizes labelled against 3.8.
    public var settings: [SettingValue] {
        let kernelPages = Scenario.kernelReadaheadPages(rsize: rsize)
        return Setting.allCases.map { setting in
            switch setting {
            case .auth: return SettingValue(setting: setting, value: auth.rawValue)
            case .signing: return SettingValue(setting: setting, value: signing.rawValue)
            case .user: return SettingValue(setting: setting, value: user)
            case .domain: return SettingValue(setting: setting, value: domain ?? "", note: domain == nil ? "the client picks" : nil)
            case .password: return SettingValue(setting: setting, value: password)
            case .seed: return SettingValue(setting: setting, value: String(seed))
            case .file:
                return SettingValue(setting: setting, value: file, note: server == nil ? DemoFiles.kind(of: file).note : nil)
            case .rsize:
                let kernel = rsize == Scenario.kernelDefaultRsize
                return SettingValue(
                    setting: setting, value: String(rsize),
                    note: kernel ? "3.8's default without Unix extensions"
                        : "not 3.8's default (3.8: \(Scenario.kernelDefaultRsize))")
            case .readahead:
                let pages = effectiveReadaheadPages
                let note = pages == kernelPages
                    ? "3.8's rule: rsize / 4096"
                    : "not 3.8's default (3.8: rsize / 4096 = \(kernelPages) pages)"
                return SettingValue(setting: setting, value: "\(pages) pages", note: note)
            case .policy: return SettingValue(setting: setting, value: policy.rawValue)
            case .server:
                return SettingValue(setting: setting, value: server?.description ?? "embedded",
                                    note: server == nil ? "in-process, over an in-memory pipe" : "a real server, over TCP")
            }
        }
    }
}
