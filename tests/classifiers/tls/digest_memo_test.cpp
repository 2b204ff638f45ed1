// The per-worker memo of fingerprint digests: what comes back from memory must be what
// hashing gives, for every algorithm, whatever was evicted in between.

#include "classifiers/tls/digest_memo.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace ottscope {
namespace {

using Algorithm = tls::Digester::Algorithm;
using Digest = std::array<uint8_t, 32>;

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

Digest hashed(Algorithm algorithm, std::string_view text, unsigned& length) {
    tls::Digester digester;
    Digest out{};
    length = digester.digest(algorithm, bytes_of(text), out.data());
    return out;
}

void expect_digest(tls::DigestMemo& memo, tls::Digester& digester, Algorithm algorithm,
                   std::string_view text) {
    unsigned expected_length = 0;
    const Digest expected = hashed(algorithm, text, expected_length);
    Digest out{};
    const unsigned length = memo.digest(digester, algorithm, bytes_of(text), out.data());
    ASSERT_EQ(length, expected_length);
    EXPECT_EQ(out, expected) << text;
}

TEST(DigestMemo, SameTextTwiceIsAHitWithTheSameDigest) {
    tls::DigestMemo memo;
    tls::Digester digester;
    const std::string text = "771,4865-4866-4867-49195,0-23-65281-10-11,29-23-24,0";
    expect_digest(memo, digester, Algorithm::md5, text);
    EXPECT_EQ(memo.misses(), 1u);
    const std::string again(text.data(), text.size());  // another buffer, as from another flow
    expect_digest(memo, digester, Algorithm::md5, again);
    EXPECT_EQ(memo.hits(), 1u);
    EXPECT_EQ(memo.misses(), 1u);
}

TEST(DigestMemo, AlgorithmsAndTextsAreKeptApart) {
    tls::DigestMemo memo;
    tls::Digester digester;
    for (int round = 0; round < 2; ++round) {
        for (const Algorithm algorithm : {Algorithm::md5, Algorithm::sha1, Algorithm::sha256}) {
            expect_digest(memo, digester, algorithm, "1301,1302,1303");
            expect_digest(memo, digester, algorithm, "1301,1302,1304");  // one byte apart
            expect_digest(memo, digester, algorithm, "");
        }
    }
    EXPECT_EQ(memo.misses(), 9u);
    EXPECT_EQ(memo.hits(), 9u);
}

TEST(DigestMemo, EvictionAndLongTextsKeepResultsCorrect) {
    tls::DigestMemo memo(tls::DigestMemo::kWays);  // one set of four
    ASSERT_EQ(memo.capacity(), tls::DigestMemo::kWays);
    tls::Digester digester;
    std::vector<std::string> texts;
    for (int i = 0; i < 6; ++i) texts.push_back("text " + std::to_string(i));
    texts.push_back(std::string(tls::DigestMemo::kMaxText + 1, 'x'));
    for (int round = 0; round < 3; ++round) {
        for (const std::string& text : texts)
            expect_digest(memo, digester, Algorithm::sha256, text);
    }
    // More texts than fit, least recently used first out: never a hit.
    EXPECT_EQ(memo.hits(), 0u);
    EXPECT_EQ(memo.misses(), 3 * texts.size());
}

TEST(DigestMemo, TurnedOffHashesEveryText) {
    tls::DigestMemo memo(0);
    EXPECT_EQ(memo.capacity(), 0u);
    tls::Digester digester;
    expect_digest(memo, digester, Algorithm::sha256, "t13d1516h2");
    expect_digest(memo, digester, Algorithm::sha256, "t13d1516h2");
    EXPECT_EQ(memo.hits(), 0u);
    EXPECT_EQ(memo.misses(), 2u);
}

}  // namespace
}  // namespace ottscope
