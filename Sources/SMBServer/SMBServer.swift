/// SMBServer: the in-process SMB1 server that real clients and the client core talk to.
public enum SMBServerInfo {}
