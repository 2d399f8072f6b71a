// libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call, so each option
// type gets a typed wrapper here. Everything else is libcurl's own API, re-exported.
#ifndef CC_CURL_H
#define CC_CURL_H

#include <curl/curl.h>

static inline CURLcode cc_curl_set_long(CURL *handle, CURLoption option, long value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cc_curl_set_string(CURL *handle, CURLoption option, const char *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cc_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode cc_curl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(handle, option, value);
}

typedef size_t (*cc_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode cc_curl_set_callback(CURL *handle, CURLoption option, cc_curl_data_callback callback) {
  return curl_easy_setopt(handle, option, callback);
}

typedef int (*cc_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t downloaded,
                                         curl_off_t upload_total, curl_off_t uploaded);

// A transfer's progress, at least once a second even while nothing moves: returning non-zero aborts it.
static inline CURLcode cc_curl_set_progress(CURL *handle, cc_curl_progress_callback callback, void *context) {
  CURLcode result = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
  if (result == CURLE_OK) result = curl_easy_setopt(handle, CURLOPT_XFERINFODATA, context);
  if (result == CURLE_OK) result = curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  return result;
}

// Certificates and keys given as bytes (PEM), so a decrypted client key never touches the disk.
static inline CURLcode cc_curl_set_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
  struct curl_blob blob = {.data = (void *)data, .len = length, .flags = CURL_BLOB_COPY};
  return curl_easy_setopt(handle, option, &blob);
}

static inline CURLcode cc_curl_get_long(CURL *handle, CURLINFO info, long *value) {
  return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cc_curl_get_double(CURL *handle, CURLINFO info, double *value) {
  return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode cc_curl_get_off(CURL *handle, CURLINFO info, curl_off_t *value) {
  return curl_easy_getinfo(handle, info, value);
}

#endif
