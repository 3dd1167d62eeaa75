/// One command block decoded as the typed form this codec knows for it.
public enum SMBBody: Equatable, Sendable {
    case negotiateRequest(NegotiateRequest)
    case negotiateResponse(NegotiateResponse)
    case sessionSetupRequest(SessionSetupAndXRequest)
    case sessionSetupResponse(SessionSetupAndXResponse)
    case treeConnectRequest(TreeConnectAndXRequest)
    case treeConnectResponse(TreeConnectAndXResponse)
    case ntCreateRequest(NTCreateAndXRequest)
    case ntCreateResponse(NTCreateAndXResponse)
    case readRequest(ReadAndXRequest)
    case readResponse(ReadAndXResponse)
    case closeRequest(CloseRequest)
    case closeResponse(CloseResponse)
    case treeDisconnectRequest(TreeDisconnectRequest)
    case treeDisconnectResponse(TreeDisconnectResponse)
    case logoffRequest(LogoffAndXRequest)
    case logoffResponse(LogoffAndXResponse)
    case echoRequest(EchoRequest)
    case echoResponse(EchoResponse)
    case trans2Request(Trans2Request)
    case trans2Response(Trans2Response)
    /// WordCount 0, ByteCount 0, status in the header.
    case error(SMBErrorResponse)
    /// A command this codec has no typed form for.
    case raw(SMBRawBlock)

    /// The value to hand to an encoder.
    public var encodable: any SMBEncodableBlock {
        switch self {
        case let .negotiateRequest(v): return v
        case let .negotiateResponse(v): return v
        case let .sessionSetupRequest(v): return v
        case let .sessionSetupResponse(v): return v
        case let .treeConnectRequest(v): return v
        case let .treeConnectResponse(v): return v
        case let .ntCreateRequest(v): return v
        case let .ntCreateResponse(v): return v
        case let .readRequest(v): return v
        case let .readResponse(v): return v
        case let .closeRequest(v): return v
        case let .closeResponse(v): return v
        case let .treeDisconnectRequest(v): return v
        case let .treeDisconnectResponse(v): return v
        case let .logoffRequest(v): return v
        case let .logoffResponse(v): return v
        case let .echoRequest(v): return v
        case let .echoResponse(v): return v
        case let .trans2Request(v): return v
        case let .trans2Response(v): return v
        case let .error(v): return v
        case let .raw(v): return v
        }
    }

    public var command: SMBCommand { encodable.blockCommand }

    /// A few words on what this block is, for one-line summaries.
    public var summary: String {
        switch self {
        case let .negotiateRequest(v): return "dialects " + v.dialects.map { "\"\($0)\"" }.joined(separator: ", ")
        case let .negotiateResponse(v):
            switch v {
            case let .dialectIndexOnly(i): return i == 0xFFFF ? "no common dialect" : "dialect #\(i)"
            case let .ntLM012(r):
                switch r.security {
                case .challenge: return "NT LM 0.12, challenge/response"
                case .extended: return "NT LM 0.12, extended security"
                }
            }
        case let .sessionSetupRequest(v):
            switch v {
            case let .oldStyle(s): return "old-style, account \"\(s.accountName ?? "")\", domain \"\(s.primaryDomain ?? "")\""
            case let .extended(s): return "extended security, \(SecurityBlobKind.describe(s.securityBlob))"
            }
        case let .sessionSetupResponse(v):
            switch v {
            case let .oldStyle(s): return "old-style, action \(SessionSetupAndXResponse.actionMeaning(s.action))"
            case let .extended(s): return "extended security, \(SecurityBlobKind.describe(s.securityBlob))"
            }
        case let .treeConnectRequest(v): return "\(v.path) service \(v.service)"
        case let .treeConnectResponse(v): return "service \(v.service ?? "?"), file system \(v.nativeFileSystem ?? "?")"
        case let .ntCreateRequest(v): return "\"\(v.fileName)\""
        case let .ntCreateResponse(v): return "FID 0x\(hex(UInt64(v.fid), width: 4)), size \(v.endOfFile)"
        case let .readRequest(v): return "FID 0x\(hex(UInt64(v.fid), width: 4)) offset \(v.offset) count \(v.maxCount)"
        case let .readResponse(v): return "\(v.data.count) bytes"
        case let .closeRequest(v): return "FID 0x\(hex(UInt64(v.fid), width: 4))"
        case .closeResponse, .treeDisconnectRequest, .treeDisconnectResponse, .logoffRequest, .logoffResponse: return ""
        case let .echoRequest(v): return "count \(v.echoCount), \(v.data.count) bytes"
        case let .echoResponse(v): return "sequence \(v.sequenceNumber), \(v.data.count) bytes"
        case let .trans2Request(v): return v.subcommand?.description ?? "no setup words"
        case let .trans2Response(v): return "\(v.parameters.count) parameter bytes, \(v.data.count) data bytes"
        case .error: return "error"
        case let .raw(v): return "\(v.wordCount) words, \(v.byteCount) bytes (not decoded)"
        }
    }
}

