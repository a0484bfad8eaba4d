#include "store/memory_only_reads.h"

namespace jindou::store {
namespace {

struct ThreadReads {
  bool memory_only = false;
  bool missed = false;
};
thread_local ThreadReads reads;

}  // namespace

MemoryOnlyReads::MemoryOnlyReads() {
  reads = ThreadReads{true, false};
}

MemoryOnlyReads::~MemoryOnlyReads() {
  reads = ThreadReads{};
}

bool MemoryOnlyReads::missed() const {
  return reads.missed;
}

bool MemoryOnlyReads::active() {
  return reads.memory_only;
}

Error MemoryOnlyReads::miss() {
  reads.missed = true;
  return Error::unavailable("the read needs the disk");
}

}  // namespace jindou::store
