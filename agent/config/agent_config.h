// The agent's configuration: one immutable struct, loaded and validated once from YAML.
//
//   PANTAU_ASSIGN_OR_RETURN(AgentConfig config, LoadAgentConfig("/etc/pantau/agent.yaml"));
#ifndef PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_
#define PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/logwatch/active_response.h"

namespace pantau::agent {

// The DNS check of a site (YAML: `sites[].dns`; absent = no DNS check beyond what the HTTP
// probe's own lookup shows).
struct DnsCheckConfig {
  bool enabled = false;
  // Resolvers asked besides the system's, "ip" or "ip:port" or "[ipv6]:port" (resolvers,
  // at most 8). Answers that disagree with each other are a finding.
  std::vector<std::string> resolvers;
  // Addresses the name must resolve to (expected_addresses); another address is a finding.
  std::vector<std::string> expected_addresses;
  absl::Duration interval = absl::Seconds(300);  // interval_seconds, 10..86400
  absl::Duration jitter = absl::Seconds(10);     // jitter_seconds, 0..3600
  absl::Duration timeout = absl::Seconds(5);     // timeout_seconds, 0.1..60
};

// The TCP port check of a site (YAML: `sites[].tcp`; absent = none).
struct TcpCheckConfig {
  // Ports that must accept connections on the site's host (ports, 1..65535, at most 16).
  std::vector<int> ports;
  absl::Duration interval = absl::Seconds(60);  // interval_seconds, 5..86400
  absl::Duration jitter = absl::Seconds(2);     // jitter_seconds, 0..3600
  absl::Duration timeout = absl::Seconds(5);    // timeout_seconds, 0.1..60
};

// Content checks of a site's page (YAML: `sites[].content`). On by default.
struct ContentCheckConfig {
  bool enabled = true;                           // enabled
  absl::Duration interval = absl::Seconds(900);  // interval_seconds, 30..86400
  absl::Duration jitter = absl::Seconds(30);     // jitter_seconds, 0..3600
  absl::Duration timeout = absl::Seconds(30);    // timeout_seconds (each fetch), 1..120
  // Words the page must show / must never show (must_contain, must_not_contain).
  std::vector<std::string> must_contain;
  std::vector<std::string> must_not_contain;
  // Share of the page's visible text that may change between runs before it is a defacement
  // finding (defacement_threshold, 0.05..1). Default 0.6.
  double defacement_threshold = 0.6;
  // Fetch again as Googlebot / Google-InspectionTool / a Google-search visitor and compare
  // (cloaking). Default true.
  bool cloaking = true;
  // Read robots.txt sitemaps and compare with the previous run (sitemaps). Default true.
  bool sitemaps = true;
  // Check the court information-service pages of court_type (required_pages). Default true
  // when court_type is set.
  bool required_pages = true;
  // A news listing page whose newest date tells when the site was last updated (news_url);
  // empty = only feeds, sitemaps and headers.
  std::string news_url;
  // Content older than this many days is a "content_stale" finding (max_content_age_days,
  // 1..3650). Default 30.
  int max_content_age_days = 30;
  // Other hosts that belong to the site (own_hosts): redirects to them are not "off-site".
  std::vector<std::string> own_hosts;
};

// One web-server log of a site (YAML: an entry of `sites[].logs`).
struct LogSourceConfig {
  // Files to follow: paths or globs (path: one, or paths: a list; at most 32). Required.
  std::vector<std::string> paths;
  // "access" or "error" (type). Default access.
  std::string type = "access";
  // Access-log format (format): combined, common, vhost_combined, json, auto, or nginx with
  // `log_format`. Default combined; giving log_format alone means nginx.
  std::string format = "combined";
  // An nginx log_format string (log_format), for format nginx.
  std::string log_format;
};

// Web-server log watching for all sites (YAML: `logwatch`).
struct LogwatchConfig {
  // Rule files read after the shipped data_dir/logwatch/rules.yaml (rules_files); their rule
  // ids must not repeat shipped ones.
  std::vector<std::string> rules_files;
  // How often the logs are read (poll_interval_seconds, 0.1..60). Default 1 s.
  absl::Duration poll_interval = absl::Seconds(1);
  // How often statistics, alerts and read positions are committed to the spool together
  // (checkpoint_seconds, 1..300). Default 5 s. A crash re-reads at most this much.
  absl::Duration checkpoint_interval = absl::Seconds(5);
  // An alert closes after this long without a new matching request from its client
  // (aggregate_window_seconds, 10..86400). Default 300 s.
  absl::Duration aggregate_window = absl::Seconds(300);
  // Longer lines are cut here and counted (max_line_bytes, 1024..1 MiB). Default 16 KiB.
  int64_t max_line_bytes = 16 * 1024;
  // Logs met for the first time are read from their end (start_at_end). Default true.
  bool start_at_end = true;
  // Legacy GeoIP country databases (geoip_file, geoip_v6_file), e.g. Debian's
  // /usr/share/GeoIP/GeoIP.dat. Empty = no countries in the statistics.
  std::string geoip_file;
  std::string geoip_v6_file;
  // nftables bans after brute-force or scanner alerts (active_response). Off by default.
  logwatch::ActiveResponseConfig active_response;
};

// A database dumped into each backup (YAML: an entry of `sites[].backup.databases`). The
// command's standard output is streamed into the archive as databases/<name>.sql (in parts of
// at most 64 MiB: databases/<name>.sql.part00001, ...); it is never written to disk first.
struct DatabaseDumpConfig {
  // 1..64 bytes of [A-Za-z0-9._-] (name). Required, unique within the job.
  std::string name;
  // The program and its arguments, run without a shell (command), e.g.
  // [mysqldump, --single-transaction, --defaults-extra-file=/etc/pantau/my.cnf, joomla].
  // A non-zero exit fails the backup with the last lines of its standard error.
  std::vector<std::string> command;
  // The dump is killed after this long (timeout_seconds, 10..86400). Default 3600.
  absl::Duration timeout = absl::Seconds(3600);
};

// Backups of a site to media (YAML: `sites[].backup`; absent = none).
struct BackupJobConfig {
  bool enabled = false;  // true when the key is present, unless enabled: false
  // Directories backed up (paths), absolute. Default: the site's web_root.
  std::vector<std::string> paths;
  // Left out (exclude): fnmatch(3) patterns matched against the path relative to its backup
  // path and against the file name ("*.log", "cache/*", "wp-content/cache"). A matching
  // directory is skipped whole. At most 100.
  std::vector<std::string> exclude;
  std::vector<DatabaseDumpConfig> databases;  // at most 16
  // Time between backups (interval_seconds, 60..604800). Default 6 h (the SOP's).
  absl::Duration interval = absl::Hours(6);
  // A full archive is made when the last full one is older than this (full_interval_hours,
  // 0..8760); runs between are incremental (they reference the unchanged files of the last
  // full archive). 0 = every run is full. Default 24.
  absl::Duration full_interval = absl::Hours(24);
  // Backup media: absolute directories, e.g. a mounted disk (media, 1..8). Each gets its own
  // copy of every archive. Required.
  std::vector<std::string> media;
  // zstd level (compression_level, 1..19). Default 3.
  int compression_level = 3;
  // Retention (keep_last 1..1000, default 8; keep_daily 0..366, default 7; keep_weekly
  // 0..520, default 4): the newest keep_last backups, plus the newest of each of the last
  // keep_daily days and keep_weekly weeks, plus the full archives these depend on.
  int keep_last = 8;
  int keep_daily = 7;
  int keep_weekly = 4;
  // Re-read every archive from every medium after writing it and check every hash (verify).
  // Default true.
  bool verify = true;
  // Space that must remain free on a medium after the archive (min_free_mb, 0..1048576).
  // Default 64 MiB.
  int64_t min_free_bytes = int64_t{64} << 20;
};

// Web-root integrity monitoring (YAML: `sites[].integrity`). On by default when the site has
// a web_root.
struct IntegrityConfig {
  bool enabled = true;  // enabled (only meaningful with a web_root)
  // Upload directories relative to the web root (upload_dirs): a script appearing there is
  // critical. Default: common CMS upload folders that exist under the web root.
  std::vector<std::string> upload_dirs = {"uploads", "upload", "wp-content/uploads",
                                          "images", "files", "media", "assets/uploads",
                                          "storage", "tmp"};
  // Not watched (exclude): fnmatch(3) patterns on the path relative to the web root and on
  // the file name ("cache/*", "*.log"). At most 100.
  std::vector<std::string> exclude;
  // A full rescan every rescan_interval_seconds (60..604800), besides inotify. Default 1 h.
  absl::Duration rescan_interval = absl::Hours(1);
  // How much of a file's start and of its end is searched for signatures (max_read_bytes,
  // 4096..67108864). Default 1 MiB each.
  int64_t max_read_bytes = int64_t{1} << 20;
  // Changes are looked at this long after inotify reports them, so a file being written is
  // read once complete (settle_ms, 0..10000). Default 300 ms.
  absl::Duration settle = absl::Milliseconds(300);
};

// One monitored site (YAML: an entry of `sites`).
struct SiteConfig {
  // Site id, 1..128 bytes of [A-Za-z0-9._-] (id). Required, unique.
  std::string id;
  // http:// or https:// URL to probe (url). Required.
  std::string url;
  // Court type for the required-pages checklist: PN, PA, MS, PTUN, PM (first instance), PT,
  // PTA, MSA, PTTUN, PMT (appeal), PMU (court_type). Empty = no checklist.
  std::string court_type;
  // Time between availability probes (interval_seconds, 1..86400). Default 60 s.
  absl::Duration interval = absl::Seconds(60);
  // Each probe is moved by a random amount in [0, jitter] so probes of many agents do not
  // arrive together (jitter_seconds, 0..3600, at most the interval). Default 2 s.
  absl::Duration jitter = absl::Seconds(2);
  // Whole-probe timeout (timeout_seconds, 0.1..120). Default 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Status codes that count as up (expected_status). Empty = 200..399.
  std::vector<int> expected_status;
  // Redirects followed (max_redirects, 0..20). Default 5.
  int max_redirects = 5;
  // A certificate with fewer days left is a "tls_expiring" finding (tls_min_days, 0..365).
  // Default 14.
  int tls_min_days = 14;
  DnsCheckConfig dns;
  TcpCheckConfig tcp;
  ContentCheckConfig content;
  // Web-server logs of the site (logs). Empty = no log watching.
  std::vector<LogSourceConfig> logs;
  // The site's document root on this host (web_root), absolute; empty when the site is not
  // served from this host. Integrity monitoring and the default backup path use it.
  std::string web_root;
  IntegrityConfig integrity;
  BackupJobConfig backup;
};

// Where and how to reach the collector (YAML: `collector`).
struct CollectorLinkConfig {
  // host:port (address). Required.
  std::string address;
  // CA certificate (PEM) that signed the collector's certificate (ca_file); empty = system CAs.
  std::string ca_file;
  // Plaintext gRPC (insecure). Only for tests and loopback demos. Default false.
  bool insecure = false;
  // File holding this agent's token, sent as "authorization: Bearer" (token_file). Optional.
  std::string token_file;
  // Deadline of one Push call (push_timeout_seconds, 1..300). Default 15 s.
  absl::Duration push_timeout = absl::Seconds(15);
  // Retry backoff after a failed push: starts at initial, doubles up to max, with jitter
  // (backoff_initial_seconds 0.05..60, default 0.5; backoff_max_seconds 1..3600, default 60).
  absl::Duration backoff_initial = absl::Milliseconds(500);
  absl::Duration backoff_max = absl::Seconds(60);
};

// The durable outbox (YAML: `spool`).
struct SpoolConfig {
  // Most events kept while the collector is unreachable (max_events, 100..10000000); beyond it
  // the least important events are dropped, each drop counted and logged. Default 100000.
  int64_t max_events = 100000;
  // Most events per Push (batch_max_events, 1..1000). Default 500.
  int batch_max_events = 500;
};

struct AgentConfig {
  // This agent's id, 1..128 bytes of [A-Za-z0-9._-] (agent_id). Required.
  std::string agent_id;
  // Court (satker) code, e.g. "PN-JKT-PST" (court_id, 0..64 bytes). Default empty.
  std::string court_id;
  // Directory for the agent's state: the spool database (state_dir). Default /var/lib/pantau-agent.
  std::string state_dir = "/var/lib/pantau-agent";
  // Prometheus /metrics address (metrics_listen); empty disables it. Default empty.
  std::string metrics_listen;
  // Log level (log_level): debug, info, warning, error. Default info.
  std::string log_level = "info";
  // How often a heartbeat is sent (heartbeat_seconds, 5..3600). Default 60 s.
  absl::Duration heartbeat_interval = absl::Seconds(60);
  // Most response-body bytes read per fetch (max_body_bytes, 1024..1 GiB). Default 5 MiB.
  int64_t max_body_bytes = 5 << 20;
  // Fetches running at once across all checks (max_concurrent_fetches, 1..1000). Default 32.
  int max_concurrent_fetches = 32;
  // Data files: gambling terms, defacement phrases, required pages (data_dir).
  // Default /usr/share/pantau/data.
  std::string data_dir = "/usr/share/pantau/data";
  // CA bundle (PEM) for verifying sites' certificates (ca_file); empty = the system's.
  std::string ca_file;
  CollectorLinkConfig collector;
  SpoolConfig spool;
  LogwatchConfig logwatch;
  std::vector<SiteConfig> sites;
};

// Loads and validates; InvalidArgument names the file, line and key of the first problem.
absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);
absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view yaml, absl::string_view source_name);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_
