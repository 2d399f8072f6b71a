// SwiftPM needs a public headers folder for a C target; this plugin has no API of its own.
