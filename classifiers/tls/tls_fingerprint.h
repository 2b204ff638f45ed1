#pragma once
// JA3, JA3S (Salesforce definitions) and JA4 TLS-client (FoxIO definition) computed from
// parsed hellos. Output buffers are fixed-size, NUL-terminated; no heap.

#include <array>
#include <cstddef>

#include "digest_memo.h"
#include "digester.h"
#include "tls_messages.h"

namespace ottscope::tls {

constexpr size_t kJa3Length = 32;  // MD5 hex
constexpr size_t kJa4Length = 36;  // t13d1516h2_8daaf6152771_e5627efa2ab1

using Ja3Text = std::array<char, kJa3Length + 1>;
using Ja4Text = std::array<char, kJa4Length + 1>;

// Scratch space for the fingerprint strings before hashing (one per worker, not per flow).
struct FingerprintScratch {
    // `memo_entries`: texts whose digests are remembered (0: every text hashed).
    explicit FingerprintScratch(size_t memo_entries = DigestMemo::kDefaultEntries)
        : memo(memo_entries) {}

    std::array<char, 8192> text{};
    std::array<uint16_t, 512> sorted{};
    Digester digests;
    DigestMemo memo;
};

// The pre-hash JA3 string ("771,4865-4866,0-23,29-23,0"), written to scratch; returns length.
size_t ja3_string(const ClientHello& hello, FingerprintScratch& scratch) noexcept;
void ja3(const ClientHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept;
size_t ja3s_string(const ServerHello& hello, FingerprintScratch& scratch) noexcept;
void ja3s(const ServerHello& hello, FingerprintScratch& scratch, Ja3Text& out) noexcept;
// JA4 for TLS over TCP ("t"); `quic` gives the "q" variant.
void ja4(const ClientHello& hello, FingerprintScratch& scratch, Ja4Text& out,
         bool quic = false) noexcept;

}  // namespace ottscope::tls
