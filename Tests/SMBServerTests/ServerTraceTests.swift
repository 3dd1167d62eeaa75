import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import SMBServer

/// The shape of the server's trace: every event inside a frame of its own function, frames
/// paired and nested, the login's verification visible, state diffs read from the objects.
@Suite("Server trace frames and diffs")
struct ServerTraceTests {
    /// Runs `script` against a server under a stepped runtime and returns the events.
    private func trace(_ configuration: SMBServerConfiguration = TestData.configuration(signing: .required),
                       seed: UInt64 = 11,
                       _ script: @escaping (ScriptedClient) throws -> Void) throws -> [TraceEvent] {
        let runtime = SteppedRuntime(seed: seed)
        let server = try SMBServer(configuration: configuration, runtime: runtime)
        nonisolated(unsafe) let work = script
        try runtime.runMain {
            let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            defer { clientEnd.close() }
            try work(ScriptedClient(clientEnd))
        }
        return runtime.trace.events.filter { $0.threadName == "smbd" }
    }

    /// A full session: old-style login, tree, open, read, a bad FID, close, logoff.
    private func fullSession(_ client: ScriptedClient, ntlmv2: Bool = true, password: String = "Wonderland-42") throws {
        _ = try client.negotiate(extended: false)
        guard try client.loginOldStyle(user: "alice", password: password, ntlmv2: ntlmv2).isSuccess else { return }
        _ = try client.treeConnect("share")
        if let fid = try client.open("hello.txt").response?.fid {
            _ = try client.read(fid: fid, offset: 0, count: 4096)
            _ = try client.queryFileInfo(fid: fid, level: .infoStandard)
            _ = try client.read(fid: 0x7777, offset: 0, count: 10)
            _ = try client.close(fid: fid)
        }
    }

