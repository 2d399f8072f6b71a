/// A worker's command line: written by the supervisor when it starts one, read by the worker. Read by hand, not by
/// ArgumentParser, whose reflection was a third of each worker's start (3.4 ms of 10.6), paid for every worker a
/// push starts. Only the host writes it; anything it would not write is refused.
public struct WorkerArguments: Equatable, Sendable {
    public var pluginPath: String
    /// The channel's descriptor: the supervisor always passes it as 3.
    public var channel: Int32 = 3
    public var parent: Int32
    public var memoryLimit: Int?
    public var sandbox: FileSandbox?

    public init(pluginPath: String, parent: Int32, memoryLimit: Int? = nil, sandbox: FileSandbox? = nil) {
        self.pluginPath = pluginPath
        self.parent = parent
        self.memoryLimit = memoryLimit
        self.sandbox = sandbox
    }

    /// The arguments after the executable's path.
    public var line: [String] {
        var line = [WorkerServer.command, pluginPath, "--channel-fd", "\(channel)", "--parent-pid", "\(parent)"]
        if let memoryLimit { line += ["--memory-limit-bytes", "\(memoryLimit)"] }
        if let sandbox { line += ["--sandbox"] + sandbox.writable.flatMap { ["--sandbox-writable", $0] } }
        return line
    }

    /// Reads `line` as `line` writes it; nil for anything else (another command, or arguments it never writes).
    public init?(_ line: [String]) {
        guard line.count >= 2, line[0] == WorkerServer.command else { return nil }
        var (channel, parent, memoryLimit): (Int32?, Int32?, Int?) = (nil, nil, nil)
        var (sandboxed, writable) = (false, [String]())
        var rest = line.dropFirst(2)
        while let option = rest.popFirst() {
            if option == "--sandbox" {
                sandboxed = true
                continue
            }
            guard let value = rest.popFirst() else { return nil }
            switch option {
            case "--channel-fd": channel = Int32(value)
            case "--parent-pid": parent = Int32(value)
            case "--memory-limit-bytes":
                guard let limit = Int(value) else { return nil }
                memoryLimit = limit
            case "--sandbox-writable": writable.append(value)
            default: return nil
            }
        }
        guard let channel, let parent, sandboxed || writable.isEmpty else { return nil }
        self.init(
            pluginPath: line[1], parent: parent, memoryLimit: memoryLimit,
            sandbox: sandboxed ? FileSandbox(writable: writable) : nil)
        self.channel = channel
    }
}
