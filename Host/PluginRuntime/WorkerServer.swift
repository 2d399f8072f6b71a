import CSystemShims
import Foundation
import PluginABI

#if canImport(Glibc)
    import Glibc
#endif

/// The worker process: the host binary re-executed as `cryptoconnect __worker`, serving calls to one plugin over
/// the channel on descriptor 3. It uses the same `PluginInstance` as the in-process runtime, so there is one code
/// path that calls the ABI.
public enum WorkerServer {
    public static let command = "__worker"
    /// The exit code of a worker that died at its memory limit.
    public static let memoryLimitExitCode: Int32 = 86

    /// `sandbox`: confines the worker before anything else starts, its watchdog's thread and its plugin included.
    public static func run(
        pluginPath: String, channel descriptor: Int32, parent: pid_t, memoryLimit: Int?, sandbox: FileSandbox? = nil
    ) -> Int32 {
        let channel = FrameChannel(descriptor: descriptor)
        let library: PluginLibrary
        do {
            try sandbox?.apply(plugin: pluginPath)
            ParentWatchdog.start(parent: parent)
            signal(SIGPIPE, SIG_IGN)
            CrashSignals.restoreDefaults()
            if let memoryLimit { applyMemoryLimit(memoryLimit) }
            library = try PluginLibrary.open(pluginPath)
        } catch {
            var frame = FrameWriter(type: .fatal)
            frame.string(error.code)
            frame.string(error.detail)
            _ = channel.send(frame.finish())
            return 3
        }
        var ready = FrameWriter(type: .ready)
        ready.string(library.manifest.id)
        ready.string(library.manifest.version)
        guard channel.send(ready.finish()) else { return 0 }

        var instances: [UInt32: PluginInstance] = [:]
        while true {
            guard let (type, payload) = try? channel.receive(deadline: nil) else { return 0 }  // host gone
            var reader = FrameReader(payload: payload)
            do {
                switch type {
                case .create:
                    let id = try reader.u32()
                    let configuration = try reader.data()
                    let services = ChannelServices(channel: channel, instance: id)
                    var outcome = CallOutcome(status: .ok, output: [])
                    do {
                        instances[id] = try PluginInstance(
                            manifest: library.manifestPointer, configuration: configuration, handler: services)
                    } catch {
                        outcome = CallOutcome(status: error.status, output: error.document.serializedBytes())
                    }
                    send(outcome, on: channel)
                case .call:
                    let id = try reader.u32()
                    guard let operation = PluginOperation(code: try reader.u8()) else { return 4 }
                    let input = try reader.dataRange()
                    guard let instance = instances[id] else { return 4 }
                    let outcome = reader.payload.withUnsafeBytes { bytes in
                        instance.call(operation, input: UnsafeRawBufferPointer(rebasing: bytes[input]))
                    }
                    send(outcome, on: channel)
                case .destroy:
                    instances[try reader.u32()] = nil
                case .shutdown:
                    instances.removeAll()
                    return 0
                default:
                    return 4  // the host never sends anything else: a broken channel
                }
            } catch {
                return 4
            }
        }
    }

    private static func send(_ outcome: CallOutcome, on channel: FrameChannel) {
        let size = outcome.output.count + outcome.results.count * 64 + outcome.records.reduce(0) { $0 + $1.count + 4 }
        var frame = FrameWriter(type: .outcome, capacity: size)
        frame.outcome(outcome)
        if !channel.send(frame.finish()) { exit(0) }
    }

    /// Caps the data segment (heap and anonymous memory): allocations past it fail, and the crash that follows is
    /// reported as the memory limit rather than a generic crash.
    private static func applyMemoryLimit(_ bytes: Int) {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        _ = setrlimit(Int32(RLIMIT_DATA.rawValue), &limit)
        let slack = UInt(max(16 << 20, bytes / 10))
        _ = cc_install_memory_crash_guard(slack, memoryLimitExitCode)
    }
}

extension PluginOperation {
    var code: UInt8 {
        switch self {
        case .test: return 1
        case .schema: return 2
        case .push: return 3
        case .pull: return 4
        case .event: return 5
        }
    }

    init?(code: UInt8) {
        guard let match = PluginOperation.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }
}

/// Host services inside the worker: each request goes to the host over the channel and waits for its reply; logs
/// go one way. Per-record results and pulled records are collected by `PluginInstance` and travel with the outcome.
final class ChannelServices: HostServiceHandler {
    private let channel: FrameChannel
    private let instance: UInt32

    init(channel: FrameChannel, instance: UInt32) {
        self.channel = channel
        self.instance = instance
    }

    func log(level: PluginLogLevel, message: String) {
        var frame = FrameWriter(type: .log)
        frame.u32(instance)
        frame.i32(level.rawValue)
        frame.string(message)
        if !channel.send(frame.finish()) { exit(0) }
    }

    private func request(_ kind: ServiceKind, _ body: (inout FrameWriter) -> Void) -> FrameReader {
        var frame = FrameWriter(type: .serviceRequest)
        frame.u32(instance)
        frame.u8(kind.rawValue)
        body(&frame)
        guard channel.send(frame.finish()), let (type, payload) = try? channel.receive(deadline: nil),
            type == .serviceReply
        else { exit(0) }  // the host is gone or broke the protocol; nothing useful is left to do
        return FrameReader(payload: payload)
    }

    func http(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        var reply = self.request(.http) { $0.httpRequest(request) }
        return (try? reply.httpResult()) ?? .failure(.internal, "malformed reply from the host")
    }

    func checkpoint() -> String? {
        var reply = request(.checkpointGet) { _ in }
        return (try? reply.optionalString()) ?? nil
    }

    func setCheckpoint(_ checkpoint: String) -> PluginStatus {
        var reply = request(.checkpointSet) { $0.string(checkpoint) }
        return PluginStatus(code: (try? reply.i32()) ?? PluginStatus.internal.rawValue)
    }

    func value(forKey key: String) -> String? {
        var reply = request(.valueGet) { $0.string(key) }
        return (try? reply.optionalString()) ?? nil
    }

    func setValue(_ value: String?, forKey key: String) -> PluginStatus {
        var reply = request(.valueSet) {
            $0.string(key)
            $0.optionalString(value)
        }
        return PluginStatus(code: (try? reply.i32()) ?? PluginStatus.internal.rawValue)
    }

    func nowMilliseconds() -> Int64 {
        var reply = request(.clock) { _ in }
        return (try? reply.i64()) ?? 0
    }
}
