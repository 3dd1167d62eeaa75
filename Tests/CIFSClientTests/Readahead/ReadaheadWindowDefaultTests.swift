import CIFSClient
import KernelRuntime
import Testing

/// Without a readahead option the window is 1 MiB rounded down to whole READ_ANDX, so that
/// `cifs_readpages` never ends a window with a short read (``CIFSMount/readaheadPages``).
@Suite struct ReadaheadWindowDefaultTests {
    /// The READ_ANDX size and readahead window of a mount on the fake server, after mounting.
    func mounted(sign: Bool, rsize: Int? = nil, readaheadPages: Int? = nil) throws -> (readSize: Int, window: Int) {
        let runtime = FreeRunRuntime(seed: 40)
        var config = FakeSMBServer.Configuration()
        config.files = ["\\hello.txt": Harness.helloText]
        if sign { config.signing = .required }
        let fake = FakeSMBServer(runtime: runtime, config: config, hook: nil)
        var options = Harness.options(auth: .ntlmv2, sign: sign, rsize: rsize)
        options.readaheadPages = readaheadPages
        let result = Harness.Box<(Int, Int)>((0, 0))
        try Harness.withMount(runtime, options: options, connect: fake.connect) { mount in
            try mount.mount()
            result.value = (mount.asyncReadSize, mount.readaheadPages)
            try mount.unmount()
        }
        return result.value
    }

    @Test func signedReadsOf31PagesGetAWindowOfEight() throws {
        let (readSize, window) = try mounted(sign: true)
        #expect(readSize == 31 * 4096)
        #expect(window == 8 * 31)
    }

    @Test func mebibyteReadsKeepTheMebibyteWindow() throws {
        let (readSize, window) = try mounted(sign: false)
        #expect(readSize == 1 << 20)
        #expect(window == 256)
    }

    @Test func sixtyKiBReadsGetSeventeen() throws {
        let (readSize, window) = try mounted(sign: false, rsize: 61_440)
        #expect(readSize == 61_440)
        #expect(window == 17 * 15)
    }

    @Test func anExplicitWindowIsKept() throws {
        let (_, window) = try mounted(sign: true, readaheadPages: 256)
        #expect(window == 256)
    }
}
