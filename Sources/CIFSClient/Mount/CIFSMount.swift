import KernelRuntime
import SMBWire

/// A mounted share: the small façade `cifstep get` and the tests drive the kernel-shaped core
/// through.
///
/// Every method blocks the way the kernel's system calls do and must be called from a thread
/// of ``runtime`` (e.g. inside `runtime.runMain(name: "reader") { … }`): ``mount()`` spawns the
/// `cifsd` thread, and ``unmount()`` stops it, so `runMain` returns once the share is unmounted.
///
/// ```swift
/// let mount = CIFSMount(runtime: runtime, options: options) {
///     try TCPTransport.connect(host: "127.0.0.1", port: 445)
/// }
/// try runtime.runMain(name: "reader") {
///     try mount.mount()
///     let file = try mount.open("hello.txt")
///     try mount.read(file) { bytes in output.append(contentsOf: bytes) }
///     try mount.close(file)
///     try mount.unmount()
/// }
/// ```
///
/// ## Inspecting the state
/// Everything a state view shows is reachable from a mount and read under the runtime lock
/// (`runtime.withLock { … }`; under ``KernelRuntime/SteppedRuntime`` between steps):
/// ``server`` (`server.*`, with its ``ServerInfo/allocatedMids``: `mid[N].*`), ``session``
/// (`ses.*`), ``tree`` (`tcon.*`) and its ``TreeConnection/openFiles`` (`file.*`), each open
/// file's ``OpenFile/mapping`` (`page[N].*`, `mapping.nrpages`, `inode.i_size`, read by index)
/// and ``OpenFile/readahead`` (`ra.*`), and ``cifsiod`` (`cifsiod.pending`).
public final class CIFSMount: @unchecked Sendable {
    /// How often an operation is retried after -EAGAIN (the kernel retried without limit).
    public static let maxRetries = 5
    /// The kernel's read size with CAP_LARGE_READX and no UNIX extensions
    /// (`CIFS_DEFAULT_NON_POSIX_RSIZE`).
    public static let defaultRsize = 60 * 1024
    /// The largest read size accepted (the NBSS length field is 24 bits).
    public static let maxRsize = 0xFF_0000
    /// The page-cache read's default maximum readahead window: 256 pages = 1 MiB. (3.8's
    /// `cifs_mount` set `bdi.ra_pages = rsize / PAGE_CACHE_SIZE`: 15 pages with the default
    /// 61,440-byte rsize, so a large read's first window was 30 pages — `ondemand_readahead`
    /// merges the first async window into it — and two READ_ANDX were in flight; see
    /// ``FileReadaheadState/cifsMountPages(rsize:)``.) With the default 1 MiB reads the next window is
    /// always in flight while the reader copies out the current one, so smbd never waits for a
    /// request; measured against smbd 4.17 on two cores, larger windows (up to 4 MiB) read no
    /// faster and cost more CPU: their pages fall out of the CPU caches before the reader
    /// copies them out. With 60 KiB reads the same window keeps 17 to 34 READ_ANDX in flight.
    public static let defaultReadaheadPages = 256

    public let runtime: any KernelRuntime
    public let options: MountOptions
    /// The connection (the kernel's `TCP_Server_Info`).
    public let server: ServerInfo
    /// The session (the kernel's `cifs_ses`).
    public let session: Session
    /// The tree connection (the kernel's `cifs_tcon`).
    public let tree: TreeConnection
    /// Bytes per READ_ANDX, settled at mount time (the kernel's `cifs_negotiate_rsize`).
    public private(set) var rsize = CIFSMount.defaultRsize
    /// ``mount()`` completed and ``unmount()`` has not been called.
    public private(set) var isMounted = false
    /// The workqueue async read completions run on (the kernel's `cifsiod_wq`); its thread
    /// starts with the first page-cache read and stops when the connection is torn down.
    public let cifsiod: WorkQueue
    /// Counters of the page-cache read path.
    let readPathCounters = ReadPathCounters()

