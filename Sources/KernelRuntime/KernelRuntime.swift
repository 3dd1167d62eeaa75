/// KernelRuntime: simulated kernel threads, tracepoints, blocking and seeded randomness.
public enum KernelRuntimeInfo {}
