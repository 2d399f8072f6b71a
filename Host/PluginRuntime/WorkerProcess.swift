import Foundation
import PluginABI

#if canImport(Glibc)
    import Glibc
#endif

/// The host's handle on one worker process: spawns it, creates plugin instances in it, runs calls with a deadline,
/// answers the host services the plugin asks for, and turns every way a worker can die into a classified error.
/// A worker runs one call at a time; after any failure it is dead or killed and must not be reused.
final class WorkerProcess {
    let build: PluginBuild
    let pid: pid_t
    private let process: ChildProcess
    private let channel: FrameChannel
    private let channelDescriptor: Int32
    private let memoryLimit: Int?
    private var instances: [String: (id: UInt32, configuration: [UInt8])] = [:]
    private var nextInstance: UInt32 = 1
    private(set) var isBroken = false

    init(build: PluginBuild, memoryLimit: Int?, sandbox: FileSandbox? = nil, loadTimeout: Duration, log: HostLog)
        throws(PluginCallError)
    {
        HostProcess.ignoreBrokenPipes()
        self.build = build
        self.memoryLimit = memoryLimit
        do {
            // Each step closes what the steps before it opened if it fails (descriptors run short under load).
            let (hostEnd, workerEnd) = try FileDescriptors.socketPair()
            let stdout: (read: Int32, write: Int32)
            let stderr: (read: Int32, write: Int32)
            do {
                stdout = try FileDescriptors.pipe()
            } catch {
                [hostEnd, workerEnd].forEach { close($0) }
                throw error
            }
            do {
                stderr = try FileDescriptors.pipe()
            } catch {
                [hostEnd, workerEnd, stdout.read, stdout.write].forEach { close($0) }
                throw error
            }
            let arguments = WorkerArguments(
                pluginPath: build.cachedPath, parent: getpid(), memoryLimit: memoryLimit, sandbox: sandbox
            ).line
            // The host's standard input is none of the plugin's: a terminal, or whatever a shell gave the host.
            let nothing = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { if nothing >= 0 { close(nothing) } }
            let spawned: ChildProcess
            do {
                spawned = try ChildProcess.spawn(
                    HostExecutable.path, arguments: arguments,
                    descriptors: (nothing >= 0 ? [(Int32(0), nothing)] : [])
                        + [(1, stdout.write), (2, stderr.write), (3, workerEnd)],
                    withoutHostVariables: true)
            } catch {
                [hostEnd, workerEnd, stdout.read, stdout.write, stderr.read, stderr.write].forEach { close($0) }
                throw error
            }
            [workerEnd, stdout.write, stderr.write].forEach { close($0) }
            process = spawned
            pid = spawned.pid
            channelDescriptor = hostEnd
            channel = FrameChannel(descriptor: hostEnd)
            _ = OutputPump(
                stdout: stdout.read, stderr: stderr.read, source: "plugin \(build.label) (worker \(spawned.pid))",
                log: log)
        } catch {
            throw PluginCallError(.unavailable, "could not start a worker for \(build.label): \(error)")
        }
        try awaitReady(deadline: .now + loadTimeout)
    }

    deinit {
        close(channelDescriptor)
        if process.exitStatus == nil {
            // An idle worker exits by itself once its channel closes; give it a moment, then make sure.
            if process.waitUntil(.now + .milliseconds(200)) == nil { process.terminate() }
        }
    }

    private func awaitReady(deadline: ContinuousClock.Instant) throws(PluginCallError) {
        do {
            let (type, payload) = try channel.receive(deadline: deadline)
            var reader = FrameReader(payload: payload)
            switch type {
            case .ready:
                return
            case .fatal:
                let code = (try? reader.string()) ?? "load_failed"
                let detail = (try? reader.string()) ?? ""
                throw PluginCallError(.unavailable, "the worker could not load \(build.label): \(code): \(detail)")
            default:
                throw PluginCallError(.protocolError, "the worker sent \(type) before it was ready")
            }
        } catch let error as PluginCallError {
            process.terminate()
            throw error
        } catch {
            throw failure(error, during: "loading")
        }
    }

    /// Runs one operation for `instance`, creating the instance in this worker first if needed.
    func call(
        _ operation: PluginOperation, input: [UInt8], instance: InstanceSpec, deadline: ContinuousClock.Instant,
        services: HostServiceHandler
    ) throws(PluginCallError) -> CallOutcome {
        let id: UInt32
        if let existing = instances[instance.key], existing.configuration == instance.configuration {
            id = existing.id
        } else {
            if let stale = instances[instance.key] { destroy(stale.id) }
            id = nextInstance
            nextInstance += 1
            var frame = FrameWriter(type: .create, capacity: instance.configuration.count + 8)
            frame.u32(id)
            frame.data(instance.configuration)
            let created = try exchange(frame.finish(), deadline: deadline, services: services, during: "create")
            guard created.status == .ok else { return created }
            instances[instance.key] = (id, instance.configuration)
        }
        var frame = FrameWriter(type: .call, capacity: input.count + 16)
        frame.u32(id)
        frame.u8(operation.code)
        frame.data(input)
        return try exchange(frame.finish(), deadline: deadline, services: services, during: operation.rawValue)
    }

