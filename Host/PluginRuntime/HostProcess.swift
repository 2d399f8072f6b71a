#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide settings a host needs, whoever embeds it (the CLI, tests, benchmarks).
public enum HostProcess {
    /// A write to a worker that died, or to a peer that hung up, fails with EPIPE and is handled as that peer's
    /// end, instead of SIGPIPE killing the host and every job in it.
    public static func ignoreBrokenPipes() { _ = ignoringBrokenPipes }

    private static let ignoringBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}
