import Foundation
import KernelRuntime
import SMBCrypto
import SMBWire

/// A raw SMB1 client over TCP that does what issue 13's probes did to `cifstep serve`: it
/// builds requests with SMBWire and never signs (the server's `auto` policy then does not
/// either). Not a client anyone should copy: it asks for what a server should refuse.
final class AttackClient {
    enum Failure: Error { case closed, unexpected(String) }

    let transport: TCPTransport
    private var decoder = NBSSDecoder()
    private var mid: UInt16 = 1
    var uid: UInt16 = 0
    var tid: UInt16 = 0xFFFF
    private var extendedSecurity = false
    private var challenge: [UInt8] = []

    init(port: UInt16) throws {
        transport = try TCPTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(30))
    }

    func close() { transport.close() }

    func sendRaw(_ bytes: [UInt8]) throws { try transport.send(bytes) }

    private func header(_ command: SMBCommand) -> SMBHeader {
        var flags2: SMBFlags2 = [.longNames, .ntStatus, .unicode]
        if extendedSecurity { flags2.insert(.extendedSecurity) }
        defer { mid = mid == 0xFFFE ? 1 : mid + 1 }
        return SMBHeader(command: command, flags: [.caseInsensitive], flags2: flags2, tid: tid, pidLow: 4242, uid: uid, mid: mid)
    }

    func receiveMessage() throws -> [UInt8] {
        while true {
            if let message = try decoder.next() { return message }
            let chunk = try transport.receive(maxBytes: 1 << 20)
            if chunk.isEmpty { throw Failure.closed }
            decoder.feed(chunk)
        }
    }

    /// Whether the server closed the connection: reads (and drops) until end of stream.
    func serverClosed() -> Bool {
        while true {
            guard let chunk = try? transport.receive(maxBytes: 65536) else { return true }
            if chunk.isEmpty { return true }
        }
    }

    func call(_ body: some SMBEncodableBlock) throws -> (header: SMBHeader, packet: [UInt8]) {
        var encoder = try SMBPacketEncoder(header: header(body.blockCommand))
        try encoder.append(body)
        try transport.send(try NBSSFrame.encode(encoder.bytes))
        let reply = try receiveMessage()
        return (try SMBHeader.peek(reply), reply)
    }

    func negotiate(extended: Bool) throws {
        extendedSecurity = extended
        let (_, packet) = try call(NegotiateRequest(dialects: ["NT LM 0.12"]))
        guard case let .ntLM012(response) = try NegotiateResponse.decodePacket(packet).value.body else {
            throw Failure.unexpected("no NT LM 0.12")
        }
        if case let .challenge(c) = response.security { challenge = c.challenge }
    }

    /// Negotiates (challenge form), logs in old-style with NTLMv2 and connects to `share`.
    func logOn(user: String = "alice", password: String = "Wonderland-42", share: String = "data") throws {
        try negotiate(extended: false)
        let owf = try NTLM.ntowfv2(ntHash: NTLM.ntHash(password: password, encoding: .untruncated),
                                   user: user, domain: "WORKGROUP")
        let blob = try NTLMv2Blob(timestamp: NTLMv2Blob.timestampBytes(fileTime: 0x01D9_0000_0000_0000),
                                  clientChallenge: [1, 2, 3, 4, 5, 6, 7, 8], targetInfo: [0, 0, 0, 0],
                                  trailingZeros: false).encode()
        let nt = try NTLM.ntlmv2Response(ntowfv2: owf, serverChallenge: challenge, blob: blob)
        let (h1, _) = try call(SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50,
                                               capabilities: [.unicode, .ntSMBs, .status32, .largeFiles, .largeReadX]),
            caseInsensitivePassword: [UInt8](repeating: 0, count: 24), caseSensitivePassword: nt,
            accountName: user, primaryDomain: "WORKGROUP", nativeOS: "Linux", nativeLanMan: "attack")))
        guard h1.status.isSuccess else { throw Failure.unexpected("login: \(h1.status.name)") }
        uid = h1.uid
        let (h2, _) = try call(TreeConnectAndXRequest(flags: 0, path: "\\\\CIFSTEP\\\(share)"))
        guard h2.status.isSuccess else { throw Failure.unexpected("tree connect: \(h2.status.name)") }
        tid = h2.tid
    }

    func open(_ name: String) throws -> (status: NTStatus, fid: UInt16?) {
        let (header, packet) = try call(NTCreateAndXRequest(desiredAccess: 0x0012_0089, shareAccess: 7,
                                                            createDisposition: 1, createOptions: 0, fileName: name))
        guard header.status.isSuccess else { return (header.status, nil) }
        return (header.status, try NTCreateAndXResponse.decodePacket(packet).value.body.fid)
    }

    /// READ_ANDX of `count` bytes (MaxCountHigh for the high bits); the data length answered.
    func read(fid: UInt16, count: UInt32) throws -> (status: NTStatus, bytes: Int) {
        let (header, packet) = try call(ReadAndXRequest(fid: fid, offset: 0, count: count))
        guard header.status.isSuccess else { return (header.status, 0) }
        return (header.status, try ReadAndXResponse.decodePacket(packet).value.body.data.count)
    }

    /// FIND_FIRST2 of `dir\*` that stays open (no close flags), one entry in the first page.
    func openSearch(_ directory: String) throws -> NTStatus {
        let request = Trans2Request(subcommand: .findFirst2,
                                    parameters: [0x16, 0, 1, 0, 0, 0, 0x04, 0x01, 0, 0, 0, 0]
                                        + SMBString.encode("\\\(directory)\\*", unicode: true),
                                    maxParameterCount: 10, maxDataCount: 16384)
        return try call(request).header.status
    }

    /// Leg one of an NTLMSSP login on a fresh UID (raw NTLMSSP, as the kernel sends it).
    func halfLogin() throws -> NTStatus {
        let negotiate = try NTLMSSPNegotiateMessage(flags: [.negotiateUnicode, .requestTarget, .negotiateNTLM]).encode()
        uid = 0
        let request = SessionSetupAndXRequest.extended(ExtendedSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50,
                                               capabilities: [.unicode, .ntSMBs, .status32, .extendedSecurity]),
            securityBlob: negotiate, nativeOS: "Linux", nativeLanMan: "attack"))
        return try call(request).header.status
    }
}

