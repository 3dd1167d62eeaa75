/// CHALLENGE_MESSAGE, type 2 (MS-NLMP §2.2.1.2): the server's flags, 8-byte challenge and
/// target information.
///
/// Header forms: 56 bytes with Version, 48 without (the smallest the Linux kernel's
/// `decode_ntlmssp_challenge` accepts).
public struct NTLMSSPChallengeMessage: Sendable, CustomStringConvertible {
    /// TargetName bytes: UTF-16LE when ``flags`` has `negotiateUnicode`, else OEM.
    public var targetName: [UInt8]
    public var flags: NTLMSSPNegotiateFlags
    /// The 8-byte ServerChallenge (the kernel's `cryptkey`).
    public var serverChallenge: [UInt8]
    /// The 8 reserved bytes after the challenge (MS-NLMP: zero; older docs call them "context").
    public var reserved: UInt64
    /// The AV pairs; nil when the TargetInfo field is empty.
    public var targetInfo: AVPairList?
    public var version: NTLMSSPVersion?
    /// The wire layout this message was decoded from; nil for messages built in code.
    public var layout: NTLMSSPWireLayout?

    public init(targetName: [UInt8] = [], flags: NTLMSSPNegotiateFlags, serverChallenge: [UInt8],
                reserved: UInt64 = 0, targetInfo: AVPairList? = nil, version: NTLMSSPVersion? = nil) {
        self.targetName = targetName
        self.flags = flags
        self.serverChallenge = serverChallenge
        self.reserved = reserved
        self.targetInfo = targetInfo
        self.version = version
    }

    /// Builds a message whose target name is encoded per `flags`.
    public init(target: String, flags: NTLMSSPNegotiateFlags, serverChallenge: [UInt8],
                targetInfo: AVPairList? = nil, version: NTLMSSPVersion? = nil) {
        self.init(targetName: NTLMSSPString.encode(target, unicode: flags.contains(.negotiateUnicode)),
                  flags: flags, serverChallenge: serverChallenge, targetInfo: targetInfo, version: version)
    }

    /// The target name as text.
    public var target: String { NTLMSSPString.decode(targetName, unicode: flags.contains(.negotiateUnicode)) }

    public var description: String {
        "CHALLENGE flags=\(flags) challenge=\(Hex.encode(serverChallenge)) target=\"\(target)\""
            + (targetInfo.map { " targetInfo=\($0)" } ?? "") + (version.map { " version=\($0)" } ?? "")
    }

    /// Decodes a CHALLENGE message; `bytes` is exactly the message. Span ranges are relative to
    /// `bytes[0]` plus `base`; names start with `prefix`.
    public static func decode(_ bytes: [UInt8], base: Int = 0,
                              prefix: String = NTLMSSP.spanPrefix) throws -> Annotated<NTLMSSPChallengeMessage> {
        var r = WireReader(bytes, base: base, prefix: prefix)
        try NTLMSSP.readPrologue(&r, expecting: .challenge)
        let nameBuf = try NTLMSSPSecurityBuffer.read(&r, "TargetName")
        let flags = NTLMSSPNegotiateFlags(rawValue: try r.u32("NegotiateFlags") {
            NTLMSSPNegotiateFlags(rawValue: $0).names.joined(separator: " | ")
        })
        let challenge = try r.bytes("ServerChallenge", count: 8)
        let reserved = try r.u64("Reserved")
        let infoBuf = try NTLMSSPSecurityBuffer.read(&r, "TargetInfo")
        let headerLength = try NTLMSSPPayload.headerLength(
            fields: [("TargetName", nameBuf), ("TargetInfo", infoBuf)],
            messageLength: bytes.count, forms: [48, 56], prefix: prefix)
        let version = headerLength == 56 ? try NTLMSSPVersion.read(&r) : nil

        let unicode = flags.contains(.negotiateUnicode)
        var m = NTLMSSPChallengeMessage(flags: flags, serverChallenge: challenge, reserved: reserved, version: version)
        for (name, buf) in [("TargetName", nameBuf), ("TargetInfo", infoBuf)].sorted(by: { $0.1.offset < $1.1.offset }) {
            if name == "TargetName" {
                m.targetName = try NTLMSSPPayload.read(&r, name, buf) { NTLMSSPString.quoted($0, unicode: unicode) }
            } else if buf.length > 0 {
                let range = buf.range
                var sub = WireReader(bytes, offset: range.lowerBound, limit: range.upperBound, base: base,
                                     prefix: prefix + "TargetInfo")
                m.targetInfo = try AVPairList.decode(from: &sub)
                r.append(spans: sub.spans)
            }
        }
        try NTLMSSPPayload.recordPadding(&r, fields: [nameBuf, infoBuf], headerLength: headerLength,
                                         messageLength: bytes.count)
        m.layout = NTLMSSPWireLayout(original: bytes, headerLength: headerLength, buffers: [nameBuf, infoBuf])
        return Annotated(value: m, spans: r.spans)
    }

    /// Encodes the message. Throws if the challenge is not 8 bytes or a field exceeds 65535 bytes.
    public func encode() throws -> [UInt8] {
        guard serverChallenge.count == 8 else {
            throw WireError.invalidValue(field: "ServerChallenge", reason: "must be 8 bytes, got \(serverChallenge.count)")
        }
        let info = try targetInfo?.encode() ?? []
        let plan = try NTLMSSPPayloadPlan(headerLength: version == nil ? 48 : 56,
                                          payloads: [("TargetName", targetName), ("TargetInfo", info)],
                                          layout: layout)
        var w = WireWriter(capacity: plan.headerLength)
        NTLMSSP.writePrologue(&w, .challenge)
        plan.buffers[0].write(&w)
        w.u32(flags.rawValue)
        w.append(serverChallenge)
        w.u64(reserved)
        plan.buffers[1].write(&w)
        version?.write(&w)
        return plan.assemble(header: w.bytes)
    }
}

extension NTLMSSPChallengeMessage: Equatable {
    /// Compares values only; the captured ``layout`` is ignored.
    public static func == (a: Self, b: Self) -> Bool {
        a.targetName == b.targetName && a.flags == b.flags && a.serverChallenge == b.serverChallenge
            && a.reserved == b.reserved && a.targetInfo == b.targetInfo && a.version == b.version
    }
}
