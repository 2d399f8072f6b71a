// A plugin written in plain C against cryptoconnect_plugin.h, proving the ABI needs no Swift. The tests compile it
// with the system C compiler, once per variant, choosing behaviour with -D flags:
//
//   FIXTURE_ID, FIXTURE_VERSION      identity (defaults "c-fixture", "1.0.0")
//   FIXTURE_MAGIC, FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR, FIXTURE_STRUCT_SIZE
//   FIXTURE_EXTRA_CAPABILITIES       capability bits beside push, pull and schema
//   FIXTURE_DEFAULT_MAPPING          the default mapping's JSON
//                                    manifest header overrides, for the loader's rejection reasons
//   FIXTURE_NO_ENTRY                 export no cc_plugin_entry
//   FIXTURE_NULL_CREATE              leave `create` NULL (an invalid manifest)
//   FIXTURE_ENTRY_CRASH, FIXTURE_ENTRY_HANG
//                                    misbehave inside cc_plugin_entry
//
// At run time a push batch may ask for a fault by carrying a record with a field "fault" set to one of
// "segfault", "abort", "exit", "hang", "allocate", "print", "flood", "garbage", "unknown_key": a plugin that breaks on some
// input, then behaves on the next call. "environment" answers how many CRYPTOCONNECT_* variables the plugin can see.
#define _GNU_SOURCE  // memmem
#include "cryptoconnect_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef FIXTURE_ID
#define FIXTURE_ID "c-fixture"
#endif
#ifndef FIXTURE_VERSION
#define FIXTURE_VERSION "1.0.0"
#endif
#ifndef FIXTURE_MAGIC
#define FIXTURE_MAGIC CC_PLUGIN_MAGIC
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR CC_ABI_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR CC_ABI_MINOR
#endif
#ifndef FIXTURE_DEFAULT_MAPPING
#define FIXTURE_DEFAULT_MAPPING "[{\"source_field\":\"asset.hostname\",\"target_field\":\"name\"}]"
#endif
#ifndef FIXTURE_EXTRA_CAPABILITIES
#define FIXTURE_EXTRA_CAPABILITIES 0
#endif
#ifndef FIXTURE_STRUCT_SIZE
#define FIXTURE_STRUCT_SIZE sizeof(cc_plugin_manifest)
#endif

struct cc_instance {
  const cc_host_services *host;
  long calls;
  char *config;  // as received: the tests check no secret ever arrives here
};

static void write_text(const cc_output *out, const char *text) { out->write(out->context, text, strlen(text)); }

__attribute__((unused)) static cc_status fixture_create(const cc_plugin_manifest *manifest, const char *config, size_t length,
                                const cc_host_services *host, cc_instance **instance, const cc_output *error) {
  (void)manifest;
  if (length > 0 && memmem(config, length, "\"reject\":true", 13) != NULL) {
    write_text(error, "{\"message\":\"configuration field `reject` asks to fail\"}");
    return CC_ERR_CONFIG;
  }
  cc_instance *created = calloc(1, sizeof *created);
  if (created == NULL) return CC_ERR_INTERNAL;
  created->host = host;
  created->config = strndup(config, length);
  *instance = created;
  return CC_OK;
}

static void fixture_destroy(cc_instance *instance) {
  free(instance->config);
  free(instance);
}

static void collect(void *context, const char *data, size_t length);

struct collected {
  char text[256];
  size_t length;
};

// With "ping": true in its configuration, the connection test makes a real request through the host.
static cc_status fixture_ping(cc_instance *instance, const cc_output *out) {
  struct collected body = {.length = 0}, error = {.length = 0};
  cc_http_header accept = {.name = "Accept", .value = "application/json"};
  cc_http_request request = {.struct_size = sizeof request, .method = "GET", .url = "/ping", .headers = &accept,
                             .header_count = 1};
  cc_http_response response = {.struct_size = sizeof response,
                               .headers = {.context = NULL, .write = NULL},
                               .body = {.context = &body, .write = collect},
                               .error = {.context = &error, .write = collect}};
  response.headers.write = collect;
  struct collected headers = {.length = 0};
  response.headers.context = &headers;
  cc_status status = instance->host->http_request(instance->host->context, &request, &response);
  if (status != CC_OK) {
    char message[400];
    snprintf(message, sizeof message, "{\"message\":\"ping failed: %s\"}", error.text);
    write_text(out, message);
    return status;
  }
  char answer[1024];
  snprintf(answer, sizeof answer, "{\"status\":%d,\"body\":%s,\"config\":%s}", response.status_code,
           body.length ? body.text : "null", instance->config);
  write_text(out, answer);
  return CC_OK;
}

