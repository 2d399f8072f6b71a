import PluginSDK

@_cdecl("cc_plugin_entry") public func pluginEntry() -> UnsafeRawPointer { export(FileExportConnector.self) }
