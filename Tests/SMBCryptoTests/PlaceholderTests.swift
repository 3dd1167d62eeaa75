import Testing
@testable import SMBCrypto
