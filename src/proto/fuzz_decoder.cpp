// libFuzzer target: arbitrary bytes through FrameDecoder, for both sides, every version, with and
// without a trusted PROXY header, fed in chunks whose sizes come from the input itself. Checks
// that the decoder never crashes, never overreads, and re-encodes what it decodes consistently.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/codec.h"

namespace {

using jindou::proto::DecodeResult;
using jindou::proto::DecoderOptions;
using jindou::proto::FrameDecoder;
using jindou::proto::Packet;
using jindou::proto::Side;

void run(std::string_view data, DecoderOptions options, uint8_t chunk_seed) {
  FrameDecoder decoder(options);
  size_t off = 0;
  uint32_t state = chunk_seed | 1u;
  while (off < data.size()) {
    state = state * 1103515245u + 12345u;  // chunk sizes 1..64, derived from the input
    const size_t n = std::min<size_t>(data.size() - off, 1 + (state >> 16) % 64);
    decoder.append(data.data() + off, n);
    off += n;
    for (;;) {
      Packet p;
      const DecodeResult r = decoder.next(p);
      if (r.failed()) {
        if (r.error.empty()) std::abort();
        return;
      }
      if (!r.got()) break;
      // A decoded packet must encode again without tripping any sanitizer.
      std::string out;
      jindou::proto::encode(p, decoder.version(), out);
      if (out.empty()) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks chunking; the rest is the stream.
  const uint8_t seed = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  for (uint8_t version = 0; version <= 6; ++version) {
    run(stream, {Side::kServer, version, false}, seed);
    run(stream, {Side::kClient, version, false}, seed);
  }
  run(stream, {Side::kServer, 5, true}, seed);
  return 0;
}
