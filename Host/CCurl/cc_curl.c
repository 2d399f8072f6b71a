// SwiftPM builds a C target only with a source file; the wrappers are static inline in the header.
#include "cc_curl.h"
