import Foundation
import Store
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells whether the process holding a job's lease is alive, so a dead runner's jobs are requeued at once while a
/// live runner keeps its job as long as it renews the lease, however many hosts and `--wait` runners share the
/// store. Each process write-locks one byte of `<store>.leases` at a random offset and stamps its leases
/// `runner#offset`; the kernel drops the lock when the process ends, `kill -9` included (SQLite trusts the same
/// POSIX locks for the store itself). A byte nobody holds names a dead runner; a lease whose stamp cannot be read
/// is left to its expiry.
struct LeaseHolder: Sendable {
    let token: Int64
    private let descriptor: Int32

    private init(token: Int64, descriptor: Int32) {
        self.token = token
        self.descriptor = descriptor
    }

    /// One holder per store per process, never closed: closing any descriptor of the file would drop every lock
    /// this process holds on it.
    private static let holders = Mutex<[String: LeaseHolder]>([:])

    /// This process's holder for `store`.
    static func of(_ store: Store) throws -> LeaseHolder {
        let path = store.path + ".leases"
        return try holders.withLock { holders in
            if let holder = holders[path] { return holder }
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw Problem(path, "cannot open", errno) }
            while true {
                let token = Int64.random(in: 1...(1 << 48))
                var lock = byte(token)
                if fcntl(descriptor, F_SETLK, &lock) == 0 {
                    holders[path] = LeaseHolder(token: token, descriptor: descriptor)
                    return holders[path]!
                }
                // Another process drew the same byte: draw again. Any other failure: this process holds no lock on
                // the file yet, so closing the descriptor drops nothing.
                guard errno == EAGAIN || errno == EACCES else {
                    let failure = errno
                    close(descriptor)
                    throw Problem(path, "cannot lock", failure)
                }
            }
        }
    }

    /// The lease owner name for one of this process's runners.
    func owner(_ runner: String) -> String { "\(runner)#\(token)" }

    /// Whether the process that stamped `owner` may still be running.
    func isAlive(_ owner: String) -> Bool {
        guard let mark = owner.lastIndex(of: "#"), let other = Int64(owner[owner.index(after: mark)...]) else {
            return true
        }
        // A process never conflicts with its own locks, so F_GETLK cannot answer for this one's.
        if Self.holders.withLock({ $0.values.contains { $0.token == other } }) { return true }
        var lock = Self.byte(other)
        guard fcntl(descriptor, F_GETLK, &lock) == 0 else { return true }
        return lock.l_type != Int16(F_UNLCK)
    }

    /// A write lock on the byte at `offset`.
    private static func byte(_ offset: Int64) -> flock {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(offset)
        lock.l_len = 1
        return lock
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String

        init(_ path: String, _ action: String, _ error: Int32) {
            description =
                "\(action) \(path), where this process marks the jobs it runs: \(String(cString: strerror(error)))"
        }
    }
}
