/// NEGOTIATE_MESSAGE, type 1 (MS-NLMP §2.2.1.1): the client's opening offer of flags.
///
/// Header forms, told apart by where the payload starts (see ``NTLMSSPWireLayout``):
/// 40 bytes with Version (Samba, Windows), 32 without (the Linux 3.8 kernel's
/// `build_ntlmssp_negotiate_blob`), and the 16-byte form of very old clients (signature, type
/// and flags only), accepted on decode and reproduced only through a decoded layout.
public struct NTLMSSPNegotiateMessage: Sendable, CustomStringConvertible {
    public var flags: NTLMSSPNegotiateFlags
    /// OEM domain name bytes (meaningful with `NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED`).
    public var domainName: [UInt8]
    /// OEM workstation name bytes (meaningful with `NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED`).
    public var workstationName: [UInt8]
    /// Present when the header has the Version slot (normally with `NTLMSSP_NEGOTIATE_VERSION`).
    public var version: NTLMSSPVersion?
    /// The wire layout this message was decoded from; nil for messages built in code.
    public var layout: NTLMSSPWireLayout?

    public init(flags: NTLMSSPNegotiateFlags, domainName: [UInt8] = [], workstationName: [UInt8] = [],
                version: NTLMSSPVersion? = nil) {
        self.flags = flags
        self.domainName = domainName
        self.workstationName = workstationName
        self.version = version
    }

    /// Builds a message with OEM-encoded names.
    public init(flags: NTLMSSPNegotiateFlags, domain: String?, workstation: String?, version: NTLMSSPVersion? = nil) {
        self.init(flags: flags,
                  domainName: domain.map { NTLMSSPString.encode($0, unicode: false) } ?? [],
                  workstationName: workstation.map { NTLMSSPString.encode($0, unicode: false) } ?? [],
                  version: version)
    }

    /// The domain name as text (NEGOTIATE names are always OEM).
    public var domain: String { NTLMSSPString.decode(domainName, unicode: false) }
    /// The workstation name as text.
    public var workstation: String { NTLMSSPString.decode(workstationName, unicode: false) }

    public var description: String {
        "NEGOTIATE flags=\(flags) domain=\"\(domain)\" workstation=\"\(workstation)\""
            + (version.map { " version=\($0)" } ?? "")
    }

    /// Decodes a NEGOTIATE message; `bytes` is exactly the message. Span ranges are relative to
    /// `bytes[0]` plus `base`; names start with `prefix`.
    public static func decode(_ bytes: [UInt8], base: Int = 0,
                              prefix: String = NTLMSSP.spanPrefix) throws -> Annotated<NTLMSSPNegotiateMessage> {
        var r = WireReader(bytes, base: base, prefix: prefix)
        try NTLMSSP.readPrologue(&r, expecting: .negotiate)
        let flags = NTLMSSPNegotiateFlags(rawValue: try r.u32("NegotiateFlags") {
            NTLMSSPNegotiateFlags(rawValue: $0).names.joined(separator: " | ")
        })
        // Fewer than 32 bytes: the old 16-byte form without the two name fields.
        guard bytes.count >= 32 else {
            try NTLMSSPPayload.recordPadding(&r, fields: [], headerLength: 16, messageLength: bytes.count)
            var m = NTLMSSPNegotiateMessage(flags: flags)
            m.layout = NTLMSSPWireLayout(original: bytes, headerLength: 16, buffers: [])
            return Annotated(value: m, spans: r.spans)
        }
        let domainBuf = try NTLMSSPSecurityBuffer.read(&r, "DomainName")
        let workstationBuf = try NTLMSSPSecurityBuffer.read(&r, "Workstation")
        let headerLength = try NTLMSSPPayload.headerLength(
            fields: [("DomainName", domainBuf), ("Workstation", workstationBuf)],
            messageLength: bytes.count, forms: [32, 40], prefix: prefix)
        let version = headerLength == 40 ? try NTLMSSPVersion.read(&r) : nil

        var m = NTLMSSPNegotiateMessage(flags: flags, version: version)
        for (name, buf) in [("DomainName", domainBuf), ("Workstation", workstationBuf)]
            .sorted(by: { $0.1.offset < $1.1.offset }) {
            let value = try NTLMSSPPayload.read(&r, name, buf) { NTLMSSPString.quoted($0, unicode: false) }
            if name == "DomainName" { m.domainName = value } else { m.workstationName = value }
        }
        try NTLMSSPPayload.recordPadding(&r, fields: [domainBuf, workstationBuf],
                                         headerLength: headerLength, messageLength: bytes.count)
        m.layout = NTLMSSPWireLayout(original: bytes, headerLength: headerLength, buffers: [domainBuf, workstationBuf])
        return Annotated(value: m, spans: r.spans)
    }

    /// Encodes the message: reusing ``layout`` when it still fits, else laid out per `style`
    /// (see ``NTLMSSPWireLayout``). Throws if a name is longer than 65535 bytes.
    public func encode(style: NTLMSSPPayloadStyle = .canonical) throws -> [UInt8] {
        if let layout, layout.headerLength == 16, domainName.isEmpty, workstationName.isEmpty, version == nil {
            let plan = try NTLMSSPPayloadPlan(headerLength: 16, payloads: [], layout: layout)
            var w = WireWriter()
            NTLMSSP.writePrologue(&w, .negotiate)
            w.u32(flags.rawValue)
            return plan.assemble(header: w.bytes)
        }
        let emptyOffset: UInt32? = style == .linuxCIFS ? 0 : nil
        let plan = try NTLMSSPPayloadPlan(
            headerLength: version == nil ? 32 : 40,
            fields: [NTLMSSPPayloadField(name: "DomainName", bytes: domainName, emptyOffset: emptyOffset),
                     NTLMSSPPayloadField(name: "Workstation", bytes: workstationName, emptyOffset: emptyOffset)],
            layout: layout)
        var w = WireWriter(capacity: plan.headerLength)
        NTLMSSP.writePrologue(&w, .negotiate)
        w.u32(flags.rawValue)
        plan.buffers.forEach { $0.write(&w) }
        version?.write(&w)
        return plan.assemble(header: w.bytes)
    }
}

extension NTLMSSPNegotiateMessage: Equatable {
    /// Compares values only; the captured ``layout`` is ignored.
    public static func == (a: Self, b: Self) -> Bool {
        a.flags == b.flags && a.domainName == b.domainName && a.workstationName == b.workstationName
            && a.version == b.version
    }
}
