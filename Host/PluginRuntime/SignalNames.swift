#if canImport(Glibc)
    import Glibc
#endif

enum SignalNames {
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGTRAP: return "SIGTRAP"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGPIPE: return "SIGPIPE"
        case SIGXCPU: return "SIGXCPU"
        case SIGSYS: return "SIGSYS"
        default: return "signal \(signal)"
        }
    }
}
