#pragma once
// Everything the control side hands the workers, as one immutable value: the rules, the TLS
// key log and each worker's nDPI module. A reload or a grown key log builds a whole new
// generation off the packet path, validated whole, and GenerationPublisher makes it current
// at once: a worker sees either the old generation or the new one, never a mix. Parts that
// did not change are shared with the previous generation, not copied.

#include <cstdint>
#include <memory>
#include <vector>

#include "rule_set.h"
#include "tls/tls_keylog.h"

namespace ottscope {

struct NdpiGeneration;

struct Generation {
    uint64_t rules_version = 0;
    std::shared_ptr<const RuleSet> rules;  // null: no rules, nDPI's labels only
    // The TLS key log in force (null: none configured) and what a decrypted confirmation of
    // SIP inside TLS is named.
    std::shared_ptr<const tls::KeyLog> tls_keylog;
    uint16_t sip_tls_app = 0;
    uint16_t decrypted_evidence = 0;
    // By worker index: the nDPI module a protocols file asked for. Empty (or null): the module
    // each worker's nDPI classifier was built with. A worker's flows under detection finish on
    // the module they started with; the control side frees a module once its worker marked it
    // drained (NdpiGeneration::drained).
    std::vector<std::shared_ptr<NdpiGeneration>> ndpi;
};

}  // namespace ottscope
