/*
 * cryptoconnect_plugin.h: PluginAPI, the only contract between the CryptoConnect host and its plugins.
 *
 * A plugin is a shared object that exports one function, `cc_plugin_entry`, returning a pointer to a constant
 * manifest: who the plugin is, what it can do, and a table of functions the host calls. The host hands each
 * instance a table of host services (logging, HTTP, results, checkpoints, key-value state, clock). No language
 * runtime type crosses the boundary: structured data crosses as UTF-8 JSON, everything else as C scalars.
 *
 * VERSIONING
 *   - CC_ABI_MAJOR changes only when an existing item changes meaning or layout. The host refuses a plugin built
 *     for another major ("abi_major_mismatch").
 *   - CC_ABI_MINOR grows when items are appended. The host refuses a plugin whose minor is newer than its own
 *     ("abi_minor_too_new"); a plugin built for an older minor loads, and the host never reads past its
 *     `struct_size`.
 *   - Structs that may grow start with `uint32_t struct_size` (the writer's sizeof) and only ever grow at their end.
 *     Each appended field is marked with the minor version that added it. A reader checks `struct_size` before
 *     reading a field that is newer than the oldest version it accepts.
 *   - Status codes, capability bits and flag bits are stable numbers: never renumbered, never reused.
 *
 * OWNERSHIP
 *   - Inputs are borrowed: a pointer passed into a function is valid only until that function returns. Copy what
 *     you need to keep.
 *   - Outputs never transfer memory. The receiver hands the producer a `cc_output`; the producer calls its `write`
 *     (any number of times, the pieces are appended) and the receiver copies the bytes at once. Nothing is ever
 *     freed across the boundary.
 *   - The manifest and every string it points to are owned by the plugin and stay valid, unchanged, for as long
 *     as the shared object is loaded.
 *   - The host-service table given to `create` stays valid until `destroy` returns for that instance.
 *
 * THREADING
 *   - An instance is called from one thread at a time; it may be a different thread from call to call.
 *   - Separate instances are called concurrently only if the manifest sets CC_FLAG_CONCURRENT_INSTANCES;
 *     otherwise the host serialises every call into the plugin.
 *   - Host services may be called only from inside a call the host made into that instance, on the calling
 *     thread (or a thread that the call waits for before returning).
 *
 * STRINGS are UTF-8 and NUL-terminated unless a length is passed next to them. JSON documents are passed with an
 * explicit length and are not NUL-terminated.
 */
#ifndef CRYPTOCONNECT_PLUGIN_H
#define CRYPTOCONNECT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "CCPI" in ASCII: the first four bytes of every manifest. */
#define CC_PLUGIN_MAGIC 0x43435049u
#define CC_ABI_MAJOR 1
#define CC_ABI_MINOR 0

/* The name of the one exported symbol, a function (dlsym is only guaranteed for functions). */
#define CC_PLUGIN_ENTRY_SYMBOL "cc_plugin_entry"

/* ---------------------------------------------------------------------------------------------------------------
 * Status codes. Every function that can fail returns one. Stable numbers (1.0 unless marked).
 * ------------------------------------------------------------------------------------------------------------- */
typedef int32_t cc_status;
enum {
  CC_OK = 0,
  CC_ERR_CONNECTION = 1,   /* the target could not be reached: DNS, refused, reset. Retryable. */
  CC_ERR_AUTH = 2,         /* credentials refused (HTTP 401/403). Not retryable: the integration is paused. */
  CC_ERR_RATE_LIMITED = 3, /* throttled (HTTP 429, Qualys 409); carries retry-after where known. Retryable. */
  CC_ERR_DATA = 4,         /* the record or request is invalid for the target (validation, schema). Dead-letter. */
  CC_ERR_CONFLICT = 5,     /* business logic: conflict, duplicate, state that forbids the change. Dead-letter. */
  CC_ERR_UNSUPPORTED = 6,  /* the plugin or target does not support the operation or option. */
  CC_ERR_INTERNAL = 7,     /* a bug or unexpected state inside the plugin. */
  CC_ERR_TIMEOUT = 8,      /* the target did not answer in time. Retryable. */
  CC_ERR_TLS = 9,          /* TLS failed: untrusted certificate, handshake, client certificate refused. */
  CC_ERR_SERVER = 10,      /* the target failed (HTTP 5xx). Retryable. */
  CC_ERR_CONFIG = 11,      /* the configuration given to `create` is invalid; the message names the field. */
  CC_ERR_NOT_FOUND = 12,   /* the record or object addressed does not exist in the target. */
  CC_ERR_CIRCUIT_OPEN = 13 /* the host's circuit breaker for this integration is open; the call was not sent. */
};

/* Capability bits of `cc_plugin_manifest.capabilities`. */
enum {
  CC_CAP_PUSH = 1u << 0,   /* push_batch is implemented */
  CC_CAP_PULL = 1u << 1,   /* pull_page is implemented */
  CC_CAP_SCHEMA = 1u << 2, /* describe_schema is implemented */
  CC_CAP_EVENTS = 1u << 3  /* handle_event is implemented */
};

