/// CIFSClient: a client core shaped like the Linux 3.8 cifs client (fs/cifs), running on
/// ``KernelRuntime`` so the stepper can drive it and `cifstep get` can run it at full speed.
public enum CIFSClientInfo {}
