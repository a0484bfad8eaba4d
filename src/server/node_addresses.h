// What clients and the other nodes are told to dial for this node (GET /route, /cluster/nodes,
// the cluster heartbeats): external.* when set, else derived from the listen addresses, a
// wildcard listen host (0.0.0.0, ::, empty) becoming 127.0.0.1.
#pragma once

#include "cluster/cluster.h"
#include "server/config.h"

namespace jindou::server {

// api_url "http://host:port"; tcp_addr "host:port"; ws_addr "ws://host:port"; wss_addr
// "wss://host:port" when wssAddr is configured, else empty. An external.wsAddr or wssAddr given
// as host:port gets its scheme; an external.tcpAddr given as tcp://host:port loses it.
cluster::Addresses node_addresses(const Config& config);

}  // namespace jindou::server
