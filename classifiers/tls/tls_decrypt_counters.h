#pragma once
// What the TLS classifier counts with a key log, declared once (kTlsMetrics) and laid out in
// its worker's counter block.

#include <array>
#include <cstddef>
#include <cstdint>

#include "classifiers/classifier_counters.h"
#include "classifiers/enum_names.h"
#include "classifiers/metric_declaration.h"

namespace ottscope {

// What the first application data records of a flow looked inside turned out to be.
enum class DecryptedAs : uint8_t { sip, not_sip, failed, count };
inline constexpr auto kDecryptedAsNames = enum_names<DecryptedAs>({
    {DecryptedAs::sip, "sip"},
    {DecryptedAs::not_sip, "not_sip"},
    {DecryptedAs::failed, "failed"},
});

extern const std::array<MetricDeclaration, 2> kTlsMetrics;

// Typed access to the TLS classifier's counter block (laid out from kTlsMetrics).
class TlsDecryptCounters {
public:
    explicit TlsDecryptCounters(ClassifierCounters& block) noexcept : block_(block) {}

    Counter& flows(DecryptedAs result) noexcept {
        return block_.at(kFlows, static_cast<size_t>(result));
    }
    Counter& records() noexcept { return block_.at(kRecords); }

private:
    static constexpr size_t kFlows = 0;
    static constexpr size_t kRecords = 1;
    ClassifierCounters& block_;
};

}  // namespace ottscope
