// record: the run record's own functions — verdict order, names, SHA-256 (OpenSSL), UUIDs
// (libuuid) and UTC times.
#include <gtest/gtest.h>

#include "record/record.hpp"

using namespace ampbench::record;

TEST(Record, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Record, WorstVerdictWins) {
  EXPECT_EQ(worst(Verdict::pass, Verdict::fail), Verdict::fail);
  EXPECT_EQ(worst(Verdict::error, Verdict::fail), Verdict::error);
  EXPECT_EQ(worst(Verdict::error, Verdict::aborted), Verdict::aborted);
  EXPECT_EQ(parse_verdict("ABORTED"), Verdict::aborted);
  EXPECT_FALSE(parse_verdict("pass"));
}

TEST(Record, UuidAndTimes) {
  const auto a = new_uuid_v4(), b = new_uuid_v4();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_EQ(utc_now_iso8601().size(), 24u);
  EXPECT_EQ(utc_now_iso8601().back(), 'Z');
}
