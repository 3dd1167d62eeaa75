/// Interprets a parsed DER tree against the SPNEGO token schema, recording spans as it goes.
struct SPNEGODecoder {
    let bytes: [UInt8]
    let base: Int
    let prefix: String
    var recordsSpans = true
    private(set) var spans: [FieldSpan] = []
    /// The mechToken / responseToken contents, when present.
    private(set) var innerToken: Range<Int>?

    init(bytes: [UInt8], base: Int, prefix: String, recordsSpans: Bool = true) {
        self.bytes = bytes
        self.base = base
        self.prefix = prefix
        self.recordsSpans = recordsSpans
    }

    mutating func decodeToken() throws -> SPNEGOToken {
        guard !bytes.isEmpty else { throw WireError.truncated(field: prefix + "tag", needed: 2, available: 0) }
        let nodes = try DER.parse(bytes, in: 0..<bytes.count)
        guard let root = nodes.first else { throw WireError.truncated(field: prefix + "tag", needed: 2, available: 0) }
        guard nodes.count == 1 else {
            throw WireError.invalidValue(field: prefix + "InitialContextToken",
                                         reason: "\(bytes.count - root.range.upperBound) trailing byte(s) after the token")
        }
        switch root.tag {
        case 0x60:
            header(root, "InitialContextToken", "GSS-API InitialContextToken")
            guard root.children.count == 2, let mech = root.children.first, let inner = root.children.last else {
                throw WireError.invalidValue(field: prefix + "InitialContextToken",
                                             reason: "expected thisMech and one inner token, got \(root.children.count) element(s)")
            }
            let oid = try objectIdentifier(mech, "thisMech", "mechanism of this token")
            guard oid == .spnego else {
                throw WireError.unsupported("GSS-API token for mechanism \(oid), not SPNEGO")
            }
            return try choice(inner, framed: true)
        case 0xa0, 0xa1:
            return try choice(root, framed: false)
        default:
            throw WireError.invalidValue(field: prefix + "tag",
                                         reason: "not a SPNEGO token: tag 0x\(hex(UInt64(root.tag), width: 2)) (\(root.tagDescription))")
        }
    }

    private mutating func choice(_ node: DER.Node, framed: Bool) throws -> SPNEGOToken {
        switch node.tag {
        case 0xa0: return .negTokenInit(try negTokenInit(node, framed: framed))
        case 0xa1: return .negTokenResp(try negTokenResp(node, framed: framed))
        default:
            throw WireError.invalidValue(field: prefix + "NegotiationToken",
                                         reason: "expected [0] negTokenInit or [1] negTokenResp, got tag 0x\(hex(UInt64(node.tag), width: 2))")
        }
    }

    // MARK: NegTokenInit

    private mutating func negTokenInit(_ node: DER.Node, framed: Bool) throws -> SPNEGONegTokenInit {
        let path = "negTokenInit"
        header(node, path, "NegotiationToken choice [0] negTokenInit")
        let seq = try single(node, path)
        try expect(seq, tag: 0x30, path + ".sequence")
        header(seq, path + ".sequence", "NegTokenInit SEQUENCE")
        var t = SPNEGONegTokenInit(gssFramed: framed)
        var micAt3 = false
        for (number, wrapper, inner) in try elements(seq, path, allowed: 0...4) {
            switch number {
            case 0:
                header(wrapper, path + ".mechTypes", "[0] mechTypes")
                t.mechTypes = try mechTypeList(inner, path + ".mechTypes")
            case 1:
                header(wrapper, path + ".reqFlags", "[1] reqFlags")
                t.reqFlags = try bitString(inner, path + ".reqFlags.bits", "ContextFlags")
            case 2:
                header(wrapper, path + ".mechToken", "[2] mechToken")
                t.mechToken = try token(inner, path + ".mechToken.octets", "mechanism token")
            case 3 where inner.tag == 0x30:
                header(wrapper, path + ".negHints", "[3] negHints (MS-SPNG NegTokenInit2)")
                t.negHints = try negHints(inner, path + ".negHints")
            case 3:
                header(wrapper, path + ".mechListMIC", "[3] mechListMIC (RFC 4178)")
                t.mechListMIC = try octets(inner, path + ".mechListMIC.octets", "MIC over the DER mechTypes list")
                micAt3 = true
            default:
                guard !micAt3 else {
                    throw WireError.invalidValue(field: prefix + path + ".mechListMIC", reason: "mechListMIC at both [3] and [4]")
                }
                header(wrapper, path + ".mechListMIC", "[4] mechListMIC (MS-SPNG NegTokenInit2)")
                t.mechListMIC = try octets(inner, path + ".mechListMIC.octets", "MIC over the DER mechTypes list")
                t.mechListMICAtTag4 = true
            }
        }
        return t
    }

