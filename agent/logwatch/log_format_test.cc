#include "agent/logwatch/log_format.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;

// 2024-01-31T16:59:59Z, the instant of "31/Jan/2024:23:59:59 +0700".
constexpr int64_t kJan31 = 1706720399;

LogFormat NamedFormat(absl::string_view name) {
  absl::StatusOr<LogFormat> format = LogFormat::FromName(name);
  EXPECT_TRUE(format.ok()) << format.status();
  return *format;
}

LogFormat NginxFormat(absl::string_view log_format) {
  absl::StatusOr<LogFormat> format = LogFormat::FromNginx(log_format);
  EXPECT_TRUE(format.ok()) << format.status();
  return format.ok() ? *format : NamedFormat("combined");
}

AccessLogParser MakeParser(absl::string_view name) { return AccessLogParser(NamedFormat(name)); }

AccessLogParser MakeNginxParser(absl::string_view log_format) {
  return AccessLogParser(NginxFormat(log_format));
}

// --- combined -------------------------------------------------------------------------------

TEST(CombinedFormat, ParsesEveryFieldOfATypicalLine) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "203.0.113.7 - - [31/Jan/2024:23:59:59 +0700] \"GET /berita?id=12&order=desc HTTP/1.1\" "
      "200 5123 \"https://pn-contoh.go.id/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "203.0.113.7");
  EXPECT_EQ(r.user, "");
  EXPECT_EQ(r.vhost, "");
  EXPECT_TRUE(r.time_known);
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/berita?id=12&order=desc");
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.bytes, 5123);
  EXPECT_EQ(r.referer, "https://pn-contoh.go.id/");
  EXPECT_EQ(r.user_agent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
  EXPECT_EQ(parser.last_error(), "");
}

TEST(CombinedFormat, ConvertsAnyUtcOffsetToUtc) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  const struct {
    const char* time;
    int64_t want;
  } cases[] = {
      {"31/Jan/2024:23:59:59 +0700", kJan31},
      {"31/Jan/2024:16:59:59 +0000", kJan31},
      {"31/Jan/2024:08:59:59 -0800", kJan31},
      {"31/Jan/2024:22:29:59 +0530", kJan31},
      {"01/Feb/2024:01:59:59 +0900", kJan31},
      {"29/Feb/2024:00:00:00 +0000", 1709164800},
      {"01/Jan/1970:00:00:00 +0000", 0},
  };
  for (const auto& c : cases) {
    const std::string line = std::string("10.0.0.1 - - [") + c.time +
                             "] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8.0\"";
    ASSERT_TRUE(parser.Parse(line, &r)) << c.time << ": " << parser.last_error();
    EXPECT_EQ(r.time_unix_s, c.want) << c.time;
  }
}

TEST(CombinedFormat, RepeatedTimeTextGivesTheSameValueFromTheCache) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  const std::string a = "10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"";
  const std::string b = "10.0.0.2 - - [31/Jan/2024:23:59:58 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(parser.Parse(a, &r));
    EXPECT_EQ(r.time_unix_s, kJan31);
    ASSERT_TRUE(parser.Parse(b, &r));
    EXPECT_EQ(r.time_unix_s, kJan31 - 1);
  }
  // A bad time after a cached good one is still rejected.
  EXPECT_FALSE(parser.Parse(
      "10.0.0.1 - - [31/Jan/2024:23:59:61 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"", &r));
}

TEST(CombinedFormat, AcceptsIpv6ClientsAndUsers) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "2001:db8::7:1 - admin [31/Jan/2024:23:59:59 +0700] \"POST /wp-login.php HTTP/2.0\" 302 0 "
      "\"-\" \"-\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "2001:db8::7:1");
  EXPECT_EQ(r.user, "admin");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.protocol, "HTTP/2.0");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.referer, "");
  EXPECT_EQ(r.user_agent, "");
  ASSERT_TRUE(parser.Parse(
      "::1 - - [31/Jan/2024:23:59:59 +0700] \"GET /server-status?auto HTTP/1.1\" 200 412 \"-\" "
      "\"Go-http-client/1.1\"",
      &r));
  EXPECT_EQ(r.client, "::1");
}

