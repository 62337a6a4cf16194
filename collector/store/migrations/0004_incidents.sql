-- pantau schema v4: the organisation (courts, sites, people, acting officials, escalation
-- policies), incidents with their timeline, maintenance windows, and the notification outbox.
-- All incident state lives here so any number of collectors can share the work: due work is
-- claimed with FOR UPDATE SKIP LOCKED, pages are made unique by their idempotency key.

CREATE TABLE courts (
  court_id   text PRIMARY KEY,
  name       text NOT NULL,
  court_type text NOT NULL,
  parent_id  text NOT NULL DEFAULT '',
  time_zone  text NOT NULL DEFAULT 'Asia/Jakarta',
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
  court_id text NOT NULL,
  site     text NOT NULL,
  name     text NOT NULL DEFAULT '',
  url      text NOT NULL DEFAULT '',
  PRIMARY KEY (court_id, site)
);

-- Operators and the people who are paged. token_hash is the hex SHA-256 of the token.
CREATE TABLE people (
  person_id        text PRIMARY KEY,
  name             text NOT NULL,
  role             text NOT NULL CHECK (role IN ('staf', 'kasubbag', 'sekretaris', 'admin')),
  courts           text[] NOT NULL DEFAULT '{}',
  email            text NOT NULL DEFAULT '',
  telegram_chat_id text NOT NULL DEFAULT '',
  telegram_user_id text NOT NULL DEFAULT '',
  whatsapp         text NOT NULL DEFAULT '',
  active           boolean NOT NULL DEFAULT true,
  token_hash       text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_token_hash ON people (token_hash) WHERE token_hash IS NOT NULL;

-- Plt./Plh.: a person standing in for a role at a court, days inclusive (court's zone).
CREATE TABLE acting (
  person_id text NOT NULL REFERENCES people (person_id) ON DELETE CASCADE,
  court_id  text NOT NULL,
  role      text NOT NULL,
  title     text NOT NULL,
  from_day  date NOT NULL,
  to_day    date NOT NULL,
  PRIMARY KEY (person_id, court_id, role, from_day)
);

-- Escalation policies; court_id '*' is the default. steps: "role/after_minutes/until" joined
-- by commas, e.g. 'staf/0/unacknowledged,kasubbag/15/unacknowledged,sekretaris/60/unresolved'.
CREATE TABLE escalation_policies (
  court_id          text PRIMARY KEY,
  steps             text NOT NULL,
  reminder_minutes  integer NOT NULL,
  situation_minutes integer NOT NULL
);

CREATE TABLE maintenance_windows (
  window_id  bigserial PRIMARY KEY,
  court_id   text NOT NULL,
  site       text NOT NULL DEFAULT '',  -- '' = every site of the court
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  reason     text NOT NULL,
  created_by text NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_court ON maintenance_windows (court_id, ends_at);

-- One open incident per (court, site, kind) (the partial unique index); repeats update it.
CREATE TABLE incidents (
  incident_id        bigserial PRIMARY KEY,
  court_id           text NOT NULL,
  site               text NOT NULL,
  kind               text NOT NULL,
  severity           smallint NOT NULL,        -- 1 minor, 2 major, 3 critical
  state              text NOT NULL CHECK (state IN ('open', 'acknowledged', 'handed_off', 'resolved')),
  detail             text NOT NULL DEFAULT '',
  level              integer NOT NULL DEFAULT 0,
  opened_at          timestamptz NOT NULL,
  last_signal_at     timestamptz NOT NULL,
  acknowledged_at    timestamptz,
  acknowledged_by    text NOT NULL DEFAULT '',
  resolved_at        timestamptz,
  resolved_by        text NOT NULL DEFAULT '',
  resolution         text NOT NULL DEFAULT '',
  vendor             text NOT NULL DEFAULT '',
  vendor_ticket      text NOT NULL DEFAULT '',
  vendor_contact     text NOT NULL DEFAULT '',
  vendor_sla_at      timestamptz,
  vendor_ticket_open boolean NOT NULL DEFAULT false,
  flap_count         integer NOT NULL DEFAULT 0,
  -- Escalation: the last policy step paged (0 = none yet), how many reminders and situation
  -- updates went out, and when the sweep must look at it next (NULL = nothing pending).
  escalation_step    integer NOT NULL DEFAULT 0,
  reminders_sent     integer NOT NULL DEFAULT 0,
  next_reminder_at   timestamptz,
  situations_sent    integer NOT NULL DEFAULT 0,
  next_situation_at  timestamptz,
  next_action_at     timestamptz
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (court_id, site, kind) WHERE state <> 'resolved';
CREATE INDEX incidents_due ON incidents (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE INDEX incidents_court_time ON incidents (court_id, opened_at DESC);
CREATE INDEX incidents_recent_resolved ON incidents (court_id, site, kind, resolved_at DESC)
  WHERE state = 'resolved';

-- The audit trail: every change of every incident.
CREATE TABLE incident_events (
  event_id    bigserial PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE,
  court_id    text NOT NULL,
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  note        text NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, event_id);

-- Pages to send, written in the transaction that caused them; idempotency_key makes a page
-- unique however many collectors decide to send it. A worker claims due rows (lease), sends,
-- and marks them sent, or schedules a retry with backoff.
CREATE TABLE outbox (
  outbox_id       bigserial PRIMARY KEY,
  court_id        text NOT NULL,
  incident_id     bigint NOT NULL,
  person_id       text NOT NULL,
  channel         text NOT NULL,
  address         text NOT NULL,
  message_kind    text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  subject         text NOT NULL,
  body            text NOT NULL,
  payload         text NOT NULL DEFAULT '',
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_until     timestamptz,
  last_error      text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL,
  sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_incident ON outbox (incident_id);

-- Small shared state of the collectors (e.g. the Telegram getUpdates offset).
CREATE TABLE collector_state (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO collector_state (key, value) VALUES ('telegram_offset', '0');