    private mutating func mechTypeList(_ node: DER.Node, _ path: String) throws -> [ASN1ObjectIdentifier] {
        try expect(node, tag: 0x30, path + ".sequence")
        header(node, path + ".sequence", "MechTypeList SEQUENCE OF MechType")
        var oids = [ASN1ObjectIdentifier]()
        for (i, child) in node.children.enumerated() {
            oids.append(try objectIdentifier(child, path + "[\(i)]", "MechType \(i)"))
        }
        return oids
    }

    private mutating func negHints(_ node: DER.Node, _ path: String) throws -> SPNEGONegHints {
        header(node, path + ".sequence", "NegHints SEQUENCE")
        var hints = SPNEGONegHints()
        for (number, wrapper, inner) in try elements(node, path, allowed: 0...1) {
            if number == 0 {
                header(wrapper, path + ".hintName", "[0] hintName")
                try expect(inner, tag: 0x1b, path + ".hintName.string")
                header(inner, path + ".hintName.string", "GeneralString")
                let value = Array(bytes[inner.valueRange])
                record(inner, path + ".hintName.string", "\"" + String(decoding: value, as: UTF8.self) + "\"", nil)
                hints.hintName = value
            } else {
                header(wrapper, path + ".hintAddress", "[1] hintAddress")
                hints.hintAddress = try octets(inner, path + ".hintAddress.octets", "hint address")
            }
        }
        return hints
    }

    // MARK: NegTokenResp

    private mutating func negTokenResp(_ node: DER.Node, framed: Bool) throws -> SPNEGONegTokenResp {
        let path = "negTokenResp"
        header(node, path, "NegotiationToken choice [1] negTokenResp")
        let seq = try single(node, path)
        try expect(seq, tag: 0x30, path + ".sequence")
        header(seq, path + ".sequence", "NegTokenResp SEQUENCE")
        var t = SPNEGONegTokenResp(gssFramed: framed)
        for (number, wrapper, inner) in try elements(seq, path, allowed: 0...3) {
            switch number {
            case 0:
                header(wrapper, path + ".negState", "[0] negState")
                t.negState = try enumerated(inner, path + ".negState.enumerated")
            case 1:
                header(wrapper, path + ".supportedMech", "[1] supportedMech")
                t.supportedMech = try objectIdentifier(inner, path + ".supportedMech.oid", "the mechanism chosen")
            case 2:
                header(wrapper, path + ".responseToken", "[2] responseToken")
                t.responseToken = try token(inner, path + ".responseToken.octets", "mechanism token")
            default:
                header(wrapper, path + ".mechListMIC", "[3] mechListMIC")
                t.mechListMIC = try octets(inner, path + ".mechListMIC.octets", "MIC over the DER mechTypes list")
            }
        }
        return t
    }

    private mutating func enumerated(_ node: DER.Node, _ path: String) throws -> SPNEGONegState {
        try expect(node, tag: 0x0a, path)
        header(node, path, "ENUMERATED")
        guard node.valueRange.count == 1, let v = bytes[node.valueRange].first, v < 0x80 else {
            throw WireError.invalidValue(field: prefix + path,
                                         reason: "negState must be one octet 0…127, got \(Hex.encode(bytes[node.valueRange]))")
        }
        let state = SPNEGONegState(rawValue: v)
        record(node, path, "\(v)", state.description)
        return state
    }

    // MARK: Shared element readers

