-- pantau schema v3: agent logwatch — log alerts, visitor statistics per minute, bans.
-- Severity is Finding.Severity's number: 0 unspecified, 1 info, 2 warning, 3 critical.

-- One row per alert: a LogAlert update replaces the row of its (agent_id, alert_id) unless
-- the row already holds a later state (last_seen further on). created_at tells when the
-- collector first heard of the alert, updated_at when it last changed.
CREATE TABLE log_alerts (
  court_id       text NOT NULL,
  agent_id       text NOT NULL,
  alert_id       text NOT NULL,
  site           text NOT NULL,
  rule           text NOT NULL,
  family         text NOT NULL,
  severity       smallint NOT NULL,
  client         text NOT NULL,
  first_seen     timestamptz NOT NULL,
  last_seen      timestamptz NOT NULL,
  count          bigint NOT NULL,
  sample_lines   text[] NOT NULL,
  description    text NOT NULL,
  action         text NOT NULL,
  log_path       text NOT NULL,
  closed         boolean NOT NULL,
  country        text NOT NULL,
  agent_event_id bigint NOT NULL,  -- of the update stored
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, alert_id)
);
-- ListLogAlerts: newest first, by court and/or site, optionally only open ones.
CREATE INDEX log_alerts_time ON log_alerts (last_seen DESC);
CREATE INDEX log_alerts_site_time ON log_alerts (site, last_seen DESC);
CREATE INDEX log_alerts_court_time ON log_alerts (court_id, last_seen DESC);
-- GetStatus counts open alerts per site.
CREATE INDEX log_alerts_open ON log_alerts (court_id, site) WHERE NOT closed;

-- Visitor statistics per site and minute. Agents send a minute in pieces (deltas); the
-- counters are their sums, unique_visitors the largest count reported for the minute.
CREATE TABLE visitor_minutes (
  court_id        text NOT NULL,
  site            text NOT NULL,
  minute          timestamptz NOT NULL,
  requests        bigint NOT NULL,
  unique_visitors bigint NOT NULL,
  page_views      bigint NOT NULL,
  bot_requests    bigint NOT NULL,
  status_2xx      bigint NOT NULL,
  status_3xx      bigint NOT NULL,
  status_4xx      bigint NOT NULL,
  status_5xx      bigint NOT NULL,
  status_other    bigint NOT NULL,
  bytes           bigint NOT NULL,
  malformed_lines bigint NOT NULL,
  attack_requests bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- Site first: GetVisitorStats and GetStatus read a site's recent minutes, with or without
  -- the court (a site id is usually unique across courts). No other index, so adding a
  -- batch's minutes maintains one B-tree only.
  PRIMARY KEY (site, minute, court_id)
);

-- Top pages, clients and countries per site and minute: the sums of the top lists the agent
-- sent for the minute (each piece's top list, so a key that was never in a piece's top list
-- is not counted for that piece).
-- GetStatus sums the last hour of every site of a court: by time, not by site.
CREATE INDEX visitor_minutes_minute ON visitor_minutes (minute);

CREATE TABLE visitor_top (
  court_id  text NOT NULL,
  site      text NOT NULL,
  minute    timestamptz NOT NULL,
  dimension text NOT NULL CHECK (dimension IN ('page', 'client', 'country')),
  key       text NOT NULL,
  count     bigint NOT NULL,
  PRIMARY KEY (site, minute, dimension, key, court_id)
);

-- Every BanEvent as sent (the agent's active response). outcome: banned, allowlisted, failed.
CREATE TABLE bans (
  court_id       text NOT NULL,
  agent_id       text NOT NULL,
  agent_event_id bigint NOT NULL,
  batch_seq      bigint NOT NULL,
  site           text NOT NULL,
  client         text NOT NULL,
  rule           text NOT NULL,
  alert_id       text NOT NULL,
  until_at       timestamptz,  -- NULL when the event has no timeout (not banned)
  outcome        text NOT NULL,
  error          text NOT NULL,
  observed_at    timestamptz,  -- the event's observed time; NULL when the agent left it unset
  received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bans_site_time ON bans (site, received_at DESC);
CREATE INDEX bans_client ON bans (client);
