import FuzzDriver
import SMBWire

/// SMB1 messages, whole or as one command's typed request and reply.
enum MessageTargets {
    /// The header's Command byte and its REPLY flag (Flags bit 7).
    static let commandOffset = 4, flagsOffset = 9, replyFlag: UInt8 = 0x80

    /// What a TRANS2 reply answers, taken from the reply's MID (bytes 30–31), which nothing else
    /// in decoding reads: so the fuzzer tries every subcommand and information level on the data.
    static func trans2Request(of packet: [UInt8]) -> Trans2RequestInfo? {
        guard packet.count >= SMBHeader.size else { return nil }
        let subcommands: [Trans2Subcommand] = [.queryFileInformation, .queryPathInformation, .findFirst2,
                                               .findNext2, .queryFSInformation, .getDFSReferral]
        let levels: [QueryInformationLevel] = [
            .infoStandard, .infoQueryEASize, .infoQueryEAsFromList, .infoQueryAllEAs, .infoIsNameValid,
            .queryFileBasicInfo, .queryFileStandardInfo, .queryFileEAInfo, .queryFileNameInfo, .queryFileAllInfo,
            .queryFileAltNameInfo, .queryFileStreamInfo, .queryFileCompressionInfo, .queryFileUnixBasic,
            .queryFileUnixLink, .fileBasicInformation, .fileStandardInformation, .fileInternalInformation,
            .fileEaInformation, .fileNetworkOpenInformation, .fileAttributeTagInformation,
        ]
        let a = Int(packet[30]), b = Int(packet[31])
        guard a % 8 < subcommands.count else { return nil }
        let level = b < levels.count ? levels[b] : (b == 255 ? nil : QueryInformationLevel(rawValue: UInt16(b) << 4))
        return Trans2RequestInfo(subcommand: subcommands[a % 8], informationLevel: level)
    }

    /// `SMBMessage.decode`: a decoded message re-encodes, and its encoding decodes to the same
    /// message (a fixpoint at once); `annotate` never throws and keeps its spans in the packet.
    static func anyMessage(_ packet: [UInt8]) {
        let info = trans2Request(of: packet)
        Oracle.decoding("SMBMessage.decode", packet) {
            let decoded = try SMBMessage.decode(packet, trans2Request: info)
            Oracle.spansInside(decoded.spans, count: packet.count, "SMBMessage.decode")
            fixpoint(decoded.value, packet)
        }
        Oracle.decoding("SMBMessage.decode without spans", packet) {
            _ = try SMBMessage.decode(packet, trans2Request: info, recordsSpans: false)
        }
        let annotated = SMBMessage.annotate(packet, trans2Request: info)
        Oracle.spansInside(annotated.spans, count: packet.count, "SMBMessage.annotate")
        _ = annotated.value.title
        Oracle.decoding("SMBMessageLayout.parse", packet) { _ = try SMBMessageLayout.parse(packet) }
    }

    static func fixpoint(_ decoded: SMBDecodedMessage, _ packet: [UInt8]) {
        do {
            let once = try decoded.encode()
            let again = try SMBMessage.decode(once, recordsSpans: false).value
            FuzzCheck.require(again == decoded, "not a fixpoint: \(Hex.encode(packet))")
            let twice = try again.encode()
            FuzzCheck.require(twice == once, "second encoding differs: \(Hex.encode(packet))")
            _ = decoded.title
        } catch {
            FuzzCheck.fail("a decoded message does not re-encode (\(error)): \(Hex.encode(packet))")
        }
    }

    /// One command: the input with its Command byte forced to `Request`'s, decoded as the
    /// request (REPLY clear) or the reply (REPLY set) the way the server or the client does,
    /// then as any message.
    static func command<Request: SMBMessageBody, Reply: SMBMessageBody>(
        _ request: Request.Type, _ reply: Reply.Type
    ) -> @Sendable ([UInt8]) -> Void {
        { input in
            var packet = input
            if packet.count > commandOffset { packet[commandOffset] = Request.command.rawValue }
            typed(packet, Request.self, Reply.self)
            anyMessage(packet)
        }
    }

