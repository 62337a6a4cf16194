#include "agent/probes/http_prober.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"

namespace pantau::agent {
namespace {

constexpr char kUserAgent[] = "pantau-agent/0.1 (+court website monitor)";
constexpr size_t kMaxErrorBytes = 1000;

struct BodyCounter {
  int64_t bytes = 0;
  int64_t limit = 0;
  bool truncated = false;
};

size_t CountBody(char* /*data*/, size_t size, size_t nmemb, void* user) {
  auto* counter = static_cast<BodyCounter*>(user);
  const int64_t n = static_cast<int64_t>(size * nmemb);
  if (counter->bytes + n > counter->limit) {
    counter->bytes = counter->limit;
    counter->truncated = true;
    return 0;  // stops the transfer: the read is bounded
  }
  counter->bytes += n;
  return size * nmemb;
}

int64_t InfoMicros(CURL* curl, CURLINFO info) {
  curl_off_t value = 0;
  if (curl_easy_getinfo(curl, info, &value) != CURLE_OK) return 0;
  return static_cast<int64_t>(value);
}

bool IsExpected(const SiteConfig& site, long status) {
  if (site.expected_status.empty()) return status >= 200 && status < 400;
  return std::find(site.expected_status.begin(), site.expected_status.end(),
                   static_cast<int>(status)) != site.expected_status.end();
}

}  // namespace

void GlobalInitCurl() { curl_global_init(CURL_GLOBAL_DEFAULT); }

v1::ProbeResult HttpProber::Probe(const SiteConfig& site, absl::Time started) const {
  v1::ProbeResult result;
  result.set_site(site.id);
  result.set_url(site.url);
  result.set_started_unix_ms(absl::ToUnixMillis(started));

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    result.set_error("cannot create a curl handle");
    return result;
  }
  CURL* c = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = {0};
  BodyCounter body{0, max_body_bytes_, false};
  const long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(site.timeout));
  curl_easy_setopt(c, CURLOPT_URL, site.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // what a browser would get
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CountBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  // A fresh connection each time: we measure what a visitor's first request costs.
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);

  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // curl's times are cumulative from the start; the proto wants each phase on its own.
  const int64_t dns = InfoMicros(c, CURLINFO_NAMELOOKUP_TIME_T);
  const int64_t connect = InfoMicros(c, CURLINFO_CONNECT_TIME_T);
  const int64_t tls = InfoMicros(c, CURLINFO_APPCONNECT_TIME_T);
  const int64_t first_byte = InfoMicros(c, CURLINFO_STARTTRANSFER_TIME_T);
  const int64_t total = InfoMicros(c, CURLINFO_TOTAL_TIME_T);
  const int64_t ready = tls > 0 ? tls : connect;
  result.set_dns_us(dns);
  result.set_connect_us(connect > dns ? connect - dns : 0);
  result.set_tls_us(tls > connect ? tls - connect : 0);
  result.set_first_byte_us(first_byte > ready ? first_byte - ready : 0);
  result.set_total_us(total);
  result.set_body_bytes(body.bytes);
  result.set_http_status(static_cast<int>(status));

  const bool transfer_ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && body.truncated);
  if (!transfer_ok) {
    std::string text = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    result.set_error(text.substr(0, kMaxErrorBytes));
    return result;
  }
  if (!IsExpected(site, status)) {
    result.set_error(absl::StrCat("unexpected HTTP status ", status));
    return result;
  }
  result.set_up(true);
  return result;
}

}  // namespace pantau::agent
