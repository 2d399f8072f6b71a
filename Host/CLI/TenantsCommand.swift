import ArgumentParser
import Store
import SyncEngine

struct Tenants: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "Manage tenants (customers).",
        subcommands: [Add.self, List.self, Remove.self])
}

extension Tenants {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tenant.")
        @OptionGroup var host: HostOptions
        @Argument(help: "Tenant id: letters, digits, '-' or '_'.") var tenant: String

        func run() throws {
            do { try IntegrationRepository(store: try host.openStore()).addTenant(tenant) } catch let error
                as IntegrationRepository.Problem
            {
                throw CLIError(error.description)
            }
            print("Added tenant \(tenant).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var host: HostOptions

        func run() throws {
            let tenants = try IntegrationRepository(store: try host.openExistingStore()).tenants()
            print(tenants.isEmpty ? "No tenants." : tenants.joined(separator: "\n"))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a tenant with its integrations, jobs, dead letters, secrets and inventory.")
        @OptionGroup var host: HostOptions
        @Argument var tenant: String

        func run() throws {
            do { try IntegrationRepository(store: try host.openExistingStore()).removeTenant(tenant) } catch let error
                as IntegrationRepository.Problem
            {
                throw CLIError(error.description)
            }
            print("Removed tenant \(tenant).")
        }
    }
}
