-- pantau schema v1: agents, probe results, the latest result per site, central probe lists.
-- Every table carries court_id (the satker code) so it can be sharded by court later.

CREATE TABLE agents (
  agent_id       text PRIMARY KEY,
  court_id       text NOT NULL DEFAULT '',
  -- Highest batch_seq stored for this agent; a batch at or below it is not stored again.
  last_seq       bigint NOT NULL DEFAULT 0,
  first_seen     timestamptz NOT NULL DEFAULT now(),
  last_seen      timestamptz NOT NULL DEFAULT now(),
  agent_version  text NOT NULL DEFAULT '',
  spooled_events bigint NOT NULL DEFAULT 0,
  dropped_events bigint NOT NULL DEFAULT 0
);

CREATE TABLE probe_results (
  court_id       text NOT NULL,
  agent_id       text NOT NULL,
  agent_event_id bigint NOT NULL,
  batch_seq      bigint NOT NULL,
  site           text NOT NULL,
  url            text NOT NULL,
  started_at     timestamptz NOT NULL,
  up             boolean NOT NULL,
  http_status    integer NOT NULL,
  dns_us         bigint NOT NULL,
  connect_us     bigint NOT NULL,
  tls_us         bigint NOT NULL,
  first_byte_us  bigint NOT NULL,
  total_us       bigint NOT NULL,
  body_bytes     bigint NOT NULL,
  error          text NOT NULL DEFAULT '',
  received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX probe_results_site_time ON probe_results (court_id, site, started_at DESC);

-- Heartbeats: proof of life of an agent and the state of its spool.
CREATE TABLE agent_heartbeats (
  court_id       text NOT NULL,
  agent_id       text NOT NULL,
  agent_event_id bigint NOT NULL,
  observed_at    timestamptz NOT NULL,
  agent_version  text NOT NULL,
  spooled_events bigint NOT NULL,
  dropped_events bigint NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_heartbeats_agent_time ON agent_heartbeats (agent_id, observed_at DESC);

CREATE TABLE site_latest (
  court_id     text NOT NULL,
  site         text NOT NULL,
  agent_id     text NOT NULL,
  url          text NOT NULL,
  up           boolean NOT NULL,
  http_status  integer NOT NULL,
  total_us     bigint NOT NULL,
  error        text NOT NULL,
  started_at   timestamptz NOT NULL,
  PRIMARY KEY (court_id, site)
);

-- Central probe lists served by AgentService.GetConfig; none means "use the local file".
CREATE TABLE probe_targets (
  court_id         text NOT NULL DEFAULT '',
  agent_id         text NOT NULL,
  site             text NOT NULL,
  url              text NOT NULL,
  interval_seconds integer NOT NULL DEFAULT 60 CHECK (interval_seconds BETWEEN 5 AND 86400),
  timeout_ms       integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 100 AND 120000),
  expected_status  integer[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (agent_id, site)
);