    /// - Parameters:
    ///   - connect: opens a new transport to the server; called at mount and by cifsd on every
    ///     reconnect.
    public init(runtime: any KernelRuntime, options: MountOptions,
                connect: @escaping @Sendable () throws -> any Transport) {
        self.runtime = runtime
        self.options = options
        let requestedRsize = min(max(options.rsize ?? CIFSMount.defaultRsize, 1), CIFSMount.maxRsize)
        server = ServerInfo(
            runtime: runtime, hostname: options.host, reconnectAttempts: max(1, options.reconnectAttempts),
            reconnectDelay: options.reconnectDelay, maxFrameLength: max(requestedRsize, 64 * 1024) + 4096,
            responseTimeout: options.responseTimeout, connect: connect)
        session = Session(
            server: server, user: options.user, password: options.password, domain: options.domain,
            auth: options.auth, sign: options.sign, passwordEncoding: options.passwordEncoding,
            nativeOS: options.nativeOS, nativeLanMan: options.nativeLanMan)
        tree = TreeConnection(session: session, treeName: options.unc)
        cifsiod = WorkQueue(name: "cifsiod", runtime: runtime)
    }

    /// Connects, starts cifsd, negotiates, sets up the session and connects the tree. On
    /// failure the connection is torn down (cifsd exits) before the error is thrown. Mirrors
    /// the kernel's `cifs_mount` (`cifs_get_tcp_session`, `cifs_get_smb_ses`, `cifs_get_tcon`).
    public func mount() throws {
        guard !isMounted else { return }
        try runtime.traced("cifs_mount",
            "mounting \(options.unc) as \(options.user), sec=\(options.auth)\(options.sign ? ", sign" : "")"
        ) { call in
            do {
                try getTCPSession()
                try runtime.withMutex(session.sessionMutex) {
                    try session.negotiateProtocol()
                    try session.setupSession()
                }
                try session.treeConnect(tree)
                rsize = negotiateRsize()
                isMounted = true
            } catch let error as RuntimeAbort {
                throw error
            } catch {
                try? shutdownConnection()
                throw error
            }
            call.returning("mounted \(options.unc), rsize \(rsize)")
        }
    }

    /// Opens `path` (relative to the share, `/` or `\` separated) for reading and queries its
    /// size. Mirrors the kernel's `cifs_open` followed by the inode refresh (`CIFSSMBQFileInfo`).
    public func open(_ path: String) throws -> OpenFile {
        try requireMounted()
        let smbPath = try Session.smbPath(path)
        var attempts = 0
        while true {
            attempts += 1
            do {
                let result = try session.openFile(smbPath, tree: tree)
                let file = OpenFile(tree: tree, path: smbPath, fid: result.fid, size: result.endOfFile)
                runtime.withLock {
                    file.allocationSize = result.allocation
                    tree.openFiles.append(file)
                }
                _ = try session.queryFileInfo(file)
                return file
            } catch CIFSError.again(let reason) {
                guard attempts < CIFSMount.maxRetries else { throw CIFSError.again(reason) }
            }
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer at end of file). Mirrors the kernel's
    /// synchronous `cifs_read`.
    public func read(_ file: OpenFile, offset: UInt64, count: Int) throws -> [UInt8] {
        try requireMounted()
        guard count >= 0 else { throw CIFSError.invalidArgument("negative count") }
        var data: [UInt8] = []
        _ = try session.cifsRead(file, offset: offset, count: count, rsize: rsize) { data.append(contentsOf: $0) }
        return data
    }

    /// Reads the whole file from offset 0 to its size (as the server reported it at open),
    /// handing each READ_ANDX's data to `sink` in order and reporting the bytes read so far and
    /// the total to `progress`. Stops early if the server reports end of file.
    /// - Returns: the number of bytes read.
    @discardableResult
    public func read(_ file: OpenFile, into sink: ([UInt8]) throws -> Void,
                     progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil) throws -> UInt64 {
        try requireMounted()
        let size = runtime.withLock { file.size }
        var offset: UInt64 = 0
        var delivered: UInt64 = 0
        while offset < size {
            let want = Int(min(size - offset, UInt64(rsize) * 16))
            let got = try session.cifsRead(file, offset: offset, count: want, rsize: rsize) { piece in
                try sink(Array(piece))
                delivered += UInt64(piece.count)
                progress?(delivered, size)
            }
            if got == 0 {
                // The server says end of file before the size it announced.
                if !options.shortReadZeroFill { throw CIFSError.shortRead(offset: offset, fileSize: size) }
                break
            }
            offset += UInt64(got)
        }
        return offset
    }

    /// Closes `file`. Mirrors the kernel's `cifs_close` → `CIFSSMBClose`.
    public func close(_ file: OpenFile) throws {
        guard !runtime.withLock({ file.closed }) else { return }
        try session.closeFile(file)
    }

    /// Disconnects the tree, logs off, and tears the connection down; cifsd exits. Errors of
    /// the farewell requests are traced and ignored, as at a kernel umount. Mirrors the
    /// kernel's `cifs_umount` (`cifs_put_tcon`, `cifs_put_smb_ses`, `cifs_put_tcp_session`).
    public func unmount() throws {
        try runtime.traced("cifs_umount", "unmounting \(options.unc)") { call in
            if isMounted {
                for file in runtime.withLock({ tree.openFiles }) {
                    do { try close(file) } catch let error as RuntimeAbort { throw error } catch {
                        try call.note("close \(file.path): \(error)")
                    }
                }
                do { try session.treeDisconnect(tree) } catch let error as RuntimeAbort { throw error } catch {
                    try call.note("tree disconnect: \(error)")
                }
                do { try session.logoff() } catch let error as RuntimeAbort { throw error } catch {
                    try call.note("logoff: \(error)")
                }
                isMounted = false
            }
            try shutdownConnection()
            call.returning("unmounted")
        }
    }

    /// The counters so far.
    public var statistics: MountStatistics {
        runtime.withLock {
            var s = MountStatistics()
            s.bytesRead = tree.bytesRead
            s.readsIssued = tree.numReads
            s.requestsSent = server.requestsSent
            s.signaturesVerified = server.signaturesVerified
            s.signatureFailures = server.signatureFailures
            s.reconnects = server.reconnectCount
            s.unknownFrames = server.unknownFrames
            s.malformedFrames = server.malformedFrames
            s.maxInFlight = server.maxInFlight
            s.asyncReads = readPathCounters.asyncReads
            s.asyncReadFailures = readPathCounters.asyncFailures
            s.readpageFallbacks = readPathCounters.readpageFallbacks
            return s
        }
    }

    // MARK: - Internals

    func requireMounted() throws {
        guard isMounted else { throw CIFSError.invalidArgument("the share is not mounted") }
    }

    /// Connects the socket and starts cifsd. Mirrors the kernel's `cifs_get_tcp_session`.
    func getTCPSession() throws {
        try runtime.traced("cifs_get_tcp_session", "connecting to \(options.host)") { call in
            let pid = UInt32(truncatingIfNeeded: 1000 + runtime.randomUInt64() % 30_000)
            let socket: any Transport
            do {
                socket = try server.connectTransport()
            } catch let error as TransportError {
                throw CIFSError.transport(error)
            }
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                server.transport = socket
                changes.set(server, \.tcpStatus, .needNegotiate, path: "server.tcpStatus")
                changes.set(server, \.credits, 1, path: "server.credits")
                changes.set(server, \.processID, pid, path: "server.processID")
                server.sessions = [session]
            }
            server.startDemultiplexThread()
            call.returning("connected to \(options.host); cifsd started", diff: changes.diffs)
        }
    }

