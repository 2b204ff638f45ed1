#pragma once
// What the TLS classifier counts with a key log, per worker.

#include <array>

#include "classifiers/counter.h"

namespace ottscope {

// TLS classifier with a key log: flows looked inside, by what was found (InnerResult order:
// sip, not_sip, failed), and application data records decrypted.
struct TlsDecryptCounters {
    std::array<Counter, 3> flows;
    Counter records;
};

}  // namespace ottscope