static cc_status fixture_test(cc_instance *instance, const cc_output *out) {
  if (strstr(instance->config, "\"ping\":true") != NULL) return fixture_ping(instance, out);
  const char *line = "test_connection from " FIXTURE_ID " " FIXTURE_VERSION;
  instance->host->log(instance->host->context, CC_LOG_INFO, line, strlen(line));
  char answer[160];
  snprintf(answer, sizeof answer, "{\"message\":\"ok\",\"version\":\"%s\",\"language\":\"c\",\"pid\":%d}",
           FIXTURE_VERSION, (int)getpid());
  write_text(out, answer);
  return CC_OK;
}

static cc_status fixture_schema(cc_instance *instance, const cc_output *out) {
  (void)instance;
  write_text(out, "{\"tables\":[{\"name\":\"items\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}]}");
  return CC_OK;
}

static int has(const char *batch, size_t length, const char *needle) {
  return memmem(batch, length, needle, strlen(needle)) != NULL;
}

static void fault(const char *batch, size_t length, const cc_output *out) {
  if (has(batch, length, "\"fault\":\"segfault\"")) {
    volatile int *nowhere = NULL;
    *nowhere = 1;
  }
  if (has(batch, length, "\"fault\":\"abort\"")) abort();
  if (has(batch, length, "\"fault\":\"exit\"")) exit(0);
  if (has(batch, length, "\"fault\":\"hang\"")) {
    for (;;) pause();
  }
  if (has(batch, length, "\"fault\":\"allocate\"")) {
    for (;;) {
      char *block = malloc(16 << 20);
      memset(block, 1, 16 << 20);  // a leak that touches its memory, like a real one
    }
  }
  if (has(batch, length, "\"fault\":\"print\"")) {
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = 0;
    for (int i = 0; i < 4096; i++) {
      puts(line);  // 4 MiB on stdout, which must not corrupt the channel
      fputs("noise on stderr\n", stderr);
    }
    fflush(stdout);
  }
  if (has(batch, length, "\"fault\":\"flood\"")) {
    // 80 MiB of output in one call, past the host's limit.
    static char chunk[1 << 20];
    memset(chunk, ' ', sizeof chunk);
    for (int i = 0; i < 80; i++) out->write(out->context, chunk, sizeof chunk);
  }
  if (has(batch, length, "\"fault\":\"scribble\"")) {
    // Writes over the worker's private channel (descriptor 3), as a buggy plugin might.
    const char junk[] = "\xff\xff\xff\x7fgarbage";
    if (write(3, junk, sizeof junk - 1) < 0) abort();
  }
  (void)out;
}

#ifdef FIXTURE_READS_AT_LOAD
// Tries to open a file as the plugin is loaded (its constructor runs inside `dlopen`), as a harmful plugin might.
static int opened_at_load = -1;
__attribute__((constructor)) static void read_at_load(void) {
  int fd = open(FIXTURE_READS_AT_LOAD, O_RDONLY | O_CLOEXEC);
  opened_at_load = fd >= 0;
  if (fd >= 0) close(fd);
}
#endif

