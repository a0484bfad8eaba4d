#include "webhook/signature.h"

#include <gtest/gtest.h>

namespace jindou::webhook {
namespace {

// The reference value is Python's hmac.new(b"secret", b'1700000000.{"a":1}', sha256).
TEST(Signature, IsTheHmacOfTimestampDotBody) {
  EXPECT_EQ(signature("secret", 1700000000, R"({"a":1})"),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
  EXPECT_NE(signature("secret", 1700000001, R"({"a":1})"),
            signature("secret", 1700000000, R"({"a":1})"));
}

}  // namespace
}  // namespace jindou::webhook
