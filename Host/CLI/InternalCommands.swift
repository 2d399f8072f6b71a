import ArgumentParser
import PluginRuntime

/// The scanner process: the host re-executes itself with this hidden command to read a manifest at arm's length.
struct ScanPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ManifestScanner.command, abstract: "Internal: read one plugin's manifest and report it.",
        shouldDisplay: false)

    @Argument var file: String
    @Option(name: .customLong("report-fd")) var reportDescriptor: Int32
    @Option(name: .customLong("parent-pid")) var parent: Int32
    @Flag(name: .customLong("sandbox")) var sandboxed = false

    func run() throws {
        let code = ManifestScanner.runChild(
            path: file, reportDescriptor: reportDescriptor, parent: parent, sandbox: sandboxed ? FileSandbox() : nil)
        if code != 0 { throw ExitCode(code) }
    }
}
