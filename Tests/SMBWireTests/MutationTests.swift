import KernelRuntime  // SplitMix64: the seeded corruption's one generator
import Testing
@testable import SMBWire

/// Corrupts valid messages in seeded ways and checks every decoder either returns a value or
/// throws a WireError — never traps, never throws anything else — and that whatever decodes
/// re-encodes to a fixpoint.
@Suite struct MutationTests {
    /// Valid messages to start from: the captures plus encodings of forms they lack.
    static func seeds() throws -> [[UInt8]] {
        var seeds = Fixtures.all.map(\.bytes)
        let p = SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50, capabilities: [.unicode, .ntSMBs])
        for unicode in [true, false] {
            func rq(_ c: SMBCommand) -> SMBHeader { TestHeaders.request(c, unicode: unicode) }
            func rs(_ c: SMBCommand) -> SMBHeader { TestHeaders.response(c, unicode: unicode) }
            seeds.append(try NegotiateResponse.noCommonDialect.encodePacket(header: rs(.negotiate)))
            seeds.append(try SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
                nativeOS: "Unix", nativeLanMan: "Samba", primaryDomain: "WG")).encodePacket(header: rs(.sessionSetupAndX)))
            seeds.append(try SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
                parameters: p, caseInsensitivePassword: Array(repeating: 1, count: 24),
                caseSensitivePassword: Array(repeating: 2, count: 24), accountName: "u", primaryDomain: "d",
                nativeOS: "o", nativeLanMan: "l")).encodePacket(header: rq(.sessionSetupAndX)))
            seeds.append(try TreeConnectAndXResponse(optionalSupport: 1, service: "A:", nativeFileSystem: "NTFS")
                .encodePacket(header: rs(.treeConnectAndX)))
            var create = NTCreateAndXResponse(fid: 1, createDisposition: 1, creationTime: 1, lastAccessTime: 2, lastWriteTime: 3,
                                              changeTime: 4, extFileAttributes: 0x80, allocationSize: 0, endOfFile: 0)
            create.extended = .init(volumeGUID: Array(0..<16), fileId: 7, maximalAccessRights: 1, guestMaximalAccessRights: 2)
            seeds.append(try create.encodePacket(header: rs(.ntCreateAndX)))
            seeds.append(try ReadAndXRequest(fid: 1, offset: 5, maxCountOfBytesToReturn: 9, minCountOfBytesToReturn: 9,
                                             hasOffsetHigh: false).encodePacket(header: rq(.readAndX)))
            seeds.append(try ReadAndXResponse(data: Array(repeating: 0x5A, count: 3000)[...]).encodePacket(header: rs(.readAndX)))
            seeds.append(try LogoffAndXRequest().encodePacket(header: rq(.logoffAndX)))
            seeds.append(try LogoffAndXResponse().encodePacket(header: rs(.logoffAndX)))
            seeds.append(try EchoRequest(echoCount: 2, data: [1, 2, 3]).encodePacket(header: rq(.echo)))
            seeds.append(try EchoResponse(sequenceNumber: 1, data: [1, 2, 3]).encodePacket(header: rs(.echo)))
            seeds.append(try TreeDisconnectResponse().encodePacket(header: rs(.treeDisconnect)))
            seeds.append(try Trans2QueryPathInformationRequest(informationLevel: .queryFileBasicInfo, fileName: #"\f"#)
                .request(unicode: unicode).encodePacket(header: rq(.transaction2)))
            seeds.append(try Trans2Response(totalParameterCount: 2, totalDataCount: 5, setup: [1], parameters: [0, 0],
                                            data: [1, 2, 3, 4, 5]).encodePacket(header: rs(.transaction2)))
            seeds.append(try AndXChainTests.chained(gap: [0, 0]))
        }
        return seeds
    }

    /// Byte positions of length, count and offset fields in a valid message, from its spans.
    static func lengthFields(_ packet: [UInt8]) -> [Range<Int>] {
        let spans = SMBMessage.annotate(packet).spans
        return spans.filter { s in
            ["Count", "Offset", "Length", "WordCount", "Size"].contains { s.name.hasSuffix($0) || s.name.contains($0 + "High") }
                && s.range.count <= 4
        }.map(\.range)
    }

    static func mutate(_ packet: [UInt8], fields: [Range<Int>], rng: inout SplitMix64) -> [UInt8] {
        var p = packet
        let rounds = 1 + rng.below(3) / 2  // mostly one mutation, sometimes two
        for _ in 0..<rounds {
            switch rng.below(7) {
            case 0, 1:  // flip 1–3 bits
                for _ in 0...rng.below(3) where !p.isEmpty {
                    p[rng.below(p.count)] ^= 1 << UInt8(rng.below(8))
                }
            case 2:  // truncate
                p = Array(p.prefix(rng.below(p.count + 1)))
            case 3, 4:  // overwrite a length/offset field with an interesting value
                guard let field = fields.isEmpty ? nil : fields[rng.below(fields.count)], field.upperBound <= p.count else {
                    continue
                }
                let interesting: [Int] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0xFFFE, p.count, p.count - 1, p.count + 1,
                                          field.lowerBound, field.upperBound, Int(rng.next() & 0xFFFF), Int(rng.next() & 0xFFFF_FFFF)]
                let v = interesting[rng.below(interesting.count)]
                for (k, i) in field.enumerated() { p[i] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            case 5:  // insert bytes
                let at = rng.below(p.count + 1)
                p.insert(contentsOf: (0...rng.below(4)).map { _ in rng.byte() }, at: at)
            default:  // delete or overwrite bytes
                guard !p.isEmpty else { continue }
                let at = rng.below(p.count)
                if rng.below(2) == 0 {
                    p.removeSubrange(at..<min(p.count, at + 1 + rng.below(4)))
                } else {
                    p[at] = rng.byte()
                }
            }
        }
        return p
    }

    /// The typed decoder for (command, direction), as the client or server would call it.
    static func typedDecode(_ packet: [UInt8], command: SMBCommand, response: Bool) throws {
        switch (command, response) {
        case (.negotiate, false): _ = try NegotiateRequest.decodePacket(packet)
        case (.negotiate, true): _ = try NegotiateResponse.decodeReply(packet)
        case (.sessionSetupAndX, false): _ = try SessionSetupAndXRequest.decodePacket(packet)
        case (.sessionSetupAndX, true): _ = try SessionSetupAndXResponse.decodeReply(packet)
        case (.treeConnectAndX, false): _ = try TreeConnectAndXRequest.decodePacket(packet)
        case (.treeConnectAndX, true): _ = try TreeConnectAndXResponse.decodeReply(packet)
        case (.ntCreateAndX, false): _ = try NTCreateAndXRequest.decodePacket(packet)
        case (.ntCreateAndX, true): _ = try NTCreateAndXResponse.decodeReply(packet)
        case (.readAndX, false): _ = try ReadAndXRequest.decodePacket(packet, recordsSpans: false)
        case (.readAndX, true):
            _ = try ReadAndXResponse.decodeReply(packet, recordsSpans: false)
            _ = try ReadAndXResponse.locateData(fixedPart: Array(packet.prefix(ReadAndXResponse.fixedPartSize)),
                                                messageLength: packet.count)
        case (.close, false): _ = try CloseRequest.decodePacket(packet)
        case (.close, true): _ = try CloseResponse.decodeReply(packet)
        case (.treeDisconnect, false): _ = try TreeDisconnectRequest.decodePacket(packet)
        case (.treeDisconnect, true): _ = try TreeDisconnectResponse.decodeReply(packet)
        case (.logoffAndX, false): _ = try LogoffAndXRequest.decodePacket(packet)
        case (.logoffAndX, true): _ = try LogoffAndXResponse.decodeReply(packet)
        case (.echo, false): _ = try EchoRequest.decodePacket(packet)
        case (.echo, true): _ = try EchoResponse.decodeReply(packet)
        case (.transaction2, false): _ = try Trans2Request.decodePacket(packet)
        case (.transaction2, true):
            let info = Trans2RequestInfo(subcommand: .queryFileInformation, informationLevel: .queryFileAllInfo)
            _ = try Trans2Response.decodeReply(packet, trans2Request: info)
        default: _ = try SMBMessageLayout.parse(packet)
        }
    }

    struct Tally { var mutants = 0, decoded = 0, exact = 0, typedDecoded = 0 }

    @Test func corruptedMessagesNeverTrap() throws {
        var rng = SplitMix64(seed: 0x5EED_CAFE_F00D_0001)
        var tally = Tally()
        let seeds = try Self.seeds()
        let perSeed = 100_000 / seeds.count + 1
        for seed in seeds {
            let header = try SMBHeader.peek(seed)
            let fields = Self.lengthFields(seed)
            for i in 0..<perSeed {
                let mutant = Self.mutate(seed, fields: fields, rng: &rng)
                tally.mutants += 1
                do {
                    try Self.typedDecode(mutant, command: header.command, response: header.isResponse)
                    tally.typedDecoded += 1
                } catch is WireError {
                } catch {
                    Issue.record("typed decoder threw a non-WireError \(error) on \(Hex.encode(mutant))")
                }
                do {
                    let decoded = try SMBMessage.decode(mutant, recordsSpans: i % 8 == 0).value
                    tally.decoded += 1
                    // Whatever decodes must encode, and encoding must reach a fixpoint at once.
                    let once = try decoded.encode()
                    if once == mutant { tally.exact += 1 }
                    let again = try SMBMessage.decode(once, recordsSpans: false).value
                    #expect(again == decoded, "not a fixpoint: \(Hex.encode(mutant))")
                    #expect(try again.encode() == once)
                } catch is WireError {
                } catch {
                    Issue.record("SMBMessage.decode threw a non-WireError \(error) on \(Hex.encode(mutant))")
                }
                if i % 16 == 0 {
                    let a = SMBMessage.annotate(mutant)
                    for s in a.spans where s.range.lowerBound < 0 || s.range.upperBound > mutant.count {
                        Issue.record("span outside the packet: \(s)")
                    }
                }
            }
        }
        #expect(tally.mutants >= 100_000)
        // The mutations must actually reach the decoders' success paths, not only their errors.
        #expect(tally.decoded > tally.mutants / 10)
        #expect(tally.exact > tally.decoded * 9 / 10)
        print("mutation tally: \(tally)")
    }

    @Test func corruptedStreamsNeverTrapTheFrameDecoder() throws {
        var rng = SplitMix64(seed: 0x0BAD_5EED)
        var stream: [UInt8] = []
        for f in Fixtures.all.prefix(20) { stream += try NBSSFrame.encode(f.bytes) }
        stream += [0x85, 0, 0, 0]
        var messages = 0, errors = 0
        for _ in 0..<5_000 {
            var s = stream
            for _ in 0...rng.below(4) { s[rng.below(s.count)] = rng.byte() }
            var decoder = NBSSDecoder(maxMessageLength: 1 << (10 + rng.below(10)))
            var at = 0
            do {
                while at < s.count {
                    let n = min(1 + rng.below(300), s.count - at)
                    decoder.feed(s[at..<(at + n)])
                    at += n
                    while let m = try decoder.next() {
                        messages += 1
                        _ = SMBMessage.annotate(m)
                    }
                }
            } catch is WireError {
                errors += 1
            }
        }
        #expect(messages > 10_000 && errors > 100)
    }
}
