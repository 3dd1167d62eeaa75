/// SMBCrypto: the hashes, ciphers and key derivations of SMB1 authentication and signing.
///
/// Pure functions only: callers pass every challenge, nonce and timestamp, so results are
/// reproducible and testable against published vectors.
public enum SMBCrypto {}