TEST(CombinedFormat, DashRequestFromNginx400And408IsWellFormed) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "198.51.100.4 - - [31/Jan/2024:23:59:59 +0700] \"-\" 408 0 \"-\" \"-\"", &r))
      << parser.last_error();
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.target, "");
  EXPECT_EQ(r.protocol, "");
  EXPECT_EQ(r.status, 408);
  ASSERT_TRUE(
      parser.Parse("198.51.100.4 - - [31/Jan/2024:23:59:59 +0700] \"\" 400 0 \"-\" \"-\"", &r));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.target, "");
}

TEST(CombinedFormat, TlsBytesOnTheHttpPortKeepStatusWithEmptyMethod) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "45.155.205.9 - - [31/Jan/2024:23:59:59 +0700] "
      "\"\\x16\\x03\\x01\\x00\\xEE\\x01\\x00\\x00\\xEA\\x03\\x03\\x8F\" 400 157 \"-\" \"-\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.target, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.bytes, 157);
  // Apache writes such bytes the same way; also plain junk words.
  ASSERT_TRUE(parser.Parse(
      "45.155.205.9 - - [31/Jan/2024:23:59:59 +0700] \"\\x05\\x01\\x00\" 400 226 \"-\" \"-\"",
      &r));
  EXPECT_EQ(r.method, "");
}

TEST(CombinedFormat, RequestsWithSpacesOrWithoutProtocol) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "10.1.1.1 - - [31/Jan/2024:23:59:59 +0700] \"GET /a b HTTP/1.1\" 400 0 \"-\" \"-\"", &r));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/a b");
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  ASSERT_TRUE(
      parser.Parse("10.1.1.1 - - [31/Jan/2024:23:59:59 +0700] \"GET /\" 200 10 \"-\" \"-\"", &r));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.protocol, "");
  ASSERT_TRUE(parser.Parse(
      "10.1.1.1 - - [31/Jan/2024:23:59:59 +0700] \"GET /search?q=select from HTTP/1.0\" 200 10 "
      "\"-\" \"-\"",
      &r));
  EXPECT_EQ(r.target, "/search?q=select from");
  EXPECT_EQ(r.protocol, "HTTP/1.0");
}

TEST(CombinedFormat, EscapedQuotesInsideQuotedFields) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  // nginx: \x22 for a quote; Apache: \" and \\.
  ASSERT_TRUE(parser.Parse(
      "10.2.2.2 - - [31/Jan/2024:23:59:59 +0700] \"GET /?q=\\x22><script>alert(1)</script> "
      "HTTP/1.1\" 200 10 \"-\" \"Mozilla \\x22evil\\x22\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.target, "/?q=\\x22><script>alert(1)</script>");
  EXPECT_EQ(r.user_agent, "Mozilla \\x22evil\\x22");
  ASSERT_TRUE(parser.Parse(
      "10.2.2.2 - - [31/Jan/2024:23:59:59 +0700] \"GET /?a=\\\"b\\\" HTTP/1.1\" 200 10 "
      "\"http://x/\\\"\" \"ua with \\\\ and \\\" quote\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.target, "/?a=\\\"b\\\"");
  EXPECT_EQ(r.referer, "http://x/\\\"");
  EXPECT_EQ(r.user_agent, "ua with \\\\ and \\\" quote");
}

TEST(CombinedFormat, ExtraTrailingFieldsStillCombined) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "10.3.3.3 - - [31/Jan/2024:23:59:59 +0700] \"GET /x HTTP/1.1\" 200 10 \"-\" \"curl/8.5\" "
      "\"203.0.113.99, 10.0.0.1\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.user_agent, "curl/8.5");
  ASSERT_TRUE(parser.Parse(
      "10.3.3.3 - - [31/Jan/2024:23:59:59 +0700] \"GET /x HTTP/1.1\" 200 10 \"-\" \"curl/8.5\" "
      "0.012 0.010",
      &r));
  EXPECT_EQ(r.target, "/x");
}

TEST(CombinedFormat, TrailingCarriageReturnAndVeryLongLines) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "10.4.4.4 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 10 \"-\" \"ua\"\r", &r));
  EXPECT_EQ(r.user_agent, "ua");
  const std::string long_target = "/" + std::string(200000, 'a');
  const std::string line = "10.4.4.4 - - [31/Jan/2024:23:59:59 +0700] \"GET " + long_target +
                           " HTTP/1.1\" 414 0 \"-\" \"" + std::string(50000, 'U') + "\"";
  ASSERT_TRUE(parser.Parse(line, &r)) << parser.last_error();
  EXPECT_EQ(r.target.size(), long_target.size());
  EXPECT_EQ(r.user_agent.size(), 50000u);
  EXPECT_EQ(r.status, 414);
}

