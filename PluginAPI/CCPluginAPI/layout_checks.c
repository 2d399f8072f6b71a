// SwiftPM builds a C target only when it has a source file; the ABI itself is header-only. This file earns its
// place by pinning the v1.0 layout on 64-bit targets: an accidental reorder of the header fails the build here
// instead of breaking every plugin already compiled against it.
#include "cryptoconnect_plugin.h"

#include <stddef.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(offsetof(cc_plugin_manifest, struct_size) == 4, "manifest header moved");
_Static_assert(offsetof(cc_plugin_manifest, abi_major) == 8, "manifest header moved");
_Static_assert(offsetof(cc_plugin_manifest, abi_minor) == 10, "manifest header moved");
_Static_assert(offsetof(cc_plugin_manifest, id) == 16, "manifest v1.0 layout moved");
_Static_assert(offsetof(cc_plugin_manifest, capabilities) == 56, "manifest v1.0 layout moved");
_Static_assert(offsetof(cc_plugin_manifest, create) == 80, "manifest v1.0 layout moved");
_Static_assert(sizeof(cc_plugin_manifest) == 136, "manifest v1.0 size changed: append and bump CC_ABI_MINOR");
_Static_assert(sizeof(cc_host_services) == 88, "host services v1.0 size changed: append and bump CC_ABI_MINOR");
_Static_assert(sizeof(cc_http_request) == 72, "http request v1.0 size changed");
_Static_assert(sizeof(cc_record_result) == 48, "record result v1.0 size changed");
#endif