#ifdef FIXTURE_WRITES_AT_LOAD
// Leaves a file behind as the plugin is loaded, wherever it is loaded (a manifest scan as well as a worker).
__attribute__((constructor)) static void write_at_load(void) {
  int fd = open(FIXTURE_WRITES_AT_LOAD, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
}
#endif

// Tries to reach outside the worker (TCP to a port on 127.0.0.1, a signal to the host), if the batch asks.
static int reaches(const char *batch, size_t length, char *summary, size_t size) {
  const char *port = memmem(batch, length, "\"connect_port\":", 15);
  if (port != NULL) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port + 15)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int connected = fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    int error = connected ? 0 : errno;
    if (fd >= 0) close(fd);
    snprintf(summary, size, "{\"connected\":%s,\"errno\":%d}", connected ? "true" : "false", error);
    return 1;
  }
  if (has(batch, length, "\"signal_host\":true")) {
    int sent = kill(getppid(), 0) == 0;
    snprintf(summary, size, "{\"signalled\":%s,\"errno\":%d}", sent ? "true" : "false", sent ? 0 : errno);
    return 1;
  }
#ifdef FIXTURE_READS_AT_LOAD
  if (has(batch, length, "\"opened_at_load\":true")) {
    snprintf(summary, size, "{\"opened\":%s}", opened_at_load == 1 ? "true" : "false");
    return 1;
  }
#endif
  return 0;
}

// Tries to open the path that follows `field` in the batch, if it is there, and says in `summary` whether it could.
static int opens(const char *batch, size_t length, const char *field, int flags, char *summary, size_t size) {
  const char *start = memmem(batch, length, field, strlen(field));
  if (start == NULL) return 0;
  start += strlen(field);
  const char *end = memchr(start, '"', (size_t)(batch + length - start));
  if (end == NULL || (size_t)(end - start) >= 512) return 0;
  char path[512];
  memcpy(path, start, (size_t)(end - start));
  path[end - start] = 0;
  int fd = open(path, flags | O_CLOEXEC, 0600);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) close(fd);
  snprintf(summary, size, "{\"opened\":%s,\"errno\":%d}", fd >= 0 ? "true" : "false", error);
  return 1;
}

// Emits one result per `"key":"..."` in the batch (the host writes compact JSON with sorted keys).
static cc_status fixture_push(cc_instance *instance, const char *batch, size_t length, const cc_output *out) {
  fault(batch, length, out);
  if (has(batch, length, "\"fault\":\"garbage\"")) {
    write_text(out, "{this is not json");
    return CC_OK;
  }
  if (has(batch, length, "\"fault\":\"auth\"")) {
    write_text(out, "{\"message\":\"credentials refused by the target\"}");
    return CC_ERR_AUTH;
  }
  instance->calls++;
  const char *cursor = batch;
  const char *end = batch + length;
  long count = 0;
  while ((cursor = memmem(cursor, (size_t)(end - cursor), "\"key\":\"", 7)) != NULL) {
    cursor += 7;
    const char *close = memchr(cursor, '"', (size_t)(end - cursor));
    if (close == NULL) break;
    char key[256];
    size_t key_length = (size_t)(close - cursor) < sizeof key - 1 ? (size_t)(close - cursor) : sizeof key - 1;
    memcpy(key, cursor, key_length);
    key[key_length] = 0;
    cc_record_result result = {.struct_size = sizeof result, .status = CC_OK, .record_key = key,
                               .external_id = key, .action = "created"};
    instance->host->emit_result(instance->host->context, &result);
    count++;
    cursor = close + 1;
  }
  if (has(batch, length, "\"fault\":\"unknown_key\"")) {
    cc_record_result stray = {.struct_size = sizeof stray, .status = CC_OK, .record_key = "no-such-record"};
    instance->host->emit_result(instance->host->context, &stray);
  }
  char summary[128];
  if (has(batch, length, "\"fault\":\"environment\"")) {
    // What a plugin sees of the host's environment: its CRYPTOCONNECT_* variables (none, if the host scrubs them).
    extern char **environ;
    long host_variables = 0;
    for (char **variable = environ; *variable != NULL; variable++) {
      if (strncmp(*variable, "CRYPTOCONNECT_", 14) == 0) host_variables++;
    }
    snprintf(summary, sizeof summary, "{\"host_variables\":%ld,\"has_path\":%s}", host_variables,
             getenv("PATH") != NULL ? "true" : "false");
  } else if (opens(batch, length, "\"read_file\":\"", O_RDONLY, summary, sizeof summary) ||
             opens(batch, length, "\"write_file\":\"", O_WRONLY | O_CREAT, summary, sizeof summary) ||
             reaches(batch, length, summary, sizeof summary)) {
    // What a plugin may open: `summary` says whether it could.
  } else {
    snprintf(summary, sizeof summary, "{\"received\":%ld,\"version\":\"%s\"}", count, FIXTURE_VERSION);
  }
  write_text(out, summary);
  return CC_OK;
}