TEST(CombinedFormat, MsecAndIso8601TimesInCustomFormats) {
  AccessLogParser iso = MakeNginxParser(
      "$remote_addr [$time_iso8601] \"$request\" $status $body_bytes_sent");
  AccessRecord r;
  ASSERT_TRUE(iso.Parse("10.0.0.9 [2024-01-31T23:59:59+07:00] \"GET / HTTP/1.1\" 200 3", &r))
      << iso.last_error();
  EXPECT_EQ(r.time_unix_s, kJan31);
  ASSERT_TRUE(iso.Parse("10.0.0.9 [2024-01-31T16:59:59Z] \"GET / HTTP/1.1\" 200 3", &r));
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_FALSE(iso.Parse("10.0.0.9 [2024-13-31T16:59:59Z] \"GET / HTTP/1.1\" 200 3", &r));
  EXPECT_THAT(std::string(iso.last_error()), HasSubstr("time_iso8601"));

  AccessLogParser msec = MakeNginxParser("$msec $remote_addr \"$request\" $status");
  ASSERT_TRUE(msec.Parse("1700000000.123 10.0.0.9 \"GET / HTTP/1.1\" 204", &r))
      << msec.last_error();
  EXPECT_EQ(r.time_unix_s, 1700000000);
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(msec.Parse("17000x0000.123 10.0.0.9 \"GET / HTTP/1.1\" 204", &r));
}

TEST(CombinedFormat, RejectsMalformedLinesWithAReason) {
  AccessLogParser parser = MakeParser("combined");
  AccessRecord r;
  const struct {
    std::string line;
    const char* reason;
  } cases[] = {
      {"", "empty"},
      {"10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1", "closing quote"},
      {"10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 10 \"-\" \"Mozilla",
       "closing quote"},
      {"10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" abc 10 \"-\" \"-\"",
       "status"},
      {"10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1x \"-\" \"-\"", "byte"},
      {"10.0.0.1 - - [31/jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", "time"},
      {"10.0.0.1 - - [31/Feb/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", "time"},
      {"10.0.0.1 - - [31/Jan/2024:23:59:59] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", "time"},
      {"10.0.0.1 - - [31/Jan/2024:23:59", "time"},
      {"10.0.0.1 - -", "separator"},
      {"\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00", "separator"},
      {"PHP Warning:  Undefined variable $x in /var/www/index.php on line 3", "separator"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(parser.Parse(c.line, &r)) << c.line;
    EXPECT_THAT(std::string(parser.last_error()), HasSubstr(c.reason)) << c.line;
    EXPECT_EQ(r.client, "") << "a rejected line leaves an empty record";
  }
}

// --- common, vhost_combined -----------------------------------------------------------------

TEST(CommonFormat, ParsesApacheCommonWithDashBytes) {
  AccessLogParser parser = MakeParser("common");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.user, "frank");
  EXPECT_EQ(r.time_unix_s, 971211336);
  EXPECT_EQ(r.bytes, 2326);
  EXPECT_EQ(r.user_agent, "");
  ASSERT_TRUE(parser.Parse(
      "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"HEAD / HTTP/1.0\" 304 -", &r));
  EXPECT_EQ(r.bytes, 0);
  EXPECT_EQ(r.status, 304);
  EXPECT_FALSE(parser.Parse("127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"HEAD / HTTP/1.0\" 304",
                            &r));
}

TEST(VhostCombinedFormat, ParsesVirtualHostAndPort) {
  AccessLogParser parser = MakeParser("vhost_combined");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "pn-contoh.go.id:443 192.0.2.10 - - [31/Jan/2024:23:59:59 +0700] \"GET /index.php HTTP/1.1\" "
      "200 7120 \"-\" \"Mozilla/5.0\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.vhost, "pn-contoh.go.id");
  EXPECT_EQ(r.client, "192.0.2.10");
  EXPECT_EQ(r.bytes, 7120);
  EXPECT_EQ(r.time_unix_s, kJan31);
  ASSERT_TRUE(parser.Parse(
      "www.pa-contoh.go.id:80 2001:db8::1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" "
      "301 0 \"-\" \"-\"",
      &r));
  EXPECT_EQ(r.client, "2001:db8::1");
  // A combined line is not vhost_combined.
  EXPECT_FALSE(parser.Parse(
      "192.0.2.10 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", &r));
}

