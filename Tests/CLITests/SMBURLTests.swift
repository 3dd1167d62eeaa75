import Testing
@testable import CifstepKit

@Suite struct SMBURLTests {
    @Test func parsesHostPortSharePath() throws {
        let url = try SMBURL(parsing: "//127.0.0.1:4450/share/dir/file.bin")
        #expect(url == SMBURL(host: "127.0.0.1", port: 4450, share: "share", path: "dir\\file.bin"))
        #expect(url.fileName == "file.bin")
        #expect(try SMBURL(parsing: "smb://server/s/x").port == 445)
        #expect(try SMBURL(parsing: "//[::1]:99/s/x").host == "::1")
    }

    @Test(arguments: ["server/share/x", "//server/share", "//:1/s/x", "//h:0/s/x", "//h:99999/s/x",
                      "//h/s/../x", "//[::1/s/x"])
    func rejects(_ text: String) {
        #expect(throws: CLIError.self) { try SMBURL(parsing: text) }
    }
}
