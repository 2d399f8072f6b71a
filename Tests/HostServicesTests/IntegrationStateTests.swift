import HostServices
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// A plugin's key-value state beside the host's own keys (its pause, the build a job ran with, pull cursors): a
/// plugin could overwrite them, say, pausing its integration until the year 5138.
@Suite struct IntegrationStateTests {
    @Test func keysBeginningWithTwoUnderscoresAreTheHosts() {
        let state = MemoryState()
        _ = state.setValue("1800000000000", forKey: "__paused_until")
        let services = IntegrationServices(
            source: "plugin p", http: nil, state: state, log: CollectingLog(), redactor: Redactor())
        #expect(services.setValue("99999999999999", forKey: "__paused_until") == .data)
        #expect(services.setValue(String?.none, forKey: "__paused_until") == .data)
        #expect(services.value(forKey: "__paused_until") == nil)
        #expect(state.value(forKey: "__paused_until") == "1800000000000")
        #expect(services.setValue("site-1", forKey: "site") == .ok)
        #expect(services.value(forKey: "site") == "site-1")
    }
}
