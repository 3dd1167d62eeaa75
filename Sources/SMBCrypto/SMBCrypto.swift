/// SMBCrypto: the hashes, ciphers and key derivations of SMB1 authentication and signing.
///
/// Pure functions only: callers pass every challenge, nonce, timestamp and exported session
/// key, so results are reproducible and testable against published vectors.
///
/// - ``MD4``, ``DES``, ``RC4``: the primitives swift-crypto lacks (MD5 and HMAC-MD5 come
///   from swift-crypto's `Insecure.MD5`).
/// - ``PasswordEncoding`` and ``NTLM``: NT and LM hashes (including the Linux 3.8 kernel's
///   128-byte password conversion), NTLMv1 and NTLMv2 responses and session keys, and the
///   old-style SMB1 MAC keys.
/// - ``NTLMv2Blob``: the NTLMv2 client blob, built and parsed.
/// - ``NTLMSSPKeys``: key-exchange keys, the NTLM2 session response, KEY_EXCH encryption.
/// - ``SMB1Signing``: signing and verifying SMB1 packets.
public enum SMBCrypto {}