/* Flag bits of `cc_plugin_manifest.flags`. */
enum {
  CC_FLAG_CONCURRENT_INSTANCES = 1u << 0 /* separate instances may be called on different threads at once */
};

/* Log levels for `cc_host_services.log`. */
enum { CC_LOG_DEBUG = 0, CC_LOG_INFO = 1, CC_LOG_WARNING = 2, CC_LOG_ERROR = 3 };

/* ---------------------------------------------------------------------------------------------------------------
 * cc_output: how bytes leave a call. The receiver owns `context`; the producer calls `write` zero or more times
 * with borrowed bytes that the receiver copies before `write` returns.
 * ------------------------------------------------------------------------------------------------------------- */
typedef struct cc_output {
  void *context;
  void (*write)(void *context, const char *data, size_t length);
} cc_output;

/* ---------------------------------------------------------------------------------------------------------------
 * Host services: what the host offers a plugin instance. Handed to `create`, valid until `destroy` returns.
 * ------------------------------------------------------------------------------------------------------------- */

/* One HTTP header; both strings borrowed. */
typedef struct cc_http_header {
  const char *name;
  const char *value;
} cc_http_header;

/* Bits of `cc_http_request.flags`. */
enum {
  CC_HTTP_IDEMPOTENT = 1u << 0, /* safe to repeat although the method is not idempotent (pair with a key) */
  CC_HTTP_PRIORITY = 1u << 1    /* a critical call: takes the priority lane past normal rate-limited traffic */
};

/* A request the host performs. All pointers borrowed for the duration of `http_request`. The host adds
 * authentication, TLS settings, proxy, rate limiting, retries and circuit breaking from the integration's
 * configuration: a plugin never sees a credential. */
typedef struct cc_http_request {
  uint32_t struct_size;          /* sizeof(cc_http_request) as the plugin knows it */
  uint32_t flags;                /* CC_HTTP_* bits */
  const char *method;            /* "GET", "POST", "PUT", "PATCH", "DELETE", ... */
  const char *url;               /* absolute, or a path ("/api/now/table/x?y=1") joined to the configured base_url */
  const cc_http_header *headers; /* may be NULL when header_count is 0 */
  size_t header_count;
  const char *body; /* may be NULL when body_length is 0 */
  size_t body_length;
  const char *idempotency_key; /* nullable; sent as Idempotency-Key and makes a POST retryable */
  uint32_t timeout_ms;         /* total time for this request; 0 = the integration's default */
} cc_http_request;

/* What comes back. The plugin provides the struct and its outputs; the host fills the scalars and writes through
 * the outputs. `headers` receives "Name: value\n" lines, `body` the raw body. */
typedef struct cc_http_response {
  uint32_t struct_size;    /* sizeof(cc_http_response) as the plugin knows it */
  int32_t status_code;     /* filled by the host; 0 when no response arrived */
  uint32_t retry_after_ms; /* filled by the host from Retry-After / X-RateLimit-Reset; 0 = none */
  cc_output headers;
  cc_output body;
  cc_output error; /* a message (no secrets) when `http_request` returns other than CC_OK */
} cc_http_response;

/* A per-record outcome of push_batch, emitted once for every input record. All strings borrowed for the call. */
typedef struct cc_record_result {
  uint32_t struct_size;    /* sizeof(cc_record_result) as the plugin knows it */
  cc_status status;        /* CC_OK, or why this record failed */
  const char *record_key;  /* the `key` of the input record this result is for */
  const char *external_id; /* nullable: the target's id for the object (sys_id, device_id, asset key) */
  const char *action;      /* nullable: "created", "updated", "unchanged" or "deleted" */
  const char *message;     /* nullable: why it failed, for the dead-letter queue (no secrets) */
  uint32_t retry_after_ms; /* for CC_ERR_RATE_LIMITED: when to try again; 0 = unknown */
} cc_record_result;

typedef struct cc_host_services {
  uint32_t struct_size; /* sizeof(cc_host_services) as the host knows it; entries only ever appended */
  uint16_t abi_major;   /* the host's PluginAPI version */
  uint16_t abi_minor;
  void *context; /* opaque; pass it back as the first argument of every entry below */

  /* Writes a line to the host log, tagged with the plugin id, tenant and integration. */
  void (*log)(void *context, int32_t level, const char *message, size_t length);

  /* Performs an HTTP request (see cc_http_request). Returns CC_OK when a response arrived, whatever its status
   * code, after the host's retries; otherwise CC_ERR_CONNECTION, CC_ERR_TLS, CC_ERR_TIMEOUT, CC_ERR_RATE_LIMITED
   * (the host's own limiter could not admit the call in time), CC_ERR_CIRCUIT_OPEN or CC_ERR_CONFIG. */
  cc_status (*http_request)(void *context, const cc_http_request *request, cc_http_response *response);

  /* pull_page: hands the host one pulled record, a JSON object. */
  void (*emit_record)(void *context, const char *record_json, size_t length);

  /* push_batch: hands the host the outcome of one input record. */
  void (*emit_result)(void *context, const cc_record_result *result);

  /* The integration's checkpoint, an opaque string the plugin owns the meaning of. Writes nothing when none. */
  void (*checkpoint_get)(void *context, const cc_output *out);
  cc_status (*checkpoint_set)(void *context, const char *checkpoint, size_t length);

  /* Small key-value state scoped to the integration. kv_get returns 1 and writes the value when the key exists,
   * 0 otherwise. kv_set with value NULL deletes the key. Keys beginning with "__" are the host's: kv_get finds
   * none, kv_set refuses them (CC_ERR_DATA). */
  int32_t (*kv_get)(void *context, const char *key, const cc_output *out);
  cc_status (*kv_set)(void *context, const char *key, const char *value, size_t length);

  /* The host's clock in milliseconds since the Unix epoch (tests inject their own). */
  int64_t (*clock_ms)(void *context);
} cc_host_services;

