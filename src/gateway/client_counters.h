// ClientCounters: what the gateway counts about client connections, bumped from every io
// thread (runtime::ShardedCounter), reported by /varz through named().
#pragma once

#include <vector>

#include "runtime/sharded_counter.h"

namespace jindou::gateway {

struct ClientCounters {
  runtime::ShardedCounter connections_accepted;
  runtime::ShardedCounter connections_closed;
  runtime::ShardedCounter in_packets;
  runtime::ShardedCounter out_packets;
  runtime::ShardedCounter in_bytes;
  runtime::ShardedCounter out_bytes;
  runtime::ShardedCounter client_sends;
  runtime::ShardedCounter recvs_sent;
  runtime::ShardedCounter events_sent;  // EVENT packets (v5 connections)
  runtime::ShardedCounter recv_retries;
  runtime::ShardedCounter slow_consumers;
  runtime::ShardedCounter read_pauses;  // connections that stopped reading until acks drained
  runtime::ShardedCounter protocol_errors;

  // In the order /varz lists them, under their /varz names.
  std::vector<runtime::NamedCounter> named() const {
    return {{"connections_accepted", &connections_accepted},
            {"in_packets", &in_packets},
            {"out_packets", &out_packets},
            {"in_bytes", &in_bytes},
            {"out_bytes", &out_bytes},
            {"client_sends", &client_sends},
            {"recvs_sent", &recvs_sent},
            {"events_sent", &events_sent},
            {"recv_retries", &recv_retries},
            {"slow_consumers", &slow_consumers},
            {"read_pauses", &read_pauses},
            {"protocol_errors", &protocol_errors}};
  }
};

}  // namespace jindou::gateway
