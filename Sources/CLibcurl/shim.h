#ifndef FAXD_CLIBCURL_SHIM_H
#define FAXD_CLIBCURL_SHIM_H
#include <curl/curl.h>
/* The loop that drives libcurl's socket interface watches its sockets with epoll and is woken through an
   eventfd (FaxdHTTP's CurlMultiLoop); Swift's Glibc module has neither header. */
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* curl_easy_setopt and curl_multi_setopt are variadic macros-backed functions that Swift cannot call.
   These typed wrappers are the only way the HTTP module sets options. */
static inline CURLcode faxd_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode faxd_curl_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode faxd_curl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode faxd_curl_easy_setopt_write_cb(CURL *h, CURLoption o, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, o, cb); }
static inline CURLcode faxd_curl_easy_setopt_xfer_cb(CURL *h, int (*cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
static inline CURLcode faxd_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode faxd_curl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
/* CURL_GLOBAL_DEFAULT is a compound macro that Swift does not import. */
static inline CURLcode faxd_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }
static inline CURLMcode faxd_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode faxd_curl_multi_setopt_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode faxd_curl_multi_setopt_socket_cb(CURLM *m, curl_socket_callback cb) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, cb); }
static inline CURLMcode faxd_curl_multi_setopt_timer_cb(CURLM *m, curl_multi_timer_callback cb) { return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, cb); }
#endif
