// Pure pieces of the cluster routes (/route, /route/batch, /cluster/nodes).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace jindou::api {

// The node a user is sent to (GET /route): rendezvous hashing of the uid over `nodes`, so that
// every node answers the same for the same live set whatever its order, users spread evenly, and
// a node's arrival or departure moves only the users it gains or loses. 0 when `nodes` is empty.
uint16_t node_for_uid(std::string_view uid, const std::vector<uint16_t>& nodes);

// How many of `slot_count` hash slots belong to `partition` (slot s belongs to s % log_count).
uint32_t slots_of_partition(uint32_t slot_count, uint32_t log_count, uint32_t partition);

}  // namespace jindou::api
