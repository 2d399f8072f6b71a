import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Makes a child process (scanner or worker) exit within a fraction of a second of its parent dying, even by
/// `kill -9`. PR_SET_PDEATHSIG would fire when the spawning *thread* exits, which in a thread-pooled host happens
/// all the time, so the child watches its parent id instead.
public enum ParentWatchdog {
    public static func start(parent: pid_t, interval: Duration = .milliseconds(100)) {
        let seconds = interval.timeInterval
        let thread = Thread {
            while true {
                if getppid() != parent { _exit(0) }
                Thread.sleep(forTimeInterval: seconds)
            }
        }
        thread.name = "parent-watchdog"
        thread.start()
    }
}