    /// The read size: the mount's, or 61,440 with CAP_LARGE_READX, else what fits the server's
    /// buffer; without CAP_LARGE_READX never more than CIFSMaxBufSize (16 KiB). Mirrors the
    /// kernel's `cifs_negotiate_rsize`.
    func negotiateRsize() -> Int {
        let (caps, maxBuf) = runtime.withLock { (server.capabilities, Int(server.maxBuf)) }
        let readResponseHeader = ReadAndXResponse.fixedPartSize + 1
        let defaultSize = caps.contains(.largeReadX) ? CIFSMount.defaultRsize : max(512, maxBuf - readResponseHeader)
        var size = options.rsize ?? defaultSize
        if !caps.contains(.largeReadX) { size = min(size, 16 * 1024) }
        size = min(max(size, 1), CIFSMount.maxRsize)
        runtime.withLock { server.maxFrameLength = max(size, 64 * 1024) + 4096 }
        return size
    }

    /// Marks the connection exiting, closes the socket and waits for cifsd to leave. Mirrors
    /// the kernel's `cifs_put_tcp_session`.
    func shutdownConnection() throws {
        try runtime.traced("cifs_put_tcp_session", "tearing down the connection to \(options.host)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let (socket, thread) = runtime.withLock { () -> ((any Transport)?, KernelThread?) in
                changes.set(server, \.tcpStatus, .exiting, path: "server.tcpStatus")
                runtime.wakeAll(server.responseQueue)
                runtime.wakeAll(server.requestQueue)
                return (server.transport, server.cifsd)
            }
            try call.note("socket closed; waiting for cifsd to exit", diff: changes.diffs)
            socket?.close()
            if let thread {
                try runtime.join(thread)
            }
            // cifsd has failed every pending read; let cifsiod unlock their pages, then stop it.
            try cifsiod.stop()
            call.returning("cifsd and \(cifsiod.name) stopped")
        }
    }
}