static void collect(void *context, const char *data, size_t length) {
  struct collected *into = context;
  size_t room = sizeof into->text - 1 - into->length;
  size_t take = length < room ? length : room;
  memcpy(into->text + into->length, data, take);
  into->length += take;
  into->text[into->length] = 0;
}

// Uses every stateful host service, so tests can see them cross the worker channel.
static cc_status fixture_pull(cc_instance *instance, const char *request, size_t length, const cc_output *out) {
  (void)request;
  (void)length;
  const cc_host_services *host = instance->host;
  struct collected previous = {.length = 0}, stored = {.length = 0};
  cc_output previous_out = {.context = &previous, .write = collect};
  cc_output stored_out = {.context = &stored, .write = collect};
  host->checkpoint_get(host->context, &previous_out);
  if (host->checkpoint_set(host->context, "2", 1) != CC_OK) return CC_ERR_INTERNAL;
  if (host->kv_set(host->context, "pulled", "yes", 3) != CC_OK) return CC_ERR_INTERNAL;
  int found = host->kv_get(host->context, "pulled", &stored_out);
  const char *records[] = {"{\"name\":\"web01\",\"ip\":\"10.0.0.1\"}", "{\"name\":\"db01\",\"ip\":\"10.0.0.2\"}"};
  for (int i = 0; i < 2; i++) host->emit_record(host->context, records[i], strlen(records[i]));
  char answer[1024];
  snprintf(answer, sizeof answer,
           "{\"checkpoint\":\"2\",\"has_more\":false,\"previous\":\"%s\",\"stored\":\"%s\",\"found\":%d,"
           "\"clock\":%lld}",
           previous.text, stored.text, found, (long long)host->clock_ms(host->context));
  write_text(out, answer);
  return CC_OK;
}

static const cc_plugin_manifest manifest = {
    .magic = FIXTURE_MAGIC,
    .struct_size = FIXTURE_STRUCT_SIZE,
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = FIXTURE_ABI_MINOR,
    .id = FIXTURE_ID,
    .name = "C fixture",
    .version = FIXTURE_VERSION,
    .vendor = "CryptoConnect tests",
    .description = "A plugin in plain C used by the test suite.",
    .capabilities = CC_CAP_PUSH | CC_CAP_PULL | CC_CAP_SCHEMA | FIXTURE_EXTRA_CAPABILITIES,
    .flags = CC_FLAG_CONCURRENT_INSTANCES,
    .config_schema_json = "{\"type\":\"object\",\"properties\":{\"reject\":{\"type\":\"boolean\"},"
                          "\"ping\":{\"type\":\"boolean\"},\"base_url\":{\"type\":\"string\"},"
                          "\"token\":{\"type\":\"string\",\"x-secret\":true},"
                          "\"auth\":{\"type\":\"object\",\"properties\":{\"type\":{\"type\":\"string\"},"
                          "\"username\":{\"type\":\"string\"},\"password\":{\"type\":\"string\",\"x-secret\":true}}}}}",
    .default_mapping_json = FIXTURE_DEFAULT_MAPPING,
#ifdef FIXTURE_NULL_CREATE
    .create = NULL,
#else
    .create = fixture_create,
#endif
    .destroy = fixture_destroy,
    .test_connection = fixture_test,
    .describe_schema = fixture_schema,
    .push_batch = fixture_push,
    .pull_page = fixture_pull,
    .handle_event = NULL,
};

#ifdef FIXTURE_NO_ENTRY
const cc_plugin_manifest *some_other_function(void) { return &manifest; }
#else
const cc_plugin_manifest *cc_plugin_entry(void) {
#ifdef FIXTURE_ENTRY_CRASH
  raise(SIGSEGV);
#endif
#ifdef FIXTURE_ENTRY_HANG
  for (;;) pause();
#endif
  return &manifest;
}
#endif
