-- pantau schema v2: probe kinds (http, dns, tcp) with TLS and DNS details, content check
-- reports, findings (history and the open set), content age.
--
-- "check" is a reserved word in SQL, so the column naming a check is check_name throughout.
-- A check is a CheckReport's `check` ("content", "cloaking", "sitemap", "required_pages",
-- "freshness", ...) or, for probe results, the probe kind ("http", "dns", "tcp").
-- Severity is Finding.Severity's number: 0 unspecified, 1 info, 2 warning, 3 critical.

-- Every probe result keeps its kind and details. Rows from before v2 read as http probes.
ALTER TABLE probe_results
  ADD COLUMN probe_kind     text NOT NULL DEFAULT 'http',
  ADD COLUMN http_version   text NOT NULL DEFAULT '',
  ADD COLUMN redirect_count integer NOT NULL DEFAULT 0,
  ADD COLUMN final_url      text NOT NULL DEFAULT '',
  ADD COLUMN tls_checked    boolean NOT NULL DEFAULT false,
  ADD COLUMN tls_verified   boolean NOT NULL DEFAULT false,
  ADD COLUMN tls_days_left  integer,  -- NULL when the certificate could not be read
  ADD COLUMN tls_issuer     text NOT NULL DEFAULT '',
  ADD COLUMN tls_error      text NOT NULL DEFAULT '',
  ADD COLUMN dns_answers    text[] NOT NULL DEFAULT '{}';

-- site_latest holds the newest *http* probe of each site (what GetStatus and pantau_site_up
-- report); dns and tcp probes never touch it. Their newest result per kind is in
-- site_probe_latest.
ALTER TABLE site_latest
  ADD COLUMN http_version  text NOT NULL DEFAULT '',
  ADD COLUMN final_url     text NOT NULL DEFAULT '',
  ADD COLUMN tls_checked   boolean NOT NULL DEFAULT false,
  ADD COLUMN tls_verified  boolean NOT NULL DEFAULT false,
  ADD COLUMN tls_days_left integer,  -- NULL when unknown
  ADD COLUMN tls_issuer    text NOT NULL DEFAULT '',
  ADD COLUMN tls_error     text NOT NULL DEFAULT '';

CREATE TABLE site_probe_latest (
  court_id    text NOT NULL,
  site        text NOT NULL,
  probe_kind  text NOT NULL,  -- dns or tcp
  agent_id    text NOT NULL,
  url         text NOT NULL,
  up          boolean NOT NULL,
  error       text NOT NULL,
  total_us    bigint NOT NULL,
  dns_answers text[] NOT NULL,
  started_at  timestamptz NOT NULL,
  PRIMARY KEY (court_id, site, probe_kind)
);

-- One row per CheckReport.
CREATE TABLE check_reports (
  court_id           text NOT NULL,
  agent_id           text NOT NULL,
  agent_event_id     bigint NOT NULL,
  batch_seq          bigint NOT NULL,
  site               text NOT NULL,
  check_name         text NOT NULL,
  started_at         timestamptz NOT NULL,
  error              text NOT NULL,
  findings_count     integer NOT NULL,
  content_age_days   double precision,  -- NULL unless content_age_known
  content_age_source text NOT NULL,
  received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_reports_site_time ON check_reports (court_id, site, check_name, started_at DESC);

-- Every finding of every probe result and check report, as reported (history).
CREATE TABLE findings (
  court_id       text NOT NULL,
  agent_id       text NOT NULL,
  agent_event_id bigint NOT NULL,
  site           text NOT NULL,
  check_name     text NOT NULL,
  kind           text NOT NULL,
  severity       smallint NOT NULL,
  key            text NOT NULL,
  detail         text NOT NULL,
  evidence       text NOT NULL,
  observed_at    timestamptz NOT NULL,  -- the report's start time
  received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX findings_site_time ON findings (court_id, site, observed_at DESC);

-- The newest report applied per (site, check). A report older than this (an agent's backlog
-- arriving late) is kept in the history but changes neither open_findings nor the gauges.
-- Reports that could not run (error set) are not applied.
CREATE TABLE site_check_state (
  court_id        text NOT NULL,
  site            text NOT NULL,
  check_name      text NOT NULL,
  last_started_at timestamptz NOT NULL,
  PRIMARY KEY (court_id, site, check_name)
);

-- Findings open now: exactly the findings of the applied report of each (site, check).
-- first_seen stays while a finding is reported again and again; a finding missing from a
-- newer report is deleted (resolved), and starts a new streak when it comes back.
CREATE TABLE open_findings (
  court_id    text NOT NULL,
  site        text NOT NULL,
  check_name  text NOT NULL,
  kind        text NOT NULL,
  key         text NOT NULL,
  severity    smallint NOT NULL,
  detail      text NOT NULL,
  evidence    text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (court_id, site, check_name, kind, key)
);

-- Content age from the newest freshness report that could tell it (content_age_known). A
-- newer report that cannot tell leaves the last known age in place (checked_at shows when).
CREATE TABLE site_content (
  court_id           text NOT NULL,
  site               text NOT NULL,
  content_age_days   double precision NOT NULL,
  content_age_source text NOT NULL,
  checked_at         timestamptz NOT NULL,
  PRIMARY KEY (court_id, site)
);
