/// AUTHENTICATE_MESSAGE, type 3 (MS-NLMP §2.2.1.3): the client's responses, identity and
/// (with key exchange) its RC4-encrypted random session key.
///
/// Header forms, chosen by where the payload starts (lowest field offset): 88 bytes with
/// Version and MIC (Samba, Windows since Vista), 72 with Version only (the MS-NLMP §4.2
/// examples), 64 with neither (the Linux 3.8 kernel's `build_ntlmssp_auth_blob`).
public struct NTLMSSPAuthenticateMessage: Sendable, CustomStringConvertible {
    /// LmChallengeResponse: 24 bytes (LMv1/LMv2) or empty.
    public var lmChallengeResponse: [UInt8]
    /// NtChallengeResponse: 24 bytes for NTLMv1, NTProofStr + client blob for NTLMv2.
    public var ntChallengeResponse: [UInt8]
    /// Domain name bytes: UTF-16LE when ``flags`` has `negotiateUnicode`, else OEM.
    public var domainName: [UInt8]
    public var userName: [UInt8]
    public var workstation: [UInt8]
    /// With `NTLMSSP_NEGOTIATE_KEY_EXCH`: the exported session key, RC4-encrypted under the
    /// key-exchange key (16 bytes). Otherwise normally empty.
    public var encryptedRandomSessionKey: [UInt8]
    public var flags: NTLMSSPNegotiateFlags
    public var version: NTLMSSPVersion?
    /// The 16-byte MIC when the header has room for it (requires ``version``).
    public var mic: [UInt8]?
    /// The wire layout this message was decoded from; nil for messages built in code.
    public var layout: NTLMSSPWireLayout?

    public init(lmChallengeResponse: [UInt8] = [], ntChallengeResponse: [UInt8] = [], domainName: [UInt8] = [],
                userName: [UInt8] = [], workstation: [UInt8] = [], encryptedRandomSessionKey: [UInt8] = [],
                flags: NTLMSSPNegotiateFlags, version: NTLMSSPVersion? = nil, mic: [UInt8]? = nil) {
        self.lmChallengeResponse = lmChallengeResponse
        self.ntChallengeResponse = ntChallengeResponse
        self.domainName = domainName
        self.userName = userName
        self.workstation = workstation
        self.encryptedRandomSessionKey = encryptedRandomSessionKey
        self.flags = flags
        self.version = version
        self.mic = mic
    }

    /// Builds a message whose names are encoded per `flags`.
    public init(lmChallengeResponse: [UInt8] = [], ntChallengeResponse: [UInt8] = [], domain: String,
                user: String, workstationName: String, encryptedRandomSessionKey: [UInt8] = [],
                flags: NTLMSSPNegotiateFlags, version: NTLMSSPVersion? = nil, mic: [UInt8]? = nil) {
        let unicode = flags.contains(.negotiateUnicode)
        self.init(lmChallengeResponse: lmChallengeResponse, ntChallengeResponse: ntChallengeResponse,
                  domainName: NTLMSSPString.encode(domain, unicode: unicode),
                  userName: NTLMSSPString.encode(user, unicode: unicode),
                  workstation: NTLMSSPString.encode(workstationName, unicode: unicode),
                  encryptedRandomSessionKey: encryptedRandomSessionKey, flags: flags, version: version, mic: mic)
    }

    private var unicode: Bool { flags.contains(.negotiateUnicode) }
    /// The domain name as text.
    public var domain: String { NTLMSSPString.decode(domainName, unicode: unicode) }
    /// The user name as text.
    public var user: String { NTLMSSPString.decode(userName, unicode: unicode) }
    /// The workstation name as text.
    public var workstationName: String { NTLMSSPString.decode(workstation, unicode: unicode) }

    /// Where the MIC sits in this message's encoding, if it has one (always 72..<88).
    public var micRange: Range<Int>? { mic == nil ? nil : NTLMSSPMIC.range }

    public var description: String {
        "AUTHENTICATE flags=\(flags) domain=\"\(domain)\" user=\"\(user)\" workstation=\"\(workstationName)\""
            + " lm=\(lmChallengeResponse.count)B nt=\(ntChallengeResponse.count)B key=\(encryptedRandomSessionKey.count)B"
            + (version.map { " version=\($0)" } ?? "") + (mic.map { " mic=\(Hex.encode($0))" } ?? "")
    }

    private static let fieldNames = ["LmChallengeResponse", "NtChallengeResponse", "DomainName", "UserName",
                                     "Workstation", "EncryptedRandomSessionKey"]

