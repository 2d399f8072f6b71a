import CSystemShims
import Foundation
import PluginABI

/// What a worker may open once its plugin is loaded, with `serve --plugin-sandbox` (Linux landlock): the system's
/// libraries, the Swift runtime's folder and a few files of `/etc`, `/dev` and `/proc/self`, and the folders an
/// operator grants (read and write); never the host's store, master key or anything else of the host's. What the
/// worker has open already (its channel, its plugin) stays open.
public struct FileSandbox: Sendable, Equatable {
    /// Folders the plugin may also write in (a connector that writes files).
    public var writable: [String]

    public init(writable: [String] = []) { self.writable = writable }

    /// Whether this kernel can confine a process's file access (Linux 5.13 and later, with landlock enabled).
    public static var isAvailable: Bool { cc_landlock_version() > 0 }

    /// What every sandboxed worker may read.
    public static var readable: [String] {
        [
            "/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/localtime",
            "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts", "/dev/null", "/dev/zero",
            "/dev/random", "/dev/urandom", "/proc/self", "/sys/devices/system/cpu",
        ] + [runtimeFolder].compactMap { $0 }
    }

    /// Where the Swift runtime was loaded from (a toolchain outside /usr): its other libraries load from there later.
    static var runtimeFolder: String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
            let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("/libswiftCore.so") }),
            let start = line.firstIndex(of: "/")
        else { return nil }
        return (String(line[start...]) as NSString).deletingLastPathComponent
    }

    /// The first of `paths` a sandboxed worker could read, if any: such a path is not kept from plugins.
    public static func readablePath(among paths: [String]) -> String? {
        paths.first { path in
            let path = (path as NSString).standardizingPath
            return readable.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
    }

    /// Confines this process; throws when the kernel cannot (no landlock), naming why.
    func apply() throws(PluginRejection) {
        let readable = Self.readable
        let result = withCStrings(readable) { read in
            withCStrings(writable) { write in
                cc_restrict_filesystem(read, Int32(readable.count), write, Int32(writable.count))
            }
        }
        guard result == 0 else {
            throw PluginRejection(
                code: "sandbox_unavailable",
                detail: "the plugin sandbox could not be applied (landlock: \(String(cString: strerror(errno))))")
        }
    }
}

/// Runs `body` with `strings` as an array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
