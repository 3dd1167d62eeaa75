import Testing
import Stepper

@Suite struct SMBURLTests {
    @Test func parsesHostPortSharePath() throws {
        let url = try SMBURL(parsing: "//127.0.0.1:4450/share/dir/file.bin")
        #expect(url == SMBURL(host: "127.0.0.1", port: 4450, share: "share", path: "dir\\file.bin"))
        #expect(url.fileName == "file.bin")
        #expect(try SMBURL(parsing: "smb://server/s/x").port == 445)
        #expect(try SMBURL(parsing: "//[::1]:99/s/x").host == "::1")
        // The stepper's `server` setting takes a share without a path.
        let share = try SMBURL(parsing: "//h:99/s", pathRequired: false)
        #expect(share == SMBURL(host: "h", port: 99, share: "s", path: ""))
        #expect(share.description == "//h:99/s")
        #expect(url.description == "//127.0.0.1:4450/share/dir/file.bin")
    }

    @Test(arguments: ["server/share/x", "//server/share", "//:1/s/x", "//h:0/s/x", "//h:99999/s/x",
                      "//h/s/../x", "//[::1/s/x"])
    func rejects(_ text: String) {
        #expect(throws: SMBURLError.self) { try SMBURL(parsing: text) }
    }
}