// --- auto -----------------------------------------------------------------------------------

TEST(AutoFormat, DetectsEachFormatPerLine) {
  AccessLogParser parser = MakeParser("auto");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "192.0.2.1 - - [31/Jan/2024:23:59:59 +0700] \"GET /a HTTP/1.1\" 200 1 \"-\" \"UA\"", &r));
  EXPECT_EQ(r.user_agent, "UA");
  ASSERT_TRUE(parser.Parse(
      "site.go.id:80 192.0.2.2 - - [31/Jan/2024:23:59:59 +0700] \"GET /b HTTP/1.1\" 200 1 \"-\" "
      "\"UA2\"",
      &r));
  EXPECT_EQ(r.vhost, "site.go.id");
  EXPECT_EQ(r.client, "192.0.2.2");
  ASSERT_TRUE(
      parser.Parse("192.0.2.3 - - [31/Jan/2024:23:59:59 +0700] \"GET /c HTTP/1.1\" 404 -", &r));
  EXPECT_EQ(r.target, "/c");
  EXPECT_EQ(r.status, 404);
  ASSERT_TRUE(parser.Parse(
      R"({"remote_addr":"192.0.2.4","request":"GET /d HTTP/1.1","status":500})", &r));
  EXPECT_EQ(r.client, "192.0.2.4");
  EXPECT_EQ(r.status, 500);
  // A combined line again after the others.
  ASSERT_TRUE(parser.Parse(
      "192.0.2.5 - - [31/Jan/2024:23:59:59 +0700] \"GET /e HTTP/1.1\" 200 1 \"-\" \"UA5\"", &r));
  EXPECT_EQ(r.user_agent, "UA5");
  EXPECT_FALSE(parser.Parse("2024/01/31 23:59:59 [error] 1#1: *1 open() failed", &r));
  EXPECT_THAT(std::string(parser.last_error()), HasSubstr("none of"));
}

// --- nginx log_format -----------------------------------------------------------------------

TEST(NginxFormat, CourtMainFormatWithTimingsAndForwardedFor) {
  AccessLogParser parser = MakeNginxParser(
      "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
      "\"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\" rt=$request_time "
      "urt=\"$upstream_response_time\" host=$host");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "172.16.5.4 - - [31/Jan/2024:23:59:59 +0700] \"GET /sipp/perkara HTTP/1.1\" 200 18234 "
      "\"https://pn-contoh.go.id/\" \"Mozilla/5.0 (X11; Linux x86_64)\" \"36.72.1.2, 172.16.5.1\" "
      "rt=0.532 urt=\"0.500, 0.030\" host=sipp.pn-contoh.go.id",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "172.16.5.4");
  EXPECT_EQ(r.target, "/sipp/perkara");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.bytes, 18234);
  EXPECT_EQ(r.user_agent, "Mozilla/5.0 (X11; Linux x86_64)");
  EXPECT_EQ(r.vhost, "sipp.pn-contoh.go.id");
  EXPECT_EQ(r.time_unix_s, kJan31);
  // Upstream timings of "-" and a missing forwarded-for.
  ASSERT_TRUE(parser.Parse(
      "172.16.5.4 - - [31/Jan/2024:23:59:59 +0700] \"GET /x HTTP/1.1\" 499 0 \"-\" \"-\" \"-\" "
      "rt=0.000 urt=\"-\" host=pn-contoh.go.id",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.status, 499);
  EXPECT_FALSE(parser.Parse(
      "172.16.5.4 - - [31/Jan/2024:23:59:59 +0700] \"GET /x HTTP/1.1\" 200 0 \"-\" \"-\"", &r));
}

TEST(NginxFormat, BracedVariablesMethodAndUriArgs) {
  AccessLogParser parser = MakeNginxParser(
      "${remote_addr}|${request_method}|$uri$is_args$args|$status|$bytes_sent|$server_name");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse("10.9.9.9|POST|/login.php?next=/admin|403|512|pn.go.id", &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "10.9.9.9");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/login.php?next=/admin");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.bytes, 512);
  EXPECT_EQ(r.vhost, "pn.go.id");
  EXPECT_FALSE(r.time_known);
  ASSERT_TRUE(parser.Parse("10.9.9.9|GET|/|200|1|pn.go.id", &r));
  EXPECT_EQ(r.target, "/");
}

