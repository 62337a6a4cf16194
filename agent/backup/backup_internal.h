// Pieces of agent/backup shared between its .cc files and its tests. Not a public API.
#ifndef PANTAU_AGENT_BACKUP_BACKUP_INTERNAL_H_
#define PANTAU_AGENT_BACKUP_BACKUP_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/backup/backup.h"
#include "agent/backup/manifest.h"
#include "agent/config/agent_config.h"

namespace pantau::agent::backup {

// <medium>/<id>.manifest.tsv after checking it against <id>.manifest.sha256 (DataLoss when
// they disagree or the manifest does not parse).
absl::StatusOr<Manifest> ReadSidecarManifest(const std::string& medium, const std::string& id);

// Deletes the site's backups that the job's retention does not keep (archives and sidecars on
// every medium, then the catalogue row). Only good backups (verified, no error; with
// `verify: false` every backup without error) count: the newest keep_last, the newest of each
// of the last keep_daily UTC days and keep_weekly weeks (Monday to Sunday, UTC) counted back
// from `now`. The newest verified backup without error is always kept. Unverified backups and
// failed runs are kept while among the newest keep_last of their own kind, never at the cost
// of a good one. The full archives that kept incrementals reference are kept too. Stops with
// Cancelled (what was deleted stays deleted) when `stop` is requested.
absl::Status ApplyRetention(const BackupJobConfig& job, const std::string& site,
                            BackupCatalog& catalog, absl::Time now,
                            const StopToken* stop = nullptr);

}  // namespace pantau::agent::backup

#endif  // PANTAU_AGENT_BACKUP_BACKUP_INTERNAL_H_