/// The attacks of issue 13 against a running `cifstep serve` (a share named `data` holding
/// `hello.txt` and a directory `many` of 2,000 files, user alice / Wonderland-42). Each one
/// opens its connections, does its harm, runs `during` while it still holds them, then lets
/// go; it returns what the server answered, as counts.
enum ServeAttack: String, CaseIterable, Sendable {
    /// 20 connections, each a keep-alive header claiming 16 MiB followed by 15 MiB of body.
    case keepAliveFlood = "keep-alive flood"
    /// 8 logged-on connections, each reading 16 MiB of the 33-byte hello.txt four times.
    case bigReads = "16 MiB READ_ANDX of a small file x8"
    /// One connection opening 500 FIND_FIRST2 searches of the 2,000-entry directory.
    case searches = "500 FIND_FIRST2"
    /// One connection starting 65,534 NTLMSSP logins and finishing none.
    case halfLogins = "65,534 half logins"
    /// One connection opening hello.txt 20,000 times.
    case opens = "20,000 opens"

    func run(port: UInt16, during: () throws -> Void) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        func count(_ key: String) { counts[key, default: 0] += 1 }
        var clients: [AttackClient] = []
        defer { for client in clients { client.close() } }
        switch self {
        case .keepAliveFlood:
            let body = [UInt8](repeating: 0, count: 15 << 20)
            for _ in 0..<20 {
                let client = try AttackClient(port: port)
                clients.append(client)
                do {
                    try client.sendRaw([0x85, 0xFF, 0xFF, 0xFF])
                    try client.sendRaw(body)
                    count("sent")
                } catch {
                    count("cut off while sending")
                }
            }
        case .bigReads:
            for _ in 0..<8 {
                let client = try AttackClient(port: port)
                clients.append(client)
                try client.logOn()
                guard let fid = try client.open("hello.txt").fid else { throw AttackClient.Failure.unexpected("open") }
                for _ in 0..<4 {
                    let (status, bytes) = try client.read(fid: fid, count: 0xFF_FFFF)
                    count("\(status.name) \(bytes) bytes")
                }
            }
        case .searches:
            let client = try AttackClient(port: port)
            clients.append(client)
            try client.logOn()
            for _ in 0..<500 { count(try client.openSearch("many").name) }
        case .halfLogins:
            let client = try AttackClient(port: port)
            clients.append(client)
            try client.negotiate(extended: true)
            // Never logged on, the connection may meet the login timeout before it is done.
            for _ in 0..<65_534 {
                do { count(try client.halfLogin().name) } catch AttackClient.Failure.closed {
                    count("closed by the server")
                    break
                }
            }
        case .opens:
            let client = try AttackClient(port: port)
            clients.append(client)
            try client.logOn()
            for _ in 0..<20_000 { count(try client.open("hello.txt").status.name) }
        }
        try during()
        return counts
    }

    /// The share the attacks expect, under `root`: `hello.txt` and `many/` with 2,000 files.
    static func makeShare(at root: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("many"), withIntermediateDirectories: true)
        try Data(Peers.helloText.utf8).write(to: root.appendingPathComponent("hello.txt"))
        for i in 0..<2000 {
            try Data("entry \(i)\n".utf8).write(
                to: root.appendingPathComponent("many/a-file-with-a-longish-name-\(String(i + 100_000)).txt"))
        }
    }
}