    static func typed<Request: SMBMessageBody, Reply: SMBMessageBody>(
        _ packet: [UInt8], _: Request.Type, _: Reply.Type, trans2Request: Trans2RequestInfo? = nil
    ) {
        let isReply = packet.count > flagsOffset && packet[flagsOffset] & replyFlag != 0
        if isReply {
            Oracle.decoding("\(Reply.self).decodeReply", packet) {
                let reply = try Reply.decodeReply(packet, trans2Request: trans2Request)
                Oracle.spansInside(reply.spans, count: packet.count, "\(Reply.self).decodeReply")
                if case let .body(p) = reply.value { typedFixpoint(p, packet) }
            }
            Oracle.decoding("\(Reply.self).decodeReply without spans", packet) {
                _ = try Reply.decodeReply(packet, recordsSpans: false, trans2Request: trans2Request)
            }
        } else {
            Oracle.decoding("\(Request.self).decodePacket", packet) {
                let p = try Request.decodePacket(packet)
                Oracle.spansInside(p.spans, count: packet.count, "\(Request.self).decodePacket")
                typedFixpoint(p.value, packet)
            }
        }
    }

    /// A typed packet re-encodes (its first command alone) and decodes back to itself.
    static func typedFixpoint<Body: SMBMessageBody>(_ p: SMBPacket<Body>, _ packet: [UInt8]) {
        do {
            let once = try p.encode()
            let again = try SMBPacket<Body>.decodeTyped(once)
            FuzzCheck.require(again == p, "\(Body.self): not a fixpoint: \(Hex.encode(packet))")
        } catch {
            FuzzCheck.fail("\(Body.self): a decoded packet does not re-encode (\(error)): \(Hex.encode(packet))")
        }
    }

    /// READ_ANDX, plus what cifsd does with a reply before the data arrives: it reads the fixed
    /// part and locates the data from it (DataOffset, DataLength) against the frame's length.
    static func read(_ input: [UInt8]) {
        var packet = input
        if packet.count > commandOffset { packet[commandOffset] = SMBCommand.readAndX.rawValue }
        typed(packet, ReadAndXRequest.self, ReadAndXResponse.self)
        if packet.count > flagsOffset && packet[flagsOffset] & replyFlag != 0 {
            Oracle.decoding("ReadAndXResponse.locateData", packet) {
                let located = try ReadAndXResponse.locateData(
                    fixedPart: Array(packet.prefix(ReadAndXResponse.fixedPartSize)), messageLength: packet.count)
                FuzzCheck.require(located.dataRange.lowerBound >= 0 && located.dataRange.upperBound <= packet.count,
                                  "data range \(located.dataRange) outside a \(packet.count)-byte message")
            }
        }
        anyMessage(packet)
    }

    /// TRANSACTION2: the request, its subcommand's parameters as the server reads them, the
    /// reply with the request info from the MID, and the reply's data as every level.
    static func trans2(_ input: [UInt8]) {
        var packet = input
        if packet.count > commandOffset { packet[commandOffset] = SMBCommand.transaction2.rawValue }
        let info = trans2Request(of: packet)
        typed(packet, Trans2Request.self, Trans2Response.self, trans2Request: info)
        if let request = try? Trans2Request.decodePacket(packet, recordsSpans: false).value.body {
            let unicode = packet.count > 11 && packet[11] & 0x80 != 0
            _ = request.info(unicode: unicode)
            let parameters = request.parameters
            Oracle.decoding("Trans2QueryFileInformationRequest", parameters) {
                _ = try Trans2QueryFileInformationRequest(parameters: parameters)
            }
            Oracle.decoding("Trans2QueryPathInformationRequest", parameters) {
                _ = try Trans2QueryPathInformationRequest(parameters: parameters, unicode: unicode)
            }
            Oracle.decoding("Trans2GetDFSReferralRequest", parameters) {
                _ = try Trans2GetDFSReferralRequest(parameters: parameters)
            }
        }
        if let reply = try? Trans2Response.decodePacket(packet, recordsSpans: false).value.body,
           let level = info?.informationLevel {
            for unicode in [true, false] {
                Oracle.decoding("Trans2Response.queryInformation(\(level))", reply.data) {
                    _ = try reply.queryInformation(level: level, unicode: unicode)
                }
            }
        }
        anyMessage(packet)
    }
}

extension SMBPacket {
    /// Decodes a packet of this body type from its encoding (request or reply form).
    static func decodeTyped(_ bytes: [UInt8]) throws -> SMBPacket<Body> {
        try Body.decodePacket(bytes, recordsSpans: false).value
    }
}
