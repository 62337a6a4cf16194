-- pantau schema v5: agent backups (BackupSummary), the last clean backup of web-root integrity
-- reports, and what an integrity incident names to restore.

-- One row per backup: a later summary with the same (agent_id, backup_id) — a verification on
-- demand, a retry that finished — replaces the row. Times are the agent's; received_at is the
-- collector's (the database's clock) when the row was last written.
CREATE TABLE backups (
  agent_id         text NOT NULL,
  court_id         text NOT NULL,
  site             text NOT NULL,
  backup_id        text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('full', 'incremental')),
  started          timestamptz NOT NULL,
  finished         timestamptz NOT NULL,
  bytes            bigint NOT NULL,
  files            bigint NOT NULL,
  files_copied     bigint NOT NULL,
  source_bytes     bigint NOT NULL,
  media            text[] NOT NULL,
  verified         boolean NOT NULL,
  error            text NOT NULL,
  interval_seconds bigint NOT NULL,  -- 0 when the agent did not report it
  databases        bigint NOT NULL,
  database_bytes   bigint NOT NULL,
  agent_event_id   bigint NOT NULL,  -- of the summary stored
  received_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, backup_id)
);
-- The newest backups of a site (incident evaluation, GetStatus, ListBackups).
CREATE INDEX backups_site_newest ON backups (court_id, site, started DESC);
-- The newest verified one of a site (backup age, overdue).
CREATE INDEX backups_site_verified ON backups (court_id, site, finished DESC)
  WHERE verified AND error = '';
-- ListBackups without a site: newest first over all.
CREATE INDEX backups_started ON backups (started DESC);

-- Integrity reports (check "integrity") name the newest verified backup taken before the first
-- finding and the command that restores it. Empty id / NULL time for other checks or when none.
ALTER TABLE check_reports
  ADD COLUMN last_clean_backup_id text NOT NULL DEFAULT '',
  ADD COLUMN last_clean_backup_at timestamptz,
  ADD COLUMN restore_command      text NOT NULL DEFAULT '';

-- What an incident whose signal is an integrity finding says to restore: a snapshot of the
-- newest integrity report of the site taken whenever the incident is evaluated. restore_known
-- is false for every other incident (nothing is shown); true with an empty id means "no
-- verified backup before the first finding".
ALTER TABLE incidents
  ADD COLUMN restore_known        boolean NOT NULL DEFAULT false,
  ADD COLUMN last_clean_backup_id text NOT NULL DEFAULT '',
  ADD COLUMN last_clean_backup_at timestamptz,
  ADD COLUMN restore_command      text NOT NULL DEFAULT '';
