import Foundation

/// The host binary that scanner and worker processes re-execute. Normally this very process's executable; a
/// process that is not `cryptoconnect` (the test runner, an embedding application) points it at the real binary
/// with `CRYPTOCONNECT_HOST_EXECUTABLE` or by setting `path`.
public enum HostExecutable {
    public static let environmentVariable = "CRYPTOCONNECT_HOST_EXECUTABLE"

    private static let override = LockedValue<String?>(nil)

    public static var path: String {
        get {
            if let chosen = override.value { return chosen }
            if let configured = ProcessInfo.processInfo.environment[environmentVariable], !configured.isEmpty {
                return configured
            }
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        }
        set { override.value = newValue }
    }
}

/// A value behind a lock, for the few process-wide settings.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Reads and changes the value under one lock: `value[key] = x` would be a read and a write, racing others.
    func mutate<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&stored) }
    }
}
