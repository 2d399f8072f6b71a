import ArgumentParser
import CSystemShims
import Foundation
import JSONCore
import Sandbox

struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run simulators of ServiceNow, Lansweeper and Device42 on 127.0.0.1 for connectors to test against.",
        discussion: """
            The simulators answer with the vendors' shapes, paging and errors, keep what is written to them, and take \
            faults through the admin API (GET /_sandbox lists it). SIGTERM or SIGINT stops the sandbox.
            """)

    @Option(help: "Port (0 picks a free one).") var port = 8642
    @Option(help: "Directory to load the simulators' records from and save them to.") var state: String?
    @Option(help: "Hosts in the seeded estate.") var hosts = 300

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, got \(port)") }
        guard (1...100_000).contains(hosts) else { throw ValidationError("--hosts must be 1 to 100000, got \(hosts)") }
    }

    func run() throws {
        let sandbox: Sandbox
        do { sandbox = try Sandbox(port: port, stateDirectory: state, estate: SampleEstate(hosts: hosts)) } catch {
            throw CLIError("sandbox: \(error)")
        }
        print("Sandbox listening on \(sandbox.baseURL)" + (state.map { " (state in \($0))" } ?? ""))
        for name in Sandbox.names {
            print("  \(name): \(sandbox.configuration(for: name).serialized())")
        }
        print("  servicenow with OAuth (password grant): {\"auth\":\(sandbox.serviceNowOAuth.serialized())}")
        print("Admin API: \(sandbox.baseURL)/_sandbox (faults: PUT /_sandbox/{name}/faults). Ctrl-C stops.")
        Console.flush()
        cc_install_stop_signals()
        while cc_stop_signal() == 0 { usleep(100_000) }
        sandbox.stop()
        print("Sandbox stopped.")
    }
}