/// A decoded block and the bytes that separated it from the previous one.
public struct SMBDecodedBlock: Equatable, Sendable {
    public var body: SMBBody
    /// Bytes between the end of the previous block and this one (empty for the first).
    public var gapBefore: [UInt8]

    public init(body: SMBBody, gapBefore: [UInt8] = []) {
        self.body = body
        self.gapBefore = gapBefore
    }
}

/// A whole SMB1 message: header, every block of its AndX chain, and any bytes after them.
public struct SMBDecodedMessage: Equatable, Sendable {
    public var header: SMBHeader
    public var blocks: [SMBDecodedBlock]
    /// Bytes after the last block.
    public var trailing: [UInt8]

    public init(header: SMBHeader, blocks: [SMBDecodedBlock], trailing: [UInt8] = []) {
        self.header = header
        self.blocks = blocks
        self.trailing = trailing
    }

    /// Re-encodes the message; a decoded message encodes to the bytes it came from.
    public func encode() throws -> [UInt8] {
        var e = try SMBPacketEncoder(header: header)
        for block in blocks {
            try e.append(block.body.encodable, gapBefore: block.gapBefore)
        }
        e.append(trailing)
        return e.bytes
    }

    /// `"SESSION_SETUP_ANDX response (STATUS_MORE_PROCESSING_REQUIRED): extended security, …"`.
    public var title: String {
        let direction = header.isResponse ? "response" : "request"
        let status = header.isResponse ? " (\(header.status.name))" : ""
        let parts = blocks.map { b -> String in
            let s = b.body.summary
            return s.isEmpty ? b.body.command.name : "\(b.body.command.name): \(s)"
        }
        return "\(header.command.name) \(direction)\(status) " + parts.joined(separator: " + ")
    }
}

/// What a lenient decode managed: the message if it decoded, otherwise where it failed.
public struct SMBMessageSummary: Sendable {
    public var message: SMBDecodedMessage?
    /// One line for a trace: command, direction, status and the first block's gist.
    public var title: String
    /// Why the strict decode failed (the spans then cover what could be read).
    public var problem: WireError?
}

/// Entry points for decoding any SMB1 message by dispatching on command and direction.
public enum SMBMessage {
    /// Decodes every block of `packet` with its typed decoder; throws on any malformed block.
    ///
    /// - Parameter trans2Request: for a TRANS2 response, what the request asked for, so its
    ///   data can be annotated as the requested information level.
    public static func decode(_ packet: [UInt8], trans2Request: Trans2RequestInfo? = nil,
                              recordsSpans: Bool = true) throws -> Annotated<SMBDecodedMessage> {
        var r = WireReader(packet, recordsSpans: recordsSpans)
        let header = try SMBHeader.decode(&r)
        let layout = try SMBMessageLayout.parse(packet)
        let context = SMBDecodeContext(header: header, recordsSpans: recordsSpans, trans2Request: trans2Request)
        var spans = r.spans
        var blocks: [SMBDecodedBlock] = []
        var end = SMBHeader.size
        for block in layout.blocks {
            guard block.offset >= end else { throw WireError.andXLoop(offset: block.offset) }
            let gap = Array(packet[end..<block.offset])
            if !gap.isEmpty && recordsSpans {
                spans.append(FieldSpan(range: end..<block.offset, name: "AndXGap", value: summarize(gap),
                                       meaning: "bytes between chained commands"))
            }
            let (body, bodySpans, bodyEnd) = try decodeBlock(block, in: packet, context: context)
            spans += bodySpans
            blocks.append(SMBDecodedBlock(body: body, gapBefore: gap))
            end = bodyEnd
        }
        let trailing = Array(packet[min(end, packet.count)...])
        if !trailing.isEmpty && recordsSpans {
            spans.append(FieldSpan(range: end..<packet.count, name: "Trailing", value: summarize(trailing),
                                   meaning: "bytes after the last command"))
        }
        return Annotated(value: SMBDecodedMessage(header: header, blocks: blocks, trailing: trailing), spans: spans)
    }

