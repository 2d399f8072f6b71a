#if canImport(Glibc)
    import Glibc
#endif

/// The Swift runtime installs its own crash handlers (for backtraces) that can swallow a synthetic signal and let
/// the process carry on. A child that runs plugin code must die from a plugin's crash, so the parent can name it.
enum CrashSignals {
    static let all: [Int32] = [SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGTRAP, SIGFPE]

    static func restoreDefaults() {
        for signal in all { _ = Glibc.signal(signal, SIG_DFL) }
    }
}
