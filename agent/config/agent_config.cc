#include "agent/config/agent_config.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/url.h"
#include "common/yaml_fields.h"

namespace pantau::agent {
namespace {

constexpr const char* kCourtTypes[] = {"PN", "PA", "MS",  "PTUN", "PM", "PT",
                                       "PTA", "MSA", "PTTUN", "PMT", "PMU"};

absl::Status ParseDns(YamlFields& parent, const std::string& source, const std::string& prefix,
                      DnsCheckConfig* dns) {
  if (!parent.Has("dns")) return absl::OkStatus();
  YamlFields f(parent.Map("dns"), source, prefix + "dns.");
  dns->enabled = f.Bool("enabled", true);
  dns->resolvers = f.StringList("resolvers", 8, 64);
  dns->expected_addresses = f.StringList("expected_addresses", 32, 64);
  dns->interval = f.Seconds("interval_seconds", dns->interval, 10, 86400);
  dns->jitter = f.Seconds("jitter_seconds", dns->jitter, 0, 3600);
  dns->timeout = f.Seconds("timeout_seconds", dns->timeout, 0.1, 60);
  for (const std::string& r : dns->resolvers) {
    if (!f.status().ok()) break;
    if (absl::Status s = ValidateResolverAddress(r); !s.ok()) f.Fail("resolvers", s.message());
  }
  for (const std::string& a : dns->expected_addresses) {
    if (!f.status().ok()) break;
    if (!IsIpAddress(a)) f.Fail("expected_addresses", absl::StrCat("'", a, "' is not an IP address"));
  }
  if (f.status().ok() && dns->jitter > dns->interval) {
    f.Fail("jitter_seconds", "must not exceed interval_seconds");
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseTcp(YamlFields& parent, const std::string& source, const std::string& prefix,
                      TcpCheckConfig* tcp) {
  if (!parent.Has("tcp")) return absl::OkStatus();
  YamlFields f(parent.Map("tcp"), source, prefix + "tcp.");
  for (int64_t port : f.IntList("ports", 1, 65535)) tcp->ports.push_back(static_cast<int>(port));
  if (f.status().ok() && tcp->ports.size() > 16) f.Fail("ports", "at most 16 ports");
  if (f.status().ok() && tcp->ports.empty()) f.Fail("ports", "is required when tcp is given");
  tcp->interval = f.Seconds("interval_seconds", tcp->interval, 5, 86400);
  tcp->jitter = f.Seconds("jitter_seconds", tcp->jitter, 0, 3600);
  tcp->timeout = f.Seconds("timeout_seconds", tcp->timeout, 0.1, 60);
  if (f.status().ok() && tcp->jitter > tcp->interval) {
    f.Fail("jitter_seconds", "must not exceed interval_seconds");
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseContent(YamlFields& parent, const std::string& source,
                          const std::string& prefix, ContentCheckConfig* content) {
  if (!parent.Has("content")) return absl::OkStatus();
  YamlFields f(parent.Map("content"), source, prefix + "content.");
  content->enabled = f.Bool("enabled", content->enabled);
  content->interval = f.Seconds("interval_seconds", content->interval, 30, 86400);
  content->jitter = f.Seconds("jitter_seconds", content->jitter, 0, 3600);
  content->timeout = f.Seconds("timeout_seconds", content->timeout, 1, 120);
  content->must_contain = f.StringList("must_contain", 100, 256);
  content->must_not_contain = f.StringList("must_not_contain", 100, 256);
  content->defacement_threshold =
      f.Double("defacement_threshold", content->defacement_threshold, 0.05, 1);
  content->cloaking = f.Bool("cloaking", content->cloaking);
  content->sitemaps = f.Bool("sitemaps", content->sitemaps);
  content->required_pages = f.Bool("required_pages", content->required_pages);
  content->news_url = f.String("news_url", false);
  content->max_content_age_days = static_cast<int>(
      f.Int("max_content_age_days", content->max_content_age_days, 1, 3650));
  content->own_hosts = f.StringList("own_hosts", 32, 253);
  if (f.status().ok() && !content->news_url.empty() && !IsHttpUrl(content->news_url)) {
    f.Fail("news_url", "must start with http:// or https://");
  }
  if (f.status().ok() && content->jitter > content->interval) {
    f.Fail("jitter_seconds", "must not exceed interval_seconds");
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseLogs(YamlFields& parent, const std::string& source, const std::string& prefix,
                       std::vector<LogSourceConfig>* logs) {
  if (!parent.Has("logs")) return absl::OkStatus();
  std::vector<YAML::Node> nodes = parent.MapList("logs");
  PANTAU_RETURN_IF_ERROR(parent.status());
  if (nodes.size() > 16) {
    parent.Fail("logs", "has more than 16 entries");
    return parent.status();
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    LogSourceConfig log;
    YamlFields f(nodes[i], source, absl::StrCat(prefix, "logs[", i, "]."));
    std::string path = f.String("path", false);
    if (!path.empty()) log.paths.push_back(path);
    for (std::string& p : f.StringList("paths", 32, 4096)) log.paths.push_back(std::move(p));
    log.type = f.String("type", false, log.type);
    log.log_format = f.String("log_format", false);
    log.format = f.String("format", false, log.log_format.empty() ? log.format : "nginx");
    if (f.status().ok() && log.paths.empty()) f.Fail("path", "is required (path or paths)");
    if (f.status().ok() && log.paths.size() > 32) f.Fail("paths", "has more than 32 entries");
    for (const std::string& p : log.paths) {
      if (f.status().ok() && (p.empty() || p[0] != '/')) {
        f.Fail(path.empty() ? "paths" : "path", absl::StrCat("'", p, "' is not an absolute path"));
      }
    }
    if (f.status().ok() && log.type != "access" && log.type != "error") {
      f.Fail("type", "must be access or error");
    }
    static constexpr const char* kFormats[] = {"combined", "common", "vhost_combined",
                                               "json",     "auto",   "nginx"};
    if (f.status().ok() && std::find(std::begin(kFormats), std::end(kFormats), log.format) ==
                               std::end(kFormats)) {
      f.Fail("format", "must be combined, common, vhost_combined, json, auto or nginx");
    }
    if (f.status().ok() && log.format == "nginx" && log.log_format.empty()) {
      f.Fail("log_format", "is required with format nginx");
    }
    if (f.status().ok() && log.format != "nginx" && !log.log_format.empty()) {
      f.Fail("log_format", "is only used with format nginx");
    }
    f.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(f.status());
    logs->push_back(std::move(log));
  }
  return absl::OkStatus();
}

absl::Status ParseLogwatch(YamlFields& parent, const std::string& source, LogwatchConfig* lw) {
  if (!parent.Has("logwatch")) return absl::OkStatus();
  YamlFields f(parent.Map("logwatch"), source, "logwatch.");
  lw->rules_files = f.StringList("rules_files", 32, 4096);
  lw->poll_interval = f.Seconds("poll_interval_seconds", lw->poll_interval, 0.1, 60);
  lw->checkpoint_interval = f.Seconds("checkpoint_seconds", lw->checkpoint_interval, 1, 300);
  lw->aggregate_window =
      f.Seconds("aggregate_window_seconds", lw->aggregate_window, 10, 86400);
  lw->max_line_bytes = f.Int("max_line_bytes", lw->max_line_bytes, 1024, 1 << 20);
  lw->start_at_end = f.Bool("start_at_end", lw->start_at_end);
  lw->geoip_file = f.String("geoip_file", false);
  lw->geoip_v6_file = f.String("geoip_v6_file", false);
  if (f.status().ok() && !lw->geoip_v6_file.empty() && lw->geoip_file.empty()) {
    f.Fail("geoip_v6_file", "needs geoip_file as well");
  }
  PANTAU_RETURN_IF_ERROR(f.status());
  if (f.Has("active_response")) {
    logwatch::ActiveResponseConfig& ar = lw->active_response;
    YamlFields a(f.Map("active_response"), source, "logwatch.active_response.");
    ar.enabled = a.Bool("enabled", ar.enabled);
    if (a.Has("nft_command")) ar.nft_command = a.StringList("nft_command", 16, 4096);
    ar.table = a.String("table", false, ar.table);
    ar.set_v4 = a.String("set_v4", false, ar.set_v4);
    ar.set_v6 = a.String("set_v6", false, ar.set_v6);
    ar.ban_time = a.Seconds("ban_seconds", ar.ban_time, 60, 30 * 86400);
    ar.allow_list = a.StringList("allow_list", 1000, 64);
    if (a.Has("families")) ar.families = a.StringList("families", 32, 64);
    if (a.status().ok() && ar.nft_command.empty()) a.Fail("nft_command", "must not be empty");
    for (const std::string& entry : ar.allow_list) {
      if (a.status().ok() && !logwatch::ValidateAllowListEntry(entry).ok()) {
        a.Fail("allow_list", absl::StrCat("'", entry, "' is not an IP address or CIDR range"));
      }
    }
    a.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(a.status());
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

bool IsAbsoluteDir(const std::string& path) { return !path.empty() && path[0] == '/'; }

absl::Status ParseIntegrity(YamlFields& parent, const std::string& source,
                            const std::string& prefix, SiteConfig* site) {
  IntegrityConfig* in = &site->integrity;
  in->enabled = !site->web_root.empty();
  if (!parent.Has("integrity")) return absl::OkStatus();
  YamlFields f(parent.Map("integrity"), source, prefix + "integrity.");
  in->enabled = f.Bool("enabled", true);
  if (f.Has("upload_dirs")) in->upload_dirs = f.StringList("upload_dirs", 64, 1024);
  in->exclude = f.StringList("exclude", 100, 1024);
  in->rescan_interval = f.Seconds("rescan_interval_seconds", in->rescan_interval, 60, 604800);
  in->max_read_bytes = f.Int("max_read_bytes", in->max_read_bytes, 4096, int64_t{64} << 20);
  in->settle = absl::Milliseconds(f.Int("settle_ms", 300, 0, 10000));
  for (const std::string& dir : in->upload_dirs) {
    if (f.status().ok() && (dir[0] == '/' || absl::StrContains(dir, ".."))) {
      f.Fail("upload_dirs", absl::StrCat("'", dir, "' must be relative to web_root, without '..'"));
    }
  }
  if (f.status().ok() && in->enabled && site->web_root.empty()) {
    f.Fail("enabled", "integrity monitoring needs the site's web_root");
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseBackup(YamlFields& parent, const std::string& source, const std::string& prefix,
                         SiteConfig* site) {
  if (!parent.Has("backup")) return absl::OkStatus();
  BackupJobConfig* b = &site->backup;
  YamlFields f(parent.Map("backup"), source, prefix + "backup.");
  b->enabled = f.Bool("enabled", true);
  b->paths = f.StringList("paths", 32, 1024);
  if (b->paths.empty() && !site->web_root.empty()) b->paths.push_back(site->web_root);
  b->exclude = f.StringList("exclude", 100, 1024);
  b->interval = f.Seconds("interval_seconds", b->interval, 60, 604800);
  b->full_interval = absl::Hours(f.Int("full_interval_hours", 24, 0, 8760));
  b->media = f.StringList("media", 8, 1024);
  b->compression_level = static_cast<int>(f.Int("compression_level", b->compression_level, 1, 19));
  b->keep_last = static_cast<int>(f.Int("keep_last", b->keep_last, 1, 1000));
  b->keep_daily = static_cast<int>(f.Int("keep_daily", b->keep_daily, 0, 366));
  b->keep_weekly = static_cast<int>(f.Int("keep_weekly", b->keep_weekly, 0, 520));
  b->verify = f.Bool("verify", b->verify);
  b->min_free_bytes = f.Int("min_free_mb", b->min_free_bytes >> 20, 0, 1048576) << 20;
  std::vector<YAML::Node> dbs = f.MapList("databases");
  if (f.status().ok() && dbs.size() > 16) f.Fail("databases", "has more than 16 entries");
  std::set<std::string> names;
  for (size_t i = 0; i < dbs.size() && f.status().ok(); ++i) {
    YamlFields d(dbs[i], source, absl::StrCat(prefix, "backup.databases[", i, "]."));
    DatabaseDumpConfig db;
    db.name = d.String("name", true);
    db.command = d.StringList("command", 64, 4096);
    db.timeout = d.Seconds("timeout_seconds", db.timeout, 10, 86400);
    if (d.status().ok() && (!IsValidId(db.name) || db.name.size() > 64)) {
      d.Fail("name", "must be 1..64 bytes of letters, digits, '.', '_' or '-'");
    }
    if (d.status().ok() && db.command.empty()) {
      d.Fail("command", "is required: the dump program and its arguments, e.g. [pg_dump, mydb]");
    }
    if (d.status().ok() && !names.insert(db.name).second) {
      d.Fail("name", absl::StrCat("'", db.name, "' is used twice"));
    }
    d.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(d.status());
    b->databases.push_back(std::move(db));
  }
  if (f.status().ok() && b->enabled && b->paths.empty() && b->databases.empty()) {
    f.Fail("paths", "nothing to back up: give paths, databases or the site's web_root");
  }
  if (f.status().ok() && b->enabled && b->media.empty()) {
    f.Fail("media", "is required: one or more directories on backup media");
  }
  for (const std::string& path : b->paths) {
    if (f.status().ok() && !IsAbsoluteDir(path)) {
      f.Fail("paths", absl::StrCat("'", path, "' must be an absolute path"));
    }
  }
  for (const std::string& medium : b->media) {
    if (f.status().ok() && !IsAbsoluteDir(medium)) {
      f.Fail("media", absl::StrCat("'", medium, "' must be an absolute path"));
    }
    for (const std::string& path : b->paths) {
      std::string root = path.back() == '/' ? path : path + "/";
      if (f.status().ok() && (medium == path || absl::StartsWith(medium, root))) {
        f.Fail("media", absl::StrCat("'", medium, "' lies inside the backed-up path '", path,
                                     "' (the backup would contain itself)"));
      }
    }
  }
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseSite(const YAML::Node& node, const std::string& source, int index,
                       SiteConfig* site) {
  const std::string prefix = absl::StrCat("sites[", index, "].");
  YamlFields f(node, source, prefix);
  site->id = f.String("id", true);
  site->url = f.String("url", true);
  site->court_type = absl::AsciiStrToUpper(f.String("court_type", false));
  site->interval = f.Seconds("interval_seconds", site->interval, 1, 86400);
  site->jitter = f.Seconds("jitter_seconds", site->jitter, 0, 3600);
  site->timeout = f.Seconds("timeout_seconds", site->timeout, 0.1, 120);
  for (int64_t code : f.IntList("expected_status", 100, 599)) {
    site->expected_status.push_back(static_cast<int>(code));
  }
  site->max_redirects = static_cast<int>(f.Int("max_redirects", site->max_redirects, 0, 20));
  site->tls_min_days = static_cast<int>(f.Int("tls_min_days", site->tls_min_days, 0, 365));
  site->web_root = f.String("web_root", false);
  while (site->web_root.size() > 1 && site->web_root.back() == '/') site->web_root.pop_back();
  if (f.status().ok() && !site->web_root.empty() && !IsAbsoluteDir(site->web_root)) {
    f.Fail("web_root", "must be an absolute path");
  }
  if (f.status().ok() && !IsValidId(site->id)) {
    f.Fail("id", "must be 1..128 bytes of letters, digits, '.', '_' or '-'");
  }
  if (f.status().ok() && !IsHttpUrl(site->url)) f.Fail("url", "must start with http:// or https://");
  if (f.status().ok() && site->url.size() > 2048) f.Fail("url", "is longer than 2048 bytes");
  if (f.status().ok() && site->jitter > site->interval) {
    f.Fail("jitter_seconds", "must not exceed interval_seconds");
  }
  if (f.status().ok() && !site->court_type.empty() &&
      std::find(std::begin(kCourtTypes), std::end(kCourtTypes), site->court_type) ==
          std::end(kCourtTypes)) {
    f.Fail("court_type", "must be one of PN, PA, MS, PTUN, PM, PT, PTA, MSA, PTTUN, PMT, PMU");
  }
  PANTAU_RETURN_IF_ERROR(f.status());
  PANTAU_RETURN_IF_ERROR(ParseDns(f, source, prefix, &site->dns));
  PANTAU_RETURN_IF_ERROR(ParseTcp(f, source, prefix, &site->tcp));
  PANTAU_RETURN_IF_ERROR(ParseContent(f, source, prefix, &site->content));
  PANTAU_RETURN_IF_ERROR(ParseLogs(f, source, prefix, &site->logs));
  PANTAU_RETURN_IF_ERROR(ParseIntegrity(f, source, prefix, site));
  PANTAU_RETURN_IF_ERROR(ParseBackup(f, source, prefix, site));
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::StatusOr<AgentConfig> FromYaml(const YAML::Node& root, const std::string& source) {
  AgentConfig c;
  YamlFields f(root, source);
  c.agent_id = f.String("agent_id", true);
  c.court_id = f.String("court_id", false);
  c.state_dir = f.String("state_dir", false, c.state_dir);
  c.metrics_listen = f.String("metrics_listen", false);
  c.log_level = f.String("log_level", false, c.log_level);
  c.heartbeat_interval = f.Seconds("heartbeat_seconds", c.heartbeat_interval, 5, 3600);
  c.max_body_bytes = f.Int("max_body_bytes", c.max_body_bytes, 1024, int64_t{1} << 30);
  c.max_concurrent_fetches =
      static_cast<int>(f.Int("max_concurrent_fetches", c.max_concurrent_fetches, 1, 1000));
  c.data_dir = f.String("data_dir", false, c.data_dir);
  c.ca_file = f.String("ca_file", false);
  LogLevel level;
  if (f.status().ok() && !ParseLogLevel(c.log_level, &level)) {
    f.Fail("log_level", "must be debug, info, warning or error");
  }
  if (f.status().ok() && !IsValidId(c.agent_id)) {
    f.Fail("agent_id", "must be 1..128 bytes of letters, digits, '.', '_' or '-'");
  }
  if (f.status().ok() && c.court_id.size() > 64) f.Fail("court_id", "is longer than 64 bytes");

  YamlFields link(f.Map("collector"), source, "collector.");
  if (!f.Has("collector")) f.Fail("collector", "is required (collector.address at least)");
  c.collector.address = link.String("address", true);
  c.collector.ca_file = link.String("ca_file", false);
  c.collector.insecure = link.Bool("insecure", false);
  c.collector.token_file = link.String("token_file", false);
  c.collector.push_timeout = link.Seconds("push_timeout_seconds", c.collector.push_timeout, 1, 300);
  c.collector.backoff_initial =
      link.Seconds("backoff_initial_seconds", c.collector.backoff_initial, 0.05, 60);
  c.collector.backoff_max = link.Seconds("backoff_max_seconds", c.collector.backoff_max, 1, 3600);
  if (link.status().ok() && c.collector.backoff_initial > c.collector.backoff_max) {
    link.Fail("backoff_initial_seconds", "must not exceed backoff_max_seconds");
  }
  link.CheckNoUnknownKeys();

  YamlFields spool(f.Map("spool"), source, "spool.");
  c.spool.max_events = spool.Int("max_events", c.spool.max_events, 100, 10000000);
  c.spool.batch_max_events =
      static_cast<int>(spool.Int("batch_max_events", c.spool.batch_max_events, 1, 1000));
  spool.CheckNoUnknownKeys();

  std::vector<YAML::Node> sites = f.MapList("sites");
  PANTAU_RETURN_IF_ERROR(ParseLogwatch(f, source, &c.logwatch));
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  PANTAU_RETURN_IF_ERROR(link.status());
  PANTAU_RETURN_IF_ERROR(spool.status());
  std::set<std::string> ids;
  for (size_t i = 0; i < sites.size(); ++i) {
    SiteConfig site;
    PANTAU_RETURN_IF_ERROR(ParseSite(sites[i], source, static_cast<int>(i), &site));
    if (!ids.insert(site.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": sites[", i, "].id: '", site.id, "' is used twice"));
    }
    c.sites.push_back(std::move(site));
  }
  std::set<std::string> log_paths;
  for (size_t i = 0; i < c.sites.size(); ++i) {
    for (size_t j = 0; j < c.sites[i].logs.size(); ++j) {
      for (const std::string& path : c.sites[i].logs[j].paths) {
        if (!log_paths.insert(path).second) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ": sites[", i, "].logs[", j, "]: '", path,
              "' is already followed for another log (each file is read once)"));
        }
      }
    }
  }
  return c;
}

// yaml-cpp reports some shapes of input only by throwing; none of it may escape.
absl::StatusOr<AgentConfig> GuardedFromYaml(const YAML::Node& root, const std::string& source) {
  try {
    return FromYaml(root, source);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view yaml, absl::string_view source_name) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, source_name));
  return GuardedFromYaml(root, std::string(source_name));
}

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(path));
  return GuardedFromYaml(root, path);
}

}  // namespace pantau::agent
