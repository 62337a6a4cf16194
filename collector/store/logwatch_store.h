// Storage of agent logwatch events (log alerts, visitor statistics, bans) inside the batch
// transaction of Store::StoreBatch. Internal to collector/store.
//
//   pqxx::work txn(conn);
//   ...
//   std::vector<NewLogAlert> fresh = StoreLogwatchEvents(txn, request);
//   txn.commit();
#ifndef PANTAU_COLLECTOR_STORE_LOGWATCH_STORE_H_
#define PANTAU_COLLECTOR_STORE_LOGWATCH_STORE_H_

#include <vector>

#include <pqxx/pqxx>

#include "collector/store/store.h"
#include "pantau/v1/agent_service.pb.h"

namespace pantau::collector {

// Upserts the batch's log alerts (one statement), adds its visitor statistics (two
// statements, merged per key first so no statement touches a row twice) and COPYs its bans.
// Returns the alerts that had no row before. The connection must have PrepareStatements'
// statements. Throws what libpqxx throws.
std::vector<NewLogAlert> StoreLogwatchEvents(pqxx::work& txn, const v1::PushRequest& request);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_LOGWATCH_STORE_H_
