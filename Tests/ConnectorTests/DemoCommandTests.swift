import Foundation
import HostServices
import JSONCore
import TestSupport
import Testing

/// `cryptoconnect demo`, the README's main job, run as a user runs it.
@Suite struct DemoCommandTests {
    @Test func theDemoRunsThePipelineToCompletion() throws {
        let folder = TemporaryDirectory("demo")
        let run = try Command.cryptoconnect(["demo", "--hosts", "60", "--data-dir", folder.path + "/demo"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout
        for plugin in ["servicenow-cmdb", "lansweeper", "device42"] {
            #expect(out.contains("Enabled \(plugin)@1.0.0 as acme-\(plugin): connected"))
            #expect(out.contains("acme-\(plugin): succeeded"))
        }
        // The bundled estate: scanner NDJSON and a CycloneDX CBOM, every record accepted, weak crypto flagged.
        let ingests = out.split(separator: "\n").filter {
            $0.contains("scanner.ndjson (ndjson)") || $0.contains("estate.cdx.json (cbom)")
        }
        #expect(ingests.count == 2)
        #expect(ingests.allSatisfy { $0.contains("rejected 0") && $0.contains("alert") })
        #expect(out.components(separatedBy: "Status: 🟢 Healthy").count - 1 == 3)
        // Each metrics box has a straight right edge in a terminal, where 🟢 takes two columns.
        func columns(_ line: Substring) -> Int { line.count + line.filter { $0 == "🟢" }.count }
        var boxWidth = 0
        for line in out.split(separator: "\n") where line.hasPrefix("┌") || line.hasPrefix("│") {
            if line.hasPrefix("┌") { boxWidth = columns(line) }
            #expect(columns(line) == boxWidth, "\(line)")
        }
        // Every host of the estate carries crypto context in every system.
        #expect(out.contains("servicenow: 60 of "))
        #expect(out.contains("lansweeper: 60 of "))
        #expect(out.contains("device42: 60 of "))
        #expect(!out.contains("sandbox-servicenow-password") && !run.stderr.contains("sandbox-servicenow-password"))

        // The store the demo leaves behind is an ordinary one.
        let status = try Command.cryptoconnect([
            "sync", "status", "--json", "--data-dir", folder.path + "/demo", "--plugins-dir",
            folder.path + "/demo/plugins",
        ])
        let integrations = try JSON.parse(status.stdout).arrayValue ?? []
        #expect(integrations.count == 3)
        #expect(integrations.allSatisfy { $0["status"] == "healthy" && $0["records_synced_today"] == 60 })

        let again = try Command.cryptoconnect(["demo", "--data-dir", folder.path + "/demo"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already holds a store"))
    }

    @Test func keepRunningLeavesTheSandboxUpUntilSIGTERM() throws {
        let folder = TemporaryDirectory("demo-keep")
        let output = folder.file("stdout", "")
        let process = try Spawned(
            PackagePaths.hostExecutable,
            ["demo", "--hosts", "20", "--keep-running", "--data-dir", folder.path + "/demo"], stdout: output,
            stderr: folder.path + "/stderr")
        defer { if process.isRunning { process.signal(SIGKILL) } }

        let deadline = Date().addingTimeInterval(90)
        var text = ""
        while !text.contains("Still running"), process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        }
        #expect(text.contains("Still running"), "\(text)")
        let url = try #require(text.firstMatch(of: /sandbox on (http:\/\/127\.0\.0\.1:\d+)/)?.1)
        let listing = try CurlClient(settings: HTTPSettings()).perform(
            TransportRequest(method: "GET", url: "\(url)/_sandbox", timeout: .seconds(5))
        ).get()
        #expect(try JSON.parse(listing.body)["simulators"]?.arrayValue?.count == 3)

        process.signal(SIGTERM)
        #expect(process.wait() == 0)
    }
}