/* ---------------------------------------------------------------------------------------------------------------
 * The manifest and its function table.
 *
 * Every `out` receives, on CC_OK, the operation's JSON result; on any other status, a JSON object
 * {"message": "...", "retry_after_ms": n} (plain text is accepted and taken as the message).
 * ------------------------------------------------------------------------------------------------------------- */
typedef struct cc_instance cc_instance; /* opaque, owned by the plugin */

typedef struct cc_plugin_manifest cc_plugin_manifest;
struct cc_plugin_manifest {
  uint32_t magic;       /* CC_PLUGIN_MAGIC */
  uint32_t struct_size; /* sizeof(cc_plugin_manifest) as the plugin was compiled */
  uint16_t abi_major;   /* CC_ABI_MAJOR the plugin was compiled with */
  uint16_t abi_minor;   /* CC_ABI_MINOR the plugin was compiled with */

  const char *id;          /* lowercase letters, digits and single dashes: "servicenow-cmdb" */
  const char *name;        /* for people: "ServiceNow CMDB" */
  const char *version;     /* semantic version: "1.4.2", "2.0.0-beta.1" */
  const char *vendor;      /* who publishes it */
  const char *description; /* one or two sentences */
  uint32_t capabilities;   /* CC_CAP_* bits; each set bit requires its function below */
  uint32_t flags;          /* CC_FLAG_* bits */

  /* JSON Schema (draft 2020-12 subset: type, properties, required, enum, default, description) of the
   * configuration. A property with "x-secret": true holds a credential: the host stores it encrypted, uses it for
   * authentication itself and never passes it to the plugin. */
  const char *config_schema_json;
  /* JSON array of the default field mapping: [{"source_field","target_field","target_table"?,"transform"?}], or
   * {"mapping": [...], "one_item_per": "asset"} for a target that holds one item per asset (a CMDB's CI): the host
   * then pushes an asset's records as one item, made of its riskiest record. */
  const char *default_mapping_json;

  /* Creates an instance from the configuration (a JSON object, secrets removed). `manifest` is this manifest, so
   * one implementation of `create` can serve several manifests. On failure writes a message to `error` and
   * returns CC_ERR_CONFIG (bad configuration) or another status; *instance is then left untouched. Required. */
  cc_status (*create)(const cc_plugin_manifest *manifest, const char *config_json, size_t config_length,
                      const cc_host_services *host, cc_instance **instance, const cc_output *error);
  /* Frees the instance. Never fails. Required. */
  void (*destroy)(cc_instance *instance);
  /* Checks connectivity and credentials with the lightest real request the target offers. Output: a JSON object,
   * e.g. {"message":"connected as svc_crypto"}. Required. */
  cc_status (*test_connection)(cc_instance *instance, const cc_output *out);
  /* CC_CAP_SCHEMA: describes the target's objects. Output: {"tables":[{"name","fields":[{"name","type"}]}]}. */
  cc_status (*describe_schema)(cc_instance *instance, const cc_output *out);
  /* CC_CAP_PUSH: input {"records":[{"key","operation":"upsert"|"delete","external_id"?,"table"?,"fields":{...}}]}.
   * Emits exactly one cc_record_result per input record through host->emit_result; a failure of some records is
   * normal and still returns CC_OK. A non-OK return fails the whole batch (e.g. CC_ERR_AUTH). Output: {} or a
   * summary object. */
  cc_status (*push_batch)(cc_instance *instance, const char *batch_json, size_t length, const cc_output *out);
  /* CC_CAP_PULL: input {"checkpoint": string|null, "page_size": n}. Emits each record through host->emit_record.
   * Output: {"checkpoint": string|null, "has_more": bool}. */
  cc_status (*pull_page)(cc_instance *instance, const char *request_json, size_t length, const cc_output *out);
  /* CC_CAP_EVENTS: input {"type":"discovery"|"alert"|"compliance_change"|"certificate_expiry", ...}. */
  cc_status (*handle_event)(cc_instance *instance, const char *event_json, size_t length, const cc_output *out);
};

/* The entry point every plugin exports. Returns the same pointer on every call; never NULL. */
const cc_plugin_manifest *cc_plugin_entry(void);
typedef const cc_plugin_manifest *(*cc_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* CRYPTOCONNECT_PLUGIN_H */