    /// Decodes an AUTHENTICATE message; `bytes` is exactly the message. Span ranges are relative
    /// to `bytes[0]` plus `base`; names start with `prefix`.
    public static func decode(_ bytes: [UInt8], base: Int = 0,
                              prefix: String = NTLMSSP.spanPrefix) throws -> Annotated<NTLMSSPAuthenticateMessage> {
        var r = WireReader(bytes, base: base, prefix: prefix)
        try NTLMSSP.readPrologue(&r, expecting: .authenticate)
        var buffers = [NTLMSSPSecurityBuffer]()
        for name in fieldNames { buffers.append(try NTLMSSPSecurityBuffer.read(&r, name)) }
        let flags = NTLMSSPNegotiateFlags(rawValue: try r.u32("NegotiateFlags") {
            NTLMSSPNegotiateFlags(rawValue: $0).names.joined(separator: " | ")
        })
        let fields = Array(zip(fieldNames, buffers))
        let headerLength = try NTLMSSPPayload.headerLength(
            fields: fields.map { (name: $0.0, buffer: $0.1) },
            messageLength: bytes.count, forms: [64, 72, 88], prefix: prefix)
        let version = headerLength >= 72 ? try NTLMSSPVersion.read(&r) : nil
        let mic = headerLength >= 88 ? try r.bytes("MIC", count: 16, meaning: "message integrity code") : nil

        let unicode = flags.contains(.negotiateUnicode)
        var values = [String: [UInt8]]()
        for (name, buf) in fields.sorted(by: { $0.1.offset < $1.1.offset }) {
            switch name {
            case "DomainName", "UserName", "Workstation":
                values[name] = try NTLMSSPPayload.read(&r, name, buf) { NTLMSSPString.quoted($0, unicode: unicode) }
            case "NtChallengeResponse":
                values[name] = try NTLMSSPPayload.read(&r, name, buf, meaning: {
                    $0.count == 24 ? "NTLMv1 response" : $0.count > 24 ? "NTLMv2 response: NTProofStr + client blob" : nil
                })
            default:
                values[name] = try NTLMSSPPayload.read(&r, name, buf)
            }
        }
        try NTLMSSPPayload.recordPadding(&r, fields: buffers, headerLength: headerLength, messageLength: bytes.count)
        var m = NTLMSSPAuthenticateMessage(
            lmChallengeResponse: values["LmChallengeResponse"] ?? [],
            ntChallengeResponse: values["NtChallengeResponse"] ?? [],
            domainName: values["DomainName"] ?? [], userName: values["UserName"] ?? [],
            workstation: values["Workstation"] ?? [],
            encryptedRandomSessionKey: values["EncryptedRandomSessionKey"] ?? [],
            flags: flags, version: version, mic: mic)
        m.layout = NTLMSSPWireLayout(original: bytes, headerLength: headerLength, buffers: buffers)
        return Annotated(value: m, spans: r.spans)
    }

    /// Encodes the message: reusing ``layout`` when it still fits, else laid out per `style`
    /// (see ``NTLMSSPWireLayout``). Throws if the MIC is not 16 bytes, a MIC is given without a
    /// Version, or a field exceeds 65535 bytes. To fill in the MIC afterwards, encode with a
    /// zero MIC and overwrite ``micRange``.
    public func encode(style: NTLMSSPPayloadStyle = .canonical) throws -> [UInt8] {
        if let mic {
            guard mic.count == 16 else {
                throw WireError.invalidValue(field: "MIC", reason: "must be 16 bytes, got \(mic.count)")
            }
            guard version != nil else {
                throw WireError.invalidValue(field: "MIC", reason: "the MIC follows the Version field, which is missing")
            }
        }
        let headerLength = mic != nil ? 88 : version != nil ? 72 : 64
        let payloads = [lmChallengeResponse, ntChallengeResponse, domainName, userName, workstation,
                        encryptedRandomSessionKey]
        var fields = zip(Self.fieldNames, payloads).map { NTLMSSPPayloadField(name: $0.0, bytes: $0.1) }
        if style == .linuxCIFS {
            // build_ntlmssp_auth_blob advances two bytes past each empty name (an empty UTF-16 string's room).
            for i in 2...4 { fields[i].paddingWhenEmpty = 2 }
        }
        let plan = try NTLMSSPPayloadPlan(headerLength: headerLength, fields: fields, layout: layout)
        var w = WireWriter(capacity: headerLength)
        NTLMSSP.writePrologue(&w, .authenticate)
        plan.buffers.forEach { $0.write(&w) }
        w.u32(flags.rawValue)
        version?.write(&w)
        if let mic { w.append(mic) }
        return plan.assemble(header: w.bytes)
    }
}

extension NTLMSSPAuthenticateMessage: Equatable {
    /// Compares values only; the captured ``layout`` is ignored.
    public static func == (a: Self, b: Self) -> Bool {
        a.lmChallengeResponse == b.lmChallengeResponse && a.ntChallengeResponse == b.ntChallengeResponse
            && a.domainName == b.domainName && a.userName == b.userName && a.workstation == b.workstation
            && a.encryptedRandomSessionKey == b.encryptedRandomSessionKey && a.flags == b.flags
            && a.version == b.version && a.mic == b.mic
    }
}