    private func destroy(_ id: UInt32) {
        var frame = FrameWriter(type: .destroy)
        frame.u32(id)
        _ = channel.send(frame.finish())
    }

    /// Sends a request frame and serves the worker until its outcome arrives.
    private func exchange(
        _ request: [UInt8], deadline: ContinuousClock.Instant, services: HostServiceHandler, during operation: String
    ) throws(PluginCallError) -> CallOutcome {
        guard channel.send(request) else { throw failure(FrameChannel.ReadFailure.closed, during: operation) }
        while true {
            let type: FrameType
            let payload: [UInt8]
            do {
                (type, payload) = try channel.receive(deadline: deadline)
            } catch {
                throw failure(error, during: operation)
            }
            var reader = FrameReader(payload: payload)
            do {
                switch type {
                case .outcome:
                    let outcome = try reader.outcome()
                    guard reader.isAtEnd else {
                        throw FrameReader.Malformed(description: "trailing bytes in an outcome")
                    }
                    return outcome
                case .log:
                    _ = try reader.u32()
                    let level = PluginLogLevel(code: try reader.i32())
                    services.log(level: level, message: try reader.string())
                case .serviceRequest:
                    _ = try reader.u32()
                    let reply = try serve(&reader, services: services)
                    guard channel.send(reply) else { throw FrameChannel.ReadFailure.closed }
                default:
                    throw FrameReader.Malformed(description: "unexpected frame \(type) during a call")
                }
            } catch let malformed as FrameReader.Malformed {
                kill()
                throw PluginCallError(
                    .protocolError, "\(build.label) sent a malformed frame during \(operation): \(malformed)")
            } catch {
                throw failure(error, during: operation)
            }
        }
    }

    private func serve(_ reader: inout FrameReader, services: HostServiceHandler) throws(FrameReader.Malformed)
        -> [UInt8]
    {
        guard let kind = ServiceKind(rawValue: try reader.u8()) else {
            throw FrameReader.Malformed(description: "unknown host service")
        }
        var reply = FrameWriter(type: .serviceReply)
        switch kind {
        case .http: reply.httpResult(services.http(try reader.httpRequest()))
        case .checkpointGet: reply.optionalString(services.checkpoint())
        case .checkpointSet: reply.i32(services.setCheckpoint(try reader.string()).rawValue)
        case .valueGet: reply.optionalString(services.value(forKey: try reader.string()))
        case .valueSet:
            let key = try reader.string()
            reply.i32(services.setValue(try reader.optionalString(), forKey: key).rawValue)
        case .clock: reply.i64(services.nowMilliseconds())
        }
        return reply.finish()
    }

    /// Whether an idle worker is still there: one that died while idle (the OOM killer, a plugin's own thread
    /// crashing) has closed its end of the channel, which then reads as ready with nothing to say.
    var isAlive: Bool {
        var poller = pollfd(fd: channelDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) == 0 && process.exitStatus == nil
    }

    func kill() {
        isBroken = true
        process.terminate()
    }

    /// Asks an idle worker to exit.
    func shutdown() {
        var frame = FrameWriter(type: .shutdown)
        _ = channel.send(frame.finish())
    }

    /// What a broken channel means, decided by how the worker ended.
    private func failure(_ error: any Error, during operation: String) -> PluginCallError {
        isBroken = true
        if case FrameChannel.ReadFailure.timedOut = error {
            process.terminate()
            return PluginCallError(
                .timeout, "\(build.label) did not finish \(operation) in time; its worker was killed")
        }
        if case FrameChannel.ReadFailure.malformed(let detail) = error {
            process.terminate()
            return PluginCallError(
                .protocolError, "\(build.label) broke the worker protocol during \(operation): \(detail)")
        }
        // The channel closed: the worker died. Reap it to learn how.
        let status = process.waitUntil(.now + .seconds(2)) ?? process.terminate()
        switch status {
        case .exited(WorkerServer.memoryLimitExitCode):
            let limit = memoryLimit.map { " of \($0 >> 20) MB" } ?? ""
            return PluginCallError(.memoryLimit, "\(build.label) exceeded its memory limit\(limit) during \(operation)")
        case .signaled(SIGKILL):
            return PluginCallError(
                .crashed, "\(build.label) was killed by SIGKILL during \(operation) (possibly out of memory)")
        case .some(let status):
            let what = if case .exited = status { "exited (\(status))" } else { "crashed with \(status)" }
            return PluginCallError(.crashed, "\(build.label) \(what) during \(operation)")
        case nil:
            return PluginCallError(.crashed, "\(build.label)'s worker stopped answering during \(operation)")
        }
    }
}