TEST(NginxFormat, AcceptsTheQuotedPiecesOfNginxConf) {
  AccessLogParser parser = MakeNginxParser(
      "'$remote_addr - $remote_user [$time_local] \"$request\" '\n"
      "                    '$status $body_bytes_sent \"$http_referer\" '\n"
      "                    '\"$http_user_agent\"';");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      "10.0.0.1 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"UA\"", &r))
      << parser.last_error();
  EXPECT_EQ(r.user_agent, "UA");
}

TEST(NginxFormat, ValidationErrors) {
  EXPECT_THAT(LogFormat::FromNginx(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(LogFormat::FromNginx("   "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(LogFormat::FromNginx("just text"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no variable")));
  EXPECT_THAT(LogFormat::FromNginx("$remote_addr$request"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nothing between")));
  EXPECT_THAT(LogFormat::FromNginx("$remote_addr \"$request\" $status$body_bytes_sent"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("$status and")));
  EXPECT_THAT(LogFormat::FromNginx("\"$request\" $status"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("$remote_addr")));
  EXPECT_THAT(LogFormat::FromNginx("$remote_addr $status"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("$request")));
  EXPECT_THAT(LogFormat::FromNginx("${remote_addr \"$request\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("${")));
  EXPECT_THAT(LogFormat::FromNginx("'$remote_addr \"$request\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quoted")));
  absl::StatusOr<LogFormat> ok = LogFormat::FromNginx("$remote_addr \"$request_uri\"");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->name(), "nginx");
}

TEST(LogFormatNames, KnownNamesAndAnError) {
  for (const char* name : {"combined", "common", "vhost_combined", "json", "auto"}) {
    absl::StatusOr<LogFormat> f = LogFormat::FromName(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_EQ(f->name(), name);
  }
  EXPECT_THAT(LogFormat::FromName("combinedd"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vhost_combined")));
}

// --- JSON -----------------------------------------------------------------------------------

TEST(JsonFormat, ParsesNginxEscapeJsonLines) {
  AccessLogParser parser = MakeParser("json");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      R"({"time_local":"31/Jan/2024:23:59:59 +0700","remote_addr":"203.0.113.5",)"
      R"("remote_user":"","request":"GET /cari?q=%22a%22 HTTP/1.1","status": "200",)"
      R"("body_bytes_sent":"1534","request_time":"0.010","http_referer":"",)"
      R"("http_user_agent":"Mozilla/5.0","host":"pn-contoh.go.id"})",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "203.0.113.5");
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/cari?q=%22a%22");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.bytes, 1534);
  EXPECT_EQ(r.user_agent, "Mozilla/5.0");
  EXPECT_EQ(r.vhost, "pn-contoh.go.id");
}

TEST(JsonFormat, NumbersMethodUriAndOtherTimeKeys) {
  AccessLogParser parser = MakeParser("json");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      R"( { "@timestamp" : "2024-01-31T16:59:59.250Z", "remote_addr":"::1", "request_method":"PUT",)"
      R"( "request_uri":"/api/x?y=1", "status":201, "bytes_sent": 99, "extra": null, "ok": true } )",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/api/x?y=1");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.bytes, 99);
  ASSERT_TRUE(parser.Parse(
      R"({"msec":1700000000.123,"remote_addr":"10.0.0.1","uri":"/a","args":"b=1"})", &r))
      << parser.last_error();
  EXPECT_EQ(r.time_unix_s, 1700000000);
  EXPECT_EQ(r.target, "/a?b=1");
}

TEST(JsonFormat, DecodesEscapesAndSurrogatePairs) {
  AccessLogParser parser = MakeParser("json");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      R"({"remote_addr":"10.0.0.1","request":"GET /\u0061b\/c HTTP/1.1",)"
      R"("http_user_agent":"caf\u00e9 \u20ac \ud83d\ude00 \"q\" \\ \t end",)"
      R"("http_referer":"lone \ud800 x"})",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.target, "/ab/c");
  EXPECT_EQ(r.user_agent, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \"q\" \\ \t end");
  EXPECT_EQ(r.referer, "lone \xEF\xBF\xBD x");
}

TEST(JsonFormat, SkipsNestedValues) {
  AccessLogParser parser = MakeParser("json");
  AccessRecord r;
  ASSERT_TRUE(parser.Parse(
      R"({"headers":{"a":[1,2,{"b":"}]"}],"c":{}},"remote_addr":"10.0.0.2",)"
      R"("list":[[[]]],"request":"GET / HTTP/1.1","status":404})",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.client, "10.0.0.2");
  EXPECT_EQ(r.status, 404);
  const std::string deep = R"({"remote_addr":"1.1.1.1","x":)" + std::string(100, '[') +
                           std::string(100, ']') + "}";
  EXPECT_FALSE(parser.Parse(deep, &r));
  EXPECT_THAT(std::string(parser.last_error()), HasSubstr("deep"));
}

TEST(JsonFormat, RejectsMalformedJson) {
  AccessLogParser parser = MakeParser("json");
  AccessRecord r;
  const char* bad[] = {
      R"({"remote_addr":"10.0.0.1")",
      R"({"remote_addr":"10.0.0.1)",
      R"({"remote_addr" "10.0.0.1"})",
      R"({"remote_addr":"10.0.0.1",})",
      R"({"remote_addr":"10.0.0.1"} trailing)",
      R"({"remote_addr":"1\q"})",
      R"({"remote_addr":"1\u12G4"})",
      R"({"remote_addr":01})",
      R"({"remote_addr":tru})",
      R"({"remote_addr":"1","status":"abc"})",
      R"({"remote_addr":"1","x":[1,2})",
      R"({"remote_addr":"1","x":[1,2}]})",
      R"({"remote_addr":"1","time_local":"yesterday"})",
      R"({"other":"1"})",
      R"([1,2])",
      "{\"remote_addr\":\"a\x01\"}",
  };
  for (const char* line : bad) {
    EXPECT_FALSE(parser.Parse(line, &r)) << line;
    EXPECT_FALSE(parser.last_error().empty()) << line;
  }
}

// --- error logs -----------------------------------------------------------------------------

TEST(ErrorLog, ParsesNginxErrorLines) {
  ErrorLogParser parser(7 * 3600);  // the server logs WIB
  ErrorRecord r;
  ASSERT_TRUE(parser.Parse(
      "2024/01/31 23:59:59 [error] 1234#1234: *5678 open() \"/var/www/html/.env\" failed (2: No "
      "such file or directory), client: 198.51.100.23, server: pn-contoh.go.id, request: \"GET "
      "/.env HTTP/1.1\", host: \"pn-contoh.go.id\"",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_EQ(r.level, "error");
  EXPECT_EQ(r.client, "198.51.100.23");
  EXPECT_EQ(r.request, "GET /.env HTTP/1.1");
  EXPECT_THAT(std::string(r.message), ::testing::StartsWith("open() \"/var/www/html/.env\""));
  ASSERT_TRUE(parser.Parse(
      "2024/01/31 10:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)",
      &r));
  EXPECT_EQ(r.level, "emerg");
  EXPECT_EQ(r.client, "");
  EXPECT_EQ(r.message, "bind() to 0.0.0.0:80 failed (98: Address already in use)");
  ASSERT_TRUE(parser.Parse(
      "2024/01/31 10:00:00 [warn] 7#7: *9 limiting requests, excess: 10.500 by zone \"one\", "
      "client: 2001:db8::5, server: _, request: \"POST /xmlrpc.php HTTP/1.1\"\r",
      &r));
  EXPECT_EQ(r.client, "2001:db8::5");
  EXPECT_EQ(r.request, "POST /xmlrpc.php HTTP/1.1");
}

TEST(ErrorLog, ParsesApache24And22Lines) {
  ErrorLogParser parser;
  ErrorRecord r;
  ASSERT_TRUE(parser.Parse(
      "[Wed Jan 31 16:59:59.123456 2024] [core:error] [pid 1234:tid 140234] [client "
      "198.51.100.7:51234] AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.time_unix_s, kJan31);
  EXPECT_EQ(r.level, "error");
  EXPECT_EQ(r.client, "198.51.100.7");
  EXPECT_EQ(r.message, "AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1");
  ASSERT_TRUE(parser.Parse(
      "[Wed Jan 31 16:59:59.123456 2024] [php7:warn] [pid 99] [client 2001:db8::9:40000] PHP "
      "Warning:  foo",
      &r));
  EXPECT_EQ(r.level, "warn");
  EXPECT_EQ(r.client, "2001:db8::9");
  ASSERT_TRUE(parser.Parse(
      "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server "
      "configuration: /export/home/live/ap/htdocs/test",
      &r))
      << parser.last_error();
  EXPECT_EQ(r.time_unix_s, 971274772);
  EXPECT_EQ(r.level, "error");
  EXPECT_EQ(r.client, "127.0.0.1");
  EXPECT_EQ(r.message, "client denied by server configuration: /export/home/live/ap/htdocs/test");
  ASSERT_TRUE(parser.Parse("[Wed Jan 31 16:59:59.5 2024] [mpm_event:notice] [pid 1:tid 2] "
                           "AH00489: Apache/2.4.57 (Debian) configured",
                           &r));
  EXPECT_EQ(r.level, "notice");
  EXPECT_EQ(r.client, "");
}

TEST(ErrorLog, RejectsContinuationLinesAndJunk) {
  ErrorLogParser parser;
  ErrorRecord r;
  const char* bad[] = {
      "",
      "PHP Stack trace:",
      "PHP   1. {main}() /var/www/html/index.php:0",
      "#0 /var/www/html/index.php(12): foo()",
      "  thrown in /var/www/html/x.php on line 3",
      "[31-Jan-2024 16:59:59 UTC] PHP Fatal error:  Uncaught Error",
      "[Wed Jan 31 16:59:59 2024] error without brackets",
      "2024/01/31 23:59:59 [error] no pid",
      "2024/13/31 23:59:59 [error] 1#1: bad month",
      "2024/01/31 23:59:59 [Error] 1#1: bad level case",
      "\x16\x03\x01\x00\xee",
  };
  for (const char* line : bad) {
    EXPECT_FALSE(parser.Parse(line, &r)) << line;
    EXPECT_FALSE(parser.last_error().empty()) << line;
  }
}

// --- robustness -----------------------------------------------------------------------------

TEST(ParserRobustness, RandomBytesAndTruncationsNeverCrash) {
  std::vector<std::unique_ptr<AccessLogParser>> parsers;
  for (const char* name : {"combined", "common", "vhost_combined", "json", "auto"}) {
    parsers.push_back(std::make_unique<AccessLogParser>(NamedFormat(name)));
  }
  parsers.push_back(std::make_unique<AccessLogParser>(NginxFormat(
      "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
      "\"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\" $request_time")));
  ErrorLogParser error_parser;
  const std::vector<std::string> valid = {
      "203.0.113.7 - - [31/Jan/2024:23:59:59 +0700] \"GET /a?b=\\\"c HTTP/1.1\" 200 5123 \"-\" "
      "\"Mozilla/5.0\" \"1.2.3.4\" 0.005",
      "pn.go.id:443 192.0.2.10 - - [31/Jan/2024:23:59:59 +0700] \"GET / HTTP/1.1\" 200 7 \"-\" "
      "\"x\"",
      R"({"remote_addr":"1.2.3.4","request":"GET /\ud83d\ude00 HTTP/1.1","h":{"a":[1,{"b":2}]},"status":200})",
      "2024/01/31 23:59:59 [error] 1#1: *2 x, client: 1.2.3.4, request: \"GET / HTTP/1.1\"",
      "[Wed Jan 31 16:59:59.123456 2024] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] AH0: m",
  };
  std::mt19937 rng(20240131);
  AccessRecord record;
  ErrorRecord error_record;
  int accepted = 0;
  auto feed = [&](absl::string_view line) {
    for (auto& p : parsers) {
      const bool ok = p->Parse(line, &record);
      accepted += ok;
      // A rejected line always says why; an accepted one says nothing.
      EXPECT_EQ(ok, p->last_error().empty());
    }
    const bool ok = error_parser.Parse(line, &error_record);
    EXPECT_EQ(ok, error_parser.last_error().empty());
  };
  for (const std::string& line : valid) {
    for (size_t n = 0; n <= line.size(); ++n) feed(absl::string_view(line).substr(0, n));
  }
  for (int i = 0; i < 3000; ++i) {
    std::string line = valid[rng() % valid.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      line[rng() % line.size()] = static_cast<char>(rng());
    }
    feed(line);
    std::string junk(rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    feed(junk);
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace pantau::agent::logwatch
