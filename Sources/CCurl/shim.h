#ifndef GATEHOUSE_CCURL_SHIM_H
#define GATEHOUSE_CCURL_SHIM_H
#include <curl/curl.h>
// curl_easy_setopt / curl_easy_getinfo are variadic and do not import into Swift.
static inline CURLcode gatehouse_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode gatehouse_curl_setopt_string(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode gatehouse_curl_setopt_pointer(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode gatehouse_curl_setopt_slist(CURL *c, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode gatehouse_curl_setopt_read_function(CURL *c, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(c, CURLOPT_READFUNCTION, f); }
static inline CURLcode gatehouse_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
// CURL_GLOBAL_DEFAULT is a macro expression that does not import into Swift.
static inline CURLcode gatehouse_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
// CURL_READFUNC_ABORT is a macro cast to size_t; returned by a read callback to abort the transfer.
static inline size_t gatehouse_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
#endif
