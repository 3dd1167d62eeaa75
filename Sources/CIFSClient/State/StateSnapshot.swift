import KernelRuntime
import SMBWire

/// A flat, ordered read of one mount's state: what a stepper prints, watches and tests
/// conditions on, under the same dotted paths the trace's state diffs use (`server.sequenceNumber`,
/// `mid[12].state`, `page[3].locked`, `ra.async_size`, …).
///
/// It only reads. Everything guarded by the runtime lock is read inside one
/// ``KernelRuntime/withLock(_:)``; take a snapshot between steps (from the controller), where a
/// stepped runtime runs that body at once even if a parked thread holds the lock mid-update.
///
/// Entries come in a fixed order — server, session, tree, file, mids (oldest first), inode,
/// mapping, pages (ascending index), readahead, cifsiod, reads (`rdata[K]`, in allocation
/// order) — never in hash order, so two snapshots of one
/// state are equal and print the same.
public struct StateSnapshot: Sendable, Equatable {
    /// One value, typed so that a condition can compare it.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case integer(Int)
        case bool(Bool)
        case bytes([UInt8])
        /// An enum case name (`good`, `submitted`) or a string (a path, a user name).
        case text(String)
        /// The names of the set flags, in the flag type's own order.
        case flags([String])

        /// As a state diff renders the same value: integers decimal, `true`/`false`, bytes as
        /// lowercase hex, names as they are, flags joined by `|` (`-` for none).
        public var description: String {
            switch self {
            case let .integer(value): return StateChanges.render(value)
            case let .bool(value): return StateChanges.render(value)
            case let .bytes(value): return StateChanges.render(value)
            case let .text(value): return value
            case let .flags(names): return names.isEmpty ? "-" : names.joined(separator: "|")
            }
        }
    }

    /// What kind of value a path holds.
    public enum Kind: Sendable, Equatable {
        case integer
        case bool
        case bytes
        /// Text; `names` lists the allowed values when the field is an enum.
        case text(names: [String]?)
        /// A flag set and every flag name it can hold.
        case flags(names: [String])
    }

    /// One value at one path.
    public struct Entry: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var value: Value

        public init(path: String, value: Value) {
            self.path = path
            self.value = value
        }

        public var description: String { "\(path) = \(value)" }
    }

    /// A path a snapshot can hold; `[N]` stands for an index (`mid[N].state`, `page[N].flags`).
    public struct PathPattern: Sendable, Equatable {
        public var pattern: String
        public var kind: Kind
        /// One line for people.
        public var summary: String

        public init(_ pattern: String, _ kind: Kind, _ summary: String) {
            self.pattern = pattern
            self.kind = kind
            self.summary = summary
        }
    }

    /// The entries, in the order described on the type.
    public let entries: [Entry]

    /// Reads the state of `mount` (and of `file`, or else the tree's first open file).
    /// - Parameter prefix: keep only the paths that start with it (`"page"`, `"server.seq"`).
    public init(mount: CIFSMount, file: OpenFile? = nil, prefix: String? = nil) {
        var collector = Collector(wanted: prefix.map { .prefix($0) } ?? .all)
        StateSnapshot.collect(mount: mount, file: file, into: &collector)
        entries = collector.entries
    }

    /// The value at one exact path, or `nil` when nothing is there now (no such mid, page not
    /// cached, file not open yet, unknown path). Reads only the part of the state the path names.
    public static func value(at path: String, mount: CIFSMount, file: OpenFile? = nil) -> Value? {
        var collector = Collector(wanted: .path(path))
        collect(mount: mount, file: file, into: &collector)
        return collector.entries.first?.value
    }

    /// Every path a snapshot may hold.
    public static let patterns: [PathPattern] = {
        let tcpStatus = [TCPStatus.new, .good, .exiting, .needReconnect, .needNegotiate].map(\.rawValue)
        let sessionStatus = [SessionStatus.new, .good, .exiting].map(\.rawValue)
        let treeStatus = [TreeStatus.new, .good, .exiting].map(\.rawValue)
        let midStates = [MidState.allocated, .submitted, .responseReceived, .retryNeeded, .responseMalformed, .shutdown]
            .map(\.rawValue)
        let auth = SecurityType.allCases.map(\.rawValue)
        return [
            PathPattern("server.tcpStatus", .text(names: tcpStatus), "the connection's state (tcpStatus)"),
            PathPattern("server.dialect", .integer, "index of the dialect the server chose"),
            PathPattern("server.secMode", .flags(names: SMBSecurityMode.bitNames.map(\.1)),
                        "SecurityMode after the client's signing policy (sec_mode)"),
            PathPattern("server.capabilities", .flags(names: SMBCapabilities.bitNames.map(\.1)),
                        "the server's capabilities"),
            PathPattern("server.maxBuf", .integer, "the server's MaxBufferSize"),
            PathPattern("server.maxRW", .integer, "the server's MaxRawSize"),
            PathPattern("server.maxReq", .integer, "requests allowed in flight (maxReq)"),
            PathPattern("server.credits", .integer, "requests that may be sent now (credits)"),
            PathPattern("server.inFlight", .integer, "requests sent and not answered (in_flight)"),
            PathPattern("server.maxInFlight", .integer, "the most requests ever in flight"),
            PathPattern("server.cryptKey", .bytes, "the NEGOTIATE challenge (cryptkey)"),
            PathPattern("server.extendedSecurity", .bool, "the server negotiated extended security"),
            PathPattern("server.sequenceNumber", .integer, "the next signing sequence number"),
            PathPattern("server.sessionKey", .bytes, "the MAC key (session_key)"),
            PathPattern("server.sessionEstablished", .bool, "signing is seeded (session_estab)"),
            PathPattern("server.signaturesVerified", .integer, "replies whose signature verified"),
            PathPattern("server.signatureFailures", .integer, "replies whose signature failed"),
            PathPattern("server.currentMid", .integer, "the last MID handed out (CurrentMid)"),
            PathPattern("server.pendingMids", .text(names: nil),
                        "MIDs on pending_mid_q, oldest first (\"3,4\"; \"\(MidQueue.emptyMarker)\" when empty)"),
            PathPattern("server.processID", .integer, "the PID requests carry"),
            PathPattern("server.reconnectCount", .integer, "successful reconnects"),
            PathPattern("server.requestsSent", .integer, "requests sent"),
            PathPattern("server.unknownFrames", .integer, "frames for no pending mid"),
            PathPattern("server.malformedFrames", .integer, "frames refused as malformed"),
            PathPattern("ses.status", .text(names: sessionStatus), "the session's state"),
            PathPattern("ses.user", .text(names: nil), "the user name"),
            PathPattern("ses.domainName", .text(names: nil), "the domain, once given or learnt"),
            PathPattern("ses.auth", .text(names: auth), "the sec= mode"),
            PathPattern("ses.uid", .integer, "the UID the server assigned (Suid)"),
            PathPattern("ses.cryptKey", .bytes, "the challenge the responses are computed from"),
            PathPattern("ses.authKey", .bytes,
                        "key material that becomes the MAC key (auth_key); freed at the end of cifs_setup_session"),
            PathPattern("ses.needReconnect", .bool, "the session must be set up again"),
            PathPattern("ses.isGuest", .bool, "logged in as guest"),
            PathPattern("tcon.treeName", .text(names: nil), "\\\\host\\share"),
            PathPattern("tcon.tid", .integer, "the tree id"),
            PathPattern("tcon.tidStatus", .text(names: treeStatus), "the tree connection's state"),
            PathPattern("tcon.needReconnect", .bool, "the tree must be connected again"),
            PathPattern("tcon.numReads", .integer, "READ_ANDX requests sent (num_reads)"),
            PathPattern("tcon.bytesRead", .integer, "bytes read (bytes_read)"),
            PathPattern("file.path", .text(names: nil), "the open file's path in the share"),
            PathPattern("file.fid", .integer, "the server's file id (netfid)"),
            PathPattern("file.size", .integer, "end of file, as the server reported it"),
            PathPattern("file.allocationSize", .integer, "allocation size the server reported"),
            PathPattern("file.invalidHandle", .bool, "the handle died with the connection"),
            PathPattern("file.closed", .bool, "the file was closed"),
            PathPattern("file.reopenCount", .integer, "times the handle was reopened"),
            PathPattern("mid[N].command", .text(names: nil), "the request's command"),
            PathPattern("mid[N].state", .text(names: midStates), "where the request stands (mid_state)"),
            PathPattern("mid[N].sequenceNumber", .integer, "the sequence number the request was signed with"),
            PathPattern("mid[N].whenSent", .integer, "runtime clock when it was sent (when_sent)"),
            PathPattern("inode.i_size", .integer, "the file size the page cache reads up to"),
            PathPattern("mapping.nrpages", .integer, "pages in the page cache"),
            PathPattern("page[N].flags", .flags(names: PageFlags.allNames), "the page's PG_* flags"),
            PathPattern("page[N].locked", .bool, "PG_locked"),
            PathPattern("page[N].uptodate", .bool, "PG_uptodate"),
            PathPattern("page[N].readahead", .bool, "PG_readahead"),
            PathPattern("page[N].error", .bool, "PG_error"),
            PathPattern("ra.start", .integer, "first page of the readahead window"),
            PathPattern("ra.size", .integer, "pages in the window"),
            PathPattern("ra.async_size", .integer, "pages read asynchronously at the window's end"),
            PathPattern("ra.ra_pages", .integer, "the maximum window (ra_pages)"),
            PathPattern("ra.prev_pos", .integer, "where the last read stopped, in bytes"),
            PathPattern("cifsiod.pending", .integer, "work items queued on cifsiod_wq, not yet taken by its worker"),
        ] + readDataPatterns
    }()

    // MARK: - Reading

    private static func collect(mount: CIFSMount, file: OpenFile?, into c: inout Collector) {
        let server = mount.server
        let session = mount.session
        let tree = mount.tree
        mount.runtime.withLock {
            if c.wants(section: "server.") {
                c.add("server.tcpStatus", .text(server.tcpStatus.rawValue))
                c.add("server.dialect", .integer(Int(server.dialect)))
                c.add("server.secMode", .flags(server.secMode.names))
                c.add("server.capabilities", .flags(server.capabilities.names))
                c.add("server.maxBuf", .integer(Int(server.maxBuf)))
                c.add("server.maxRW", .integer(Int(server.maxRW)))
                c.add("server.maxReq", .integer(server.maxReq))
                c.add("server.credits", .integer(server.credits))
                c.add("server.inFlight", .integer(server.inFlight))
                c.add("server.maxInFlight", .integer(server.maxInFlight))
                c.add("server.cryptKey", .bytes(server.cryptKey))
                c.add("server.extendedSecurity", .bool(server.extendedSecurity))
                c.add("server.sequenceNumber", .integer(Int(server.sequenceNumber)))
                c.add("server.sessionKey", .bytes(server.sessionKey))
                c.add("server.sessionEstablished", .bool(server.sessionEstablished))
                c.add("server.signaturesVerified", .integer(server.signaturesVerified))
                c.add("server.signatureFailures", .integer(server.signatureFailures))
                c.add("server.currentMid", .integer(Int(server.currentMid)))
                c.add("server.pendingMids", .text(server.pendingMidQueue.description))
                c.add("server.processID", .integer(Int(server.processID)))
                c.add("server.reconnectCount", .integer(server.reconnectCount))
                c.add("server.requestsSent", .integer(server.requestsSent))
                c.add("server.unknownFrames", .integer(server.unknownFrames))
                c.add("server.malformedFrames", .integer(server.malformedFrames))
            }
            if c.wants(section: "ses.") {
                c.add("ses.status", .text(session.status.rawValue))
                c.add("ses.user", .text(session.user))
                if let domain = session.domainName { c.add("ses.domainName", .text(domain)) }
                c.add("ses.auth", .text(session.auth.rawValue))
                c.add("ses.uid", .integer(Int(session.uid)))
                c.add("ses.cryptKey", .bytes(session.cryptKey))
                c.add("ses.authKey", session.authKeyFreed ? .text("freed") : .bytes(session.authKey))
                c.add("ses.needReconnect", .bool(session.needReconnect))
                c.add("ses.isGuest", .bool(session.isGuest))
            }
            if c.wants(section: "tcon.") {
                c.add("tcon.treeName", .text(tree.treeName))
                c.add("tcon.tid", .integer(Int(tree.tid)))
                c.add("tcon.tidStatus", .text(tree.tidStatus.rawValue))
                c.add("tcon.needReconnect", .bool(tree.needReconnect))
                c.add("tcon.numReads", .integer(tree.numReads))
                c.add("tcon.bytesRead", .integer(Int(clamping: tree.bytesRead)))
            }
            let open = file ?? tree.openFiles.first
            if let open, c.wants(section: "file.") {
                c.add("file.path", .text(open.path))
                c.add("file.fid", .integer(Int(open.fid)))
                c.add("file.size", .integer(Int(clamping: open.size)))
                c.add("file.allocationSize", .integer(Int(clamping: open.allocationSize)))
                c.add("file.invalidHandle", .bool(open.invalidHandle))
                c.add("file.closed", .bool(open.closed))
                c.add("file.reopenCount", .integer(open.reopenCount))
            }
            if c.wants(section: "mid[") {
                // Every mid alive, from allocate_mid to DeleteMidQEntry (still there after
                // dequeue_mid took it off pending_mid_q), oldest first.
                let wantedMid = c.wantedIndex(section: "mid")
                for mid in server.allocatedMids where wantedMid == nil || Int(mid.mid) == wantedMid {
                    let root = "mid[\(mid.mid)]."
                    guard c.wants(section: root) else { continue }
                    c.add(root + "command", .text(mid.command.name))
                    c.add(root + "state", .text(mid.state.rawValue))
                    c.add(root + "sequenceNumber", .integer(Int(mid.sequenceNumber)))
                    c.add(root + "whenSent", .integer(Int(clamping: mid.whenSent)))
                }
            }
            if let mapping = open?.mapping {
                if c.wants(section: "inode.") { c.add("inode.i_size", .integer(Int(clamping: mapping.fileSize))) }
                if c.wants(section: "mapping.") { c.add("mapping.nrpages", .integer(mapping.nrpages)) }
                if c.wants(section: "page[") {
                    let indices = c.wantedIndex(section: "page").map { [$0] } ?? mapping.cachedPageIndices
                    for index in indices {
                        guard let flags = mapping.pageFlags(at: index) else { continue }
                        let root = "page[\(index)]."
                        guard c.wants(section: root) else { continue }
                        c.add(root + "flags", .flags(flags.names))
                        c.add(root + "locked", .bool(flags.contains(.locked)))
                        c.add(root + "uptodate", .bool(flags.contains(.uptodate)))
                        c.add(root + "readahead", .bool(flags.contains(.readahead)))
                        c.add(root + "error", .bool(flags.contains(.error)))
                    }
                }
            }
        }
        // file->f_ra is the reader's alone (the kernel does not lock it either); between steps
        // the reader is parked, so reading it here is safe.
        if let ra = (file ?? mount.runtime.withLock({ tree.openFiles.first }))?.readahead, c.wants(section: "ra.") {
            c.add("ra.start", .integer(ra.start))
            c.add("ra.size", .integer(ra.size))
            c.add("ra.async_size", .integer(ra.asyncSize))
            c.add("ra.ra_pages", .integer(ra.raPages))
            c.add("ra.prev_pos", .integer(Int(ra.prevPos)))
        }
        if c.wants(section: "cifsiod.") {
            c.add("cifsiod.pending", .integer(mount.runtime.withLock { mount.cifsiod.pendingCount }))
        }
        if c.wants(section: "rdata[") {
            collectReadData(mount.runtime.withLock { tree.tracedReads }, into: &c)
        }
    }

    /// Which entries a read keeps.
    enum Wanted {
        case all
        case prefix(String)
        case path(String)
    }

    /// Gathers entries, skipping sections the wanted paths cannot be in.
    struct Collector {
        let wanted: Wanted
        var entries: [Entry] = []

        /// Whether any path under `root` (`"server."`, `"page[3]."`, or an open-ended `"mid["`)
        /// can match.
        func wants(section root: String) -> Bool {
            switch wanted {
            case .all: return true
            case let .prefix(prefix): return root.hasPrefix(prefix) || prefix.hasPrefix(root)
            case let .path(path): return path.hasPrefix(root)
            }
        }

        /// The index in `name[N]…` when the wanted path or prefix names one.
        func wantedIndex(section name: String) -> Int? {
            let text: String
            switch wanted {
            case .all: return nil
            case let .prefix(prefix): text = prefix
            case let .path(path): text = path
            }
            guard text.hasPrefix(name + "["), let close = text.firstIndex(of: "]") else { return nil }
            return Int(text[text.index(text.startIndex, offsetBy: name.count + 1)..<close])
        }

        mutating func add(_ path: String, _ value: @autoclosure () -> Value) {
            switch wanted {
            case .all: break
            case let .prefix(prefix): guard path.hasPrefix(prefix) else { return }
            case let .path(wantedPath): guard path == wantedPath else { return }
            }
            entries.append(Entry(path: path, value: value()))
        }
    }
}

extension PageFlags {
    /// The flag names in the order ``names`` lists them.
    static let allNames = ["locked", "error", "uptodate", "readahead"]

    /// The names of the set flags (``description`` without the `-` for none).
    var names: [String] {
        zip([PageFlags.locked, .error, .uptodate, .readahead], PageFlags.allNames)
            .filter { contains($0.0) }
            .map(\.1)
    }
}
