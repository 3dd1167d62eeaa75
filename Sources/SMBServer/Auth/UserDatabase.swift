import SMBCrypto

/// The configured users, looked up case-insensitively (as Windows and smbd do).
struct UserDatabase: Sendable {
    struct User: Sendable {
        /// The name as configured.
        var name: String
        var ntHash: [UInt8]
    }

    private var byLowercasedName: [String: User] = [:]

    init(_ users: [String: String]) throws {
        for name in users.keys.sorted() {
            guard let password = users[name] else { continue }
            let key = name.lowercased()
            guard byLowercasedName[key] == nil else { throw SMBServerError.duplicateUserName(name) }
            // Windows and smbd hash the whole password (no 128-byte cut).
            byLowercasedName[key] = User(name: name, ntHash: NTLM.ntHash(password: password, encoding: .untruncated))
        }
    }

    func user(named name: String) -> User? {
        byLowercasedName[name.lowercased()]
    }
}
