// The cheapest possible plugin: every call succeeds at once. The isolation benchmark uses it to measure what the
// call path itself costs, in-process and across the worker channel. Built by SwiftPM as a dynamic library product,
// which also shows a C plugin needs nothing but the header.
#include "cryptoconnect_plugin.h"

#include <stdlib.h>

struct cc_instance {
  const cc_host_services *host;
};

static cc_status noop_create(const cc_plugin_manifest *manifest, const char *config, size_t length,
                             const cc_host_services *host, cc_instance **instance, const cc_output *error) {
  (void)manifest;
  (void)config;
  (void)length;
  (void)error;
  cc_instance *created = malloc(sizeof *created);
  if (created == NULL) return CC_ERR_INTERNAL;
  created->host = host;
  *instance = created;
  return CC_OK;
}

static void noop_destroy(cc_instance *instance) { free(instance); }

static cc_status noop_test(cc_instance *instance, const cc_output *out) {
  (void)instance;
  out->write(out->context, "{}", 2);
  return CC_OK;
}

static cc_status noop_push(cc_instance *instance, const char *batch, size_t length, const cc_output *out) {
  (void)instance;
  (void)batch;
  (void)length;
  out->write(out->context, "{}", 2);
  return CC_OK;
}

static const cc_plugin_manifest manifest = {
    .magic = CC_PLUGIN_MAGIC,
    .struct_size = sizeof(cc_plugin_manifest),
    .abi_major = CC_ABI_MAJOR,
    .abi_minor = CC_ABI_MINOR,
    .id = "bench-noop-c",
    .name = "No-op (benchmark)",
    .version = "1.0.0",
    .vendor = "CryptoConnect tests",
    .description = "Answers every call at once; measures the cost of the call path.",
    .capabilities = CC_CAP_PUSH,
    .flags = CC_FLAG_CONCURRENT_INSTANCES,
    .config_schema_json = "{\"type\":\"object\"}",
    .default_mapping_json = "[]",
    .create = noop_create,
    .destroy = noop_destroy,
    .test_connection = noop_test,
    .push_batch = noop_push,
};

const cc_plugin_manifest *cc_plugin_entry(void) { return &manifest; }
