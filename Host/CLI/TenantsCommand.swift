import ArgumentParser
import Inventory
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
        @Flag(help: "Remove a tenant that holds records or integrations (without it, the command says what it holds).")
        var yes = false

        func run() throws {
            let store = try host.openExistingStore()
            let repository = IntegrationRepository(store: store)
            // What goes with the tenant, said before anything is lost: nothing else asks.
            let records = try InventoryRepository(store: store).count(tenant: tenant)
            let integrations = try repository.integrations(tenant: tenant).count
            let holdings = "\(records) inventory record(s) and \(integrations) integration(s)"
            if records + integrations > 0, !yes {
                throw CLIError(
                    "tenant \(tenant) holds \(holdings), with their jobs, dead letters and secrets; "
                        + "add --yes to remove them all")
            }
            do { try repository.removeTenant(tenant) } catch let error as IntegrationRepository.Problem {
                throw CLIError(error.description)
            }
            print("Removed tenant \(tenant)" + (records + integrations > 0 ? " and its \(holdings)." : "."))
        }
    }
}
