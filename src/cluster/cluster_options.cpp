#include "cluster/cluster_options.h"

namespace jindou::cluster {

int ClusterOptions::replicas() const { return std::max(slot_replica_count, channel_replica_count); }

ClusterOptions ClusterOptions::from(config::ConfigSource&, const std::string& data_dir) {
  ClusterOptions o;
  o.data_dir = data_dir;
  return o;
}

}  // namespace jindou::cluster