    /// The context-tagged elements of a SEQUENCE: each `[n]` must be constructed, hold exactly
    /// one TLV, have `n` in `allowed`, and come in strictly increasing order.
    private func elements(_ seq: DER.Node, _ path: String, allowed: ClosedRange<UInt8>) throws
        -> [(number: UInt8, wrapper: DER.Node, inner: DER.Node)] {
        var out = [(number: UInt8, wrapper: DER.Node, inner: DER.Node)]()
        var last: Int = -1
        for child in seq.children {
            guard child.tag & 0xe0 == 0xa0 else {
                throw WireError.invalidValue(field: prefix + path,
                                             reason: "expected a context-tagged element, got tag 0x\(hex(UInt64(child.tag), width: 2))")
            }
            let number = child.tag & 0x1f
            guard allowed.contains(number) else {
                throw WireError.unsupported("\(prefix)\(path): unknown element [\(number)]")
            }
            guard Int(number) > last else {
                throw WireError.invalidValue(field: prefix + path, reason: "element [\(number)] out of order or repeated")
            }
            last = Int(number)
            guard child.children.count == 1, let inner = child.children.first else {
                throw WireError.invalidValue(field: prefix + path + "[\(number)]",
                                             reason: "must hold exactly one value, holds \(child.children.count)")
            }
            out.append((number, child, inner))
        }
        return out
    }

    private func single(_ node: DER.Node, _ path: String) throws -> DER.Node {
        guard node.children.count == 1, let only = node.children.first else {
            throw WireError.invalidValue(field: prefix + path, reason: "must hold exactly one value, holds \(node.children.count)")
        }
        return only
    }

    private func expect(_ node: DER.Node, tag: UInt8, _ path: String) throws {
        guard node.tag == tag else {
            throw WireError.invalidValue(field: prefix + path,
                                         reason: "expected tag 0x\(hex(UInt64(tag), width: 2)) (\(DER.describe(tag: tag))), got 0x\(hex(UInt64(node.tag), width: 2))")
        }
    }

    private mutating func objectIdentifier(_ node: DER.Node, _ path: String, _ meaning: String) throws -> ASN1ObjectIdentifier {
        try expect(node, tag: 0x06, path)
        header(node, path, meaning)
        let oid = try ASN1ObjectIdentifier.decode(contents: bytes[node.valueRange], field: prefix + path)
        record(node, path, oid.dotted, oid.name)
        return oid
    }

    private mutating func octets(_ node: DER.Node, _ path: String, _ meaning: String) throws -> [UInt8] {
        try expect(node, tag: 0x04, path)
        header(node, path, "OCTET STRING")
        let value = Array(bytes[node.valueRange])
        record(node, path, summarize(value), meaning)
        return value
    }

    /// An OCTET STRING holding a mechanism token; names the NTLMSSP message it carries.
    private mutating func token(_ node: DER.Node, _ path: String, _ meaning: String) throws -> [UInt8] {
        try expect(node, tag: 0x04, path)
        header(node, path, "OCTET STRING")
        let value = Array(bytes[node.valueRange])
        var what = meaning
        if let type = try? NTLMSSPMessageType.of(value) { what = "NTLMSSP \(type.name) (\(value.count) bytes)" }
        record(node, path, summarize(value), what)
        innerToken = node.valueRange
        return value
    }

    private mutating func bitString(_ node: DER.Node, _ path: String, _ meaning: String) throws -> [UInt8] {
        try expect(node, tag: 0x03, path)
        header(node, path, "BIT STRING")
        let value = Array(bytes[node.valueRange])
        guard let unused = value.first, unused <= 7, value.count > 1 || unused == 0 else {
            throw WireError.invalidValue(field: prefix + path, reason: "malformed BIT STRING \(Hex.encode(value))")
        }
        record(node, path, Hex.encode(value), meaning + ", \(unused) unused bit(s)")
        return value
    }

    // MARK: Spans

    private mutating func header(_ node: DER.Node, _ path: String, _ meaning: String) {
        guard recordsSpans else { return }
        let t = node.range.lowerBound
        spans.append(FieldSpan(range: (t + base)..<(t + 1 + base), name: prefix + path + ".tag",
                               value: "0x" + hex(UInt64(node.tag), width: 2),
                               meaning: meaning + " — " + node.tagDescription))
        let lengthForm = node.lengthRange.count == 1 ? "short form" : "long form, \(node.lengthRange.count - 1) octet(s)"
        spans.append(FieldSpan(range: (node.lengthRange.lowerBound + base)..<(node.lengthRange.upperBound + base),
                               name: prefix + path + ".length", value: "\(node.valueRange.count)", meaning: lengthForm))
    }

    private mutating func record(_ node: DER.Node, _ path: String, _ value: String, _ meaning: String?) {
        guard recordsSpans, !node.valueRange.isEmpty else { return }
        spans.append(FieldSpan(range: (node.valueRange.lowerBound + base)..<(node.valueRange.upperBound + base),
                               name: prefix + path + ".value", value: value, meaning: meaning))
    }
}