    /// Decodes what it can and never throws: for renderers that must show every packet.
    /// A block whose typed decode fails is shown raw, and the failure is reported.
    public static func annotate(_ packet: [UInt8], trans2Request: Trans2RequestInfo? = nil) -> Annotated<SMBMessageSummary> {
        do {
            let decoded = try decode(packet, trans2Request: trans2Request)
            let summary = SMBMessageSummary(message: decoded.value, title: decoded.value.title, problem: nil)
            return Annotated(value: summary, spans: decoded.spans)
        } catch {
            let problem = error as? WireError ?? .unsupported("\(error)")
            var r = WireReader(packet)
            guard let header = try? SMBHeader.decode(&r) else {
                let spans = r.spans + Trans2Annotation.rawSpan("Undecoded", r.offset..<packet.count, packet)
                return Annotated(value: SMBMessageSummary(message: nil, title: "not an SMB1 message: \(problem)",
                                                          problem: problem), spans: spans)
            }
            var spans = r.spans
            if let layout = try? SMBMessageLayout.parse(packet) {
                for block in layout.blocks { spans += SMBRawBlock.spans(block, in: packet) }
            } else {
                spans += Trans2Annotation.rawSpan("Undecoded", SMBHeader.size..<packet.count, packet)
            }
            let direction = header.isResponse ? "response" : "request"
            let title = "\(header.command.name) \(direction) (malformed: \(problem))"
            return Annotated(value: SMBMessageSummary(message: nil, title: title, problem: problem), spans: spans)
        }
    }

    /// Decodes one block by command and direction; returns the body, its spans and its end.
    static func decodeBlock(_ block: SMBBlock, in packet: [UInt8],
                            context: SMBDecodeContext) throws -> (SMBBody, [FieldSpan], Int) {
        let header = context.header
        if header.isResponse && header.status.rawValue != 0 && SMBErrorResponse.matches(block) {
            let v = try SMBErrorResponse.decode(block, in: packet, context: context)
            return (.error(v.value), v.spans, block.endOffset)
        }
        func typed<B: SMBMessageBody>(_ type: B.Type, _ wrap: (B) -> SMBBody) throws -> (SMBBody, [FieldSpan], Int) {
            let v = try B.decode(block, in: packet, context: context)
            return (wrap(v.value), v.spans, v.value.endOffset(of: block))
        }
        switch (block.command, header.isResponse) {
        case (.negotiate, false): return try typed(NegotiateRequest.self, SMBBody.negotiateRequest)
        case (.negotiate, true): return try typed(NegotiateResponse.self, SMBBody.negotiateResponse)
        case (.sessionSetupAndX, false): return try typed(SessionSetupAndXRequest.self, SMBBody.sessionSetupRequest)
        case (.sessionSetupAndX, true): return try typed(SessionSetupAndXResponse.self, SMBBody.sessionSetupResponse)
        case (.treeConnectAndX, false): return try typed(TreeConnectAndXRequest.self, SMBBody.treeConnectRequest)
        case (.treeConnectAndX, true): return try typed(TreeConnectAndXResponse.self, SMBBody.treeConnectResponse)
        case (.ntCreateAndX, false): return try typed(NTCreateAndXRequest.self, SMBBody.ntCreateRequest)
        case (.ntCreateAndX, true): return try typed(NTCreateAndXResponse.self, SMBBody.ntCreateResponse)
        case (.readAndX, false): return try typed(ReadAndXRequest.self, SMBBody.readRequest)
        case (.readAndX, true): return try typed(ReadAndXResponse.self, SMBBody.readResponse)
        case (.close, false): return try typed(CloseRequest.self, SMBBody.closeRequest)
        case (.close, true): return try typed(CloseResponse.self, SMBBody.closeResponse)
        case (.treeDisconnect, false): return try typed(TreeDisconnectRequest.self, SMBBody.treeDisconnectRequest)
        case (.treeDisconnect, true): return try typed(TreeDisconnectResponse.self, SMBBody.treeDisconnectResponse)
        case (.logoffAndX, false): return try typed(LogoffAndXRequest.self, SMBBody.logoffRequest)
        case (.logoffAndX, true): return try typed(LogoffAndXResponse.self, SMBBody.logoffResponse)
        case (.echo, false): return try typed(EchoRequest.self, SMBBody.echoRequest)
        case (.echo, true): return try typed(EchoResponse.self, SMBBody.echoResponse)
        case (.transaction2, false): return try typed(Trans2Request.self, SMBBody.trans2Request)
        case (.transaction2, true): return try typed(Trans2Response.self, SMBBody.trans2Response)
        default:
            let spans = context.recordsSpans ? SMBRawBlock.spans(block, in: packet) : []
            return (.raw(SMBRawBlock(block, in: packet)), spans, block.endOffset)
        }
    }
}
