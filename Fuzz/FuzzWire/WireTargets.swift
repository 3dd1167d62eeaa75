import FuzzDriver
import SMBWire

/// The SMBWire targets: NBSS framing, whole SMB1 messages, each command's request and reply,
/// TRANS2, and the security blobs (NTLMSSP, SPNEGO/DER, AV pairs).
enum WireTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("nbss", "NBSSDecoder: a TCP stream fed in pieces, frames out", run: NBSSTarget.run),
        FuzzTarget("smb1", "SMBMessage.decode/annotate: any SMB1 message, whole AndX chain", run: MessageTargets.anyMessage),
        FuzzTarget("negotiate", "NEGOTIATE request and reply", run: MessageTargets.command(NegotiateRequest.self, NegotiateResponse.self)),
        FuzzTarget("session-setup", "SESSION_SETUP_ANDX request and reply (old-style and extended)",
                   run: MessageTargets.command(SessionSetupAndXRequest.self, SessionSetupAndXResponse.self)),
        FuzzTarget("tree-connect", "TREE_CONNECT_ANDX request and reply",
                   run: MessageTargets.command(TreeConnectAndXRequest.self, TreeConnectAndXResponse.self)),
        FuzzTarget("nt-create", "NT_CREATE_ANDX request and reply",
                   run: MessageTargets.command(NTCreateAndXRequest.self, NTCreateAndXResponse.self)),
        FuzzTarget("read", "READ_ANDX request and reply (and the reply's fixed part, as cifsd reads it)",
                   run: MessageTargets.read),
        FuzzTarget("close", "CLOSE request and reply", run: MessageTargets.command(CloseRequest.self, CloseResponse.self)),
        FuzzTarget("tree-disconnect", "TREE_DISCONNECT request and reply",
                   run: MessageTargets.command(TreeDisconnectRequest.self, TreeDisconnectResponse.self)),
        FuzzTarget("logoff", "LOGOFF_ANDX request and reply", run: MessageTargets.command(LogoffAndXRequest.self, LogoffAndXResponse.self)),
        FuzzTarget("echo", "ECHO request and reply", run: MessageTargets.command(EchoRequest.self, EchoResponse.self)),
        FuzzTarget("trans2", "TRANSACTION2 request and reply, their parameters and information levels", run: MessageTargets.trans2),
        FuzzTarget("ntlmssp", "NTLMSSP NEGOTIATE/CHALLENGE/AUTHENTICATE, the MIC range, the NTLMv2 blob", run: AuthTargets.ntlmssp),
        FuzzTarget("spnego", "SPNEGO tokens, DER, object identifiers, security blobs", run: AuthTargets.spnego),
        FuzzTarget("avpairs", "AV_PAIR lists (CHALLENGE TargetInfo, inside NTLMv2 responses)", run: AuthTargets.avPairs),
        FuzzTarget("share-name", "the server's share-name parser (SharePath): names never leave the share", run: ShareNameTarget.run),
    ]
}

/// Checks shared by the targets.
enum Oracle {
    /// Runs `body`; a `WireError` is the clear error bad input must get, anything else a finding.
    static func decoding(_ what: String, _ input: [UInt8], _ body: () throws -> Void) {
        do {
            try body()
        } catch is WireError {
        } catch {
            FuzzCheck.fail("\(what) threw \(type(of: error)) (\(error)), not a WireError, on \(Hex.encode(input))")
        }
    }

    /// Every span lies inside `0..<count` shifted by `base`.
    static func spansInside(_ spans: [FieldSpan], count: Int, base: Int = 0, _ what: String) {
        for s in spans where s.range.lowerBound < base || s.range.upperBound > base + count {
            FuzzCheck.fail("\(what): span \(s.name) \(s.range) outside \(base)..<\(base + count)")
        }
    }
}