    /// Checks that enter/exit pair like calls and returns, and that every other event belongs
    /// to the innermost open frame; returns the frames' names in entry order.
    @discardableResult
    private func checkFrames(_ events: [TraceEvent]) -> [String] {
        var stack: [String] = []
        var entered: [String] = []
        for event in events {
            switch event.phase {
            case .enter:
                stack.append(event.function)
                entered.append(event.function)
            case .exit:
                #expect(stack.last == event.function, "exit of \(event.function) with \(stack) open (#\(event.sequence))")
                stack.removeLast()
            default:
                #expect(stack.last == event.function,
                        "\(event.phase) of \(event.function) outside its frame: \(stack) (#\(event.sequence))")
            }
            if event.function != "smbd_process" {
                #expect(stack.first == "smbd_process" || event.phase == .exit && stack.isEmpty,
                        "\(event.function) outside smbd_process (#\(event.sequence))")
            }
        }
        #expect(stack.isEmpty, "frames left open: \(stack)")
        return entered
    }

    @Test func everyServerEventSitsInAPairedFrame() throws {
        let events = try trace { try fullSession($0) }
        let entered = checkFrames(events)
        for name in ["smbd_process", "receive_smb_talloc", "process_smb", "reply_negprot", "reply_sesssetup_and_X",
                     "ntlm_password_check", "smb_pwd_check_ntlmv2", "srv_set_signing", "srv_check_sign_mac",
                     "reply_tcon_and_X", "reply_ntcreate_and_X", "fd_open", "reply_read_and_X", "reply_trans2",
                     "call_trans2qfilepathinfo", "reply_close", "srv_send_smb", "srv_calculate_sign_mac"] {
            #expect(entered.contains(name), "\(name)")
        }
        // Receives and sends are recorded by their own functions.
        #expect(events.filter { $0.phase == .receive }.allSatisfy { $0.function == "receive_smb_talloc" })
        #expect(events.filter { $0.phase == .send }.allSatisfy { $0.function == "srv_send_smb" })
        // The connection's frame closes with the state machine's last step.
        let last = try #require(events.last)
        #expect(last.function == "smbd_process" && last.phase == .exit)
        #expect(last.diff == [StateDiff(path: "smbd.state", old: "loggedOn", new: "closed")])
        // A handler that fails exits with the error it answered.
        let badRead = events.first {
            $0.function == "reply_read_and_X" && $0.phase == .exit && $0.message.hasPrefix("error:")
        }
        #expect(badRead?.message == "error: STATUS_INVALID_HANDLE (FID 30583)")
    }

    @Test func ntlmsspLoginFramesPairToo() throws {
        let events = try trace { client in
            _ = try client.negotiate(extended: true)
            #expect(try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true).isSuccess)
            _ = try client.treeConnect("share")
        }
        let entered = checkFrames(events)
        for name in ["ntlmssp_server_negotiate", "ntlmssp_server_auth", "ntlm_password_check", "smb_pwd_check_ntlmv2",
                     "ntv2_owf_gen", "SMBOWFencrypt_ntv2", "ntlmssp_server_postauth", "srv_set_signing"] {
            #expect(entered.contains(name), "\(name)")
        }
        // Leg one leaves a pending exchange and the state machine authenticating; leg two
        // turns it into a session.
        let diffs = events.flatMap(\.diff)
        #expect(diffs.contains(StateDiff(path: "smbd.state", old: "negotiated", new: "authenticating")))
        #expect(diffs.contains(StateDiff(path: "smbd.state", old: "authenticating", new: "loggedOn")))
        #expect(diffs.contains { $0.path == "smbd.pendingNTLMSSP[100]" && $0.old == nil && $0.new != nil })
        #expect(diffs.contains { $0.path == "smbd.pendingNTLMSSP[100]" && $0.old != nil && $0.new == nil })
        // The exported session key the client chose (0x60…0x6f) is what the password check
        // derived, and what signing starts with.
        let check = try #require(events.first { $0.function == "ntlm_password_check" && $0.phase == .exit })
        #expect(check.buffers.first { $0.name == "exported session key" }?.bytes == Array(0x60..<0x70))
        let signing = try #require(events.first { $0.function == "srv_set_signing" && $0.phase == .exit })
        #expect(signing.buffers.map(\.name) == ["MAC key"])
        #expect(signing.buffers.first?.bytes == Array(0x60..<0x70))
    }

    @Test func verificationShowsExpectedAndReceivedResponses() throws {
        for ntlmv2 in [false, true] {
            for password in ["Wonderland-42", "Wonderland-43"] {
                let events = try trace(TestData.configuration(signing: .auto)) {
                    try fullSession($0, ntlmv2: ntlmv2, password: password)
                }
                checkFrames(events)
                let name = ntlmv2 ? "smb_pwd_check_ntlmv2" : "smb_pwd_check_ntlmv1"
                let receivedName = ntlmv2 ? "NTProofStr (received)" : "NT response (received)"
                let expectedName = ntlmv2 ? "NTProofStr (expected)" : "response (expected)"
                // Each check frame: what was received on entry, what the stored hash gives and
                // the comparison inside, the verdict on exit.
                var frames: [[TraceEvent]] = []
                var open: [TraceEvent]?
                for event in events {
                    if event.function == name && event.phase == .enter { open = [] }
                    open?.append(event)
                    if event.function == name && event.phase == .exit, let frame = open {
                        frames.append(frame)
                        open = nil
                    }
                }
                #expect(!frames.isEmpty, "\(name)")
                for frame in frames {
                    let buffers = frame.flatMap(\.buffers)
                    let received = try #require(frame.first?.buffers.first { $0.name == receivedName }?.bytes)
                    let expected = try #require(buffers.first { $0.name == expectedName }?.bytes)
                    let comparison = try #require(buffers.first { $0.name.hasPrefix("comparison with") })
                    // The server recomputed from its own password: equal exactly when the
                    // client's password was the same, and the comparison says so.
                    let right = password == "Wonderland-42"
                    #expect((received == expected) == right, "\(name) \(password)")
                    #expect(comparison.bytes == [right ? 1 : 0])
                    let exit = try #require(frame.last)
                    #expect(exit.message.contains("match") || exit.message.contains("differs"))
                }
                let check = try #require(events.first { $0.function == "ntlm_password_check" && $0.phase == .exit })
                if password == "Wonderland-42" {
                    #expect(check.message == "alice: \(ntlmv2 ? "ntlmv2" : "ntlm") response accepted")
                    // The session key is derived inside the check that matched.
                    let key = try #require(frames.last?.flatMap(\.buffers).first { $0.name == "session key" })
                    #expect(key.derivation?.operation == (ntlmv2 ? .hmacMD5 : .md4))
                } else {
                    #expect(check.message == "error: wrong password")
                    // NTLMv2 is tried with the domain as sent, upper-cased and empty.
                    #expect(frames.count == (ntlmv2 ? 2 : 1))
                    let setup = try #require(events.first { $0.function == "reply_sesssetup_and_X" && $0.phase == .exit })
                    #expect(setup.message == "login refused (wrong password): STATUS_LOGON_FAILURE")
                }
            }
        }
    }

    @Test func signingDiffsFollowTheSequence() throws {
        let events = try trace { try fullSession($0) }
        // srv_set_signing: MAC key in, seq 0 → 2 (the reply that starts signing uses 1).
        let set = try #require(events.first { $0.function == "srv_set_signing" && $0.phase == .exit })
        #expect(set.diff.map(\.path) == ["smbd.macKey", "smbd.sequenceNumber"])
        #expect(set.diff.last == StateDiff(path: "smbd.sequenceNumber", old: "0", new: "2"))
        // Each signed request then takes two numbers, verified against the received signature.
        let checks = events.filter { $0.function == "srv_check_sign_mac" && $0.phase == .exit }
        #expect(checks.count >= 5)
        for (index, check) in checks.enumerated() {
            let sequence = 2 + 2 * index
            #expect(check.message == "seq \(sequence): signature verified")
            #expect(check.diff == [StateDiff(path: "smbd.sequenceNumber", old: "\(sequence)", new: "\(sequence + 2)")])
            #expect(check.buffers.count == 2 && check.buffers[0].bytes == check.buffers[1].bytes)
        }
        // Every reply after the setup is signed with request sequence + 1.
        let signed = events.filter { $0.function == "srv_calculate_sign_mac" && $0.phase == .exit }.map(\.message)
        #expect(signed == ["signed with seq 1"] + checks.indices.map { "signed with seq \(3 + 2 * $0)" })
    }

    @Test func tableDiffsFollowTheSession() throws {
        let events = try trace { try fullSession($0) }
        let diffs = events.flatMap(\.diff).map(\.description)
        #expect(diffs.contains("smbd.state awaitingNegotiate → negotiated"))
        #expect(diffs.contains("smbd.state negotiated → loggedOn"))
        #expect(diffs.contains("smbd.sessions[100] ∅ → UID 100 alice (ntlmv2)"))
        #expect(diffs.contains("smbd.trees[1] ∅ → TID 1 share (UID 100)"))
        #expect(diffs.contains("smbd.files[16385] ∅ → FID 0x4001 \\hello.txt (TID 1)"))
        #expect(diffs.contains("smbd.files[16385] FID 0x4001 \\hello.txt (TID 1) → ∅"))
        // The challenge the diff shows is the one NEGOTIATE sent.
        let negprot = try #require(events.first { $0.function == "reply_negprot" && $0.phase == .exit })
        let challenge = try #require(negprot.diff.first { $0.path == "smbd.challenge" })
        let sent = try #require(events.first { $0.function == "srv_send_smb" && $0.phase == .send })
        let reply = try NegotiateResponse.decodePacket(sent.buffers[0].bytes).value.body
        guard case let .ntLM012(response) = reply, case let .challenge(c) = response.security else {
            Issue.record("no challenge NEGOTIATE reply")
            return
        }
        #expect(challenge.old == "none" && challenge.new == Hex.encode(c.challenge))
    }

    @Test func invalidatedHandleIsForgottenVisibly() throws {
        let events = try trace(TestData.configuration(signing: .off, faults: FaultPlan(invalidateHandleAfterRead: [1]))) {
            client in
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("hello.txt").response?.fid)
            #expect(try client.read(fid: fid, offset: 0, count: 10).status.isSuccess)
            #expect(try client.read(fid: fid, offset: 0, count: 10).status == .invalidHandle)
        }
        checkFrames(events)
        let reads = events.filter { $0.function == "reply_read_and_X" && $0.phase != .enter }
        #expect(reads.first?.diff == [StateDiff(path: "smbd.files[16385].invalidated", old: "false", new: "true")])
        #expect(reads.dropFirst().first?.phase == .note)
        #expect(reads.dropFirst().first?.diff.first?.path == "smbd.files[16385]")
        #expect(reads.last?.message == "error: STATUS_INVALID_HANDLE (FID 16385 was invalidated)")
    }
}
