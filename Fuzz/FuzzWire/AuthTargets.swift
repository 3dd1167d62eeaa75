import FuzzDriver
import SMBWire

/// The security blobs of extended-security logins, as the server and the client read them.
enum AuthTargets {
    /// Any NTLMSSP message: decoded (spans in place at any base), re-encoded to a fixpoint; an
    /// AUTHENTICATE's MIC range and NTLMv2 blob; the bytes as an NTLMv2 blob themselves.
    static func ntlmssp(_ input: [UInt8]) {
        Oracle.decoding("NTLMSSPMessage.decode", input) {
            let decoded = try NTLMSSPMessage.decode(input)
            Oracle.spansInside(decoded.spans, count: input.count, "NTLMSSPMessage.decode")
            let shifted = try NTLMSSPMessage.decode(input, base: 1000)
            FuzzCheck.require(shifted.value == decoded.value, "the value depends on the span base")
            Oracle.spansInside(shifted.spans, count: input.count, base: 1000, "NTLMSSPMessage.decode at base 1000")
            _ = decoded.value.description
            for style in [NTLMSSPPayloadStyle.canonical, .linuxCIFS] {
                let once: [UInt8]
                do { once = try decoded.value.encode(style: style) } catch {
                    FuzzCheck.fail("a decoded NTLMSSP message does not re-encode (\(error)): \(Hex.encode(input))")
                }
                let twice = try NTLMSSPMessage.decode(once).value.encode(style: style)
                FuzzCheck.require(twice == once,
                                  "NTLMSSP \(style) encoding is not a fixpoint: \(Hex.encode(input))")
            }
            if case let .authenticate(m) = decoded.value {
                _ = try NTLMSSPMIC.range(inAuthenticate: input)
                _ = (m.domain, m.user, m.workstationName)
                if m.ntChallengeResponse.count > 16 {
                    let blob = Array(m.ntChallengeResponse.dropFirst(16))
                    Oracle.spansInside(NTLMv2ClientChallenge.annotate(blob, base: 16), count: blob.count, base: 16,
                                       "NTLMv2ClientChallenge.annotate")
                }
            }
            if case let .challenge(m) = decoded.value { _ = m.target }
        }
        Oracle.spansInside(NTLMv2ClientChallenge.annotate(input), count: input.count, "NTLMv2ClientChallenge.annotate")
        Oracle.decoding("NTLMSSPMIC.input", input) {
            _ = try NTLMSSPMIC.input(negotiate: input, challenge: input, authenticate: input)
        }
    }

    /// A SPNEGO blob: strict DER, so a decoded token re-encodes to exactly its bytes; the
    /// security-blob view (SPNEGO with NTLMSSP inside) re-encodes to a fixpoint; unwrap, the
    /// generic DER walk and object identifiers never trap.
    static func spnego(_ input: [UInt8]) {
        Oracle.decoding("SPNEGO.decode", input) {
            let decoded = try SPNEGO.decode(input)
            Oracle.spansInside(decoded.spans, count: input.count, "SPNEGO.decode")
            FuzzCheck.require(SPNEGO.encode(decoded.value) == input,
                              "SPNEGO does not re-encode to its bytes: \(Hex.encode(input))")
            _ = decoded.value.description
        }
        Oracle.decoding("SecurityBlob.decode", input) {
            let blob = try SecurityBlob.decode(input, base: 7)
            Oracle.spansInside(blob.spans, count: input.count, base: 7, "SecurityBlob.decode")
            let once: [UInt8]
            do { once = try blob.value.encode() } catch {
                FuzzCheck.fail("a decoded security blob does not re-encode (\(error)): \(Hex.encode(input))")
            }
            let twice = try SecurityBlob.decode(once).value.encode()
            FuzzCheck.require(twice == once, "security blob encoding is not a fixpoint: \(Hex.encode(input))")
        }
        Oracle.decoding("SPNEGO.unwrap", input) {
            if let inner = try SPNEGO.unwrap(input) {
                FuzzCheck.require(inner.offset >= 0 && inner.offset + inner.token.count <= input.count,
                                  "inner token outside the blob")
                FuzzCheck.require(Array(input[inner.offset..<(inner.offset + inner.token.count)]) == inner.token,
                                  "inner token offset does not point at its bytes")
            }
        }
        Oracle.decoding("DER.parse", input) {
            for node in try DER.parse(input, in: 0..<input.count) { check(node, inside: 0..<input.count) }
        }
        Oracle.decoding("ASN1ObjectIdentifier.decode", input) {
            let oid = try ASN1ObjectIdentifier.decode(contents: input)
            _ = oid.description
            _ = oid.encoded
        }
    }

    static func check(_ node: DER.Node, inside range: Range<Int>) {
        FuzzCheck.require(node.range.lowerBound >= range.lowerBound && node.range.upperBound <= range.upperBound
                          && node.valueRange.lowerBound >= node.range.lowerBound
                          && node.valueRange.upperBound <= node.range.upperBound,
                          "DER node \(node.range) / \(node.valueRange) outside \(range)")
        for child in node.children { check(child, inside: node.valueRange) }
    }

    /// An AV pair list keeps what follows its terminator, so it re-encodes to exactly its bytes.
    static func avPairs(_ input: [UInt8]) {
        Oracle.decoding("AVPairList.decode", input) {
            let decoded = try AVPairList.decode(input, base: 3)
            Oracle.spansInside(decoded.spans, count: input.count, base: 3, "AVPairList.decode")
            _ = decoded.value.description
            let once: [UInt8]
            do { once = try decoded.value.encode() } catch {
                FuzzCheck.fail("a decoded AV pair list does not re-encode (\(error)): \(Hex.encode(input))")
            }
            FuzzCheck.require(once == input, "AV pairs do not re-encode to their bytes: \(Hex.encode(input))")
        }
    }
}
