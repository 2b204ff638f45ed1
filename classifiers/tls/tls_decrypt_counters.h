#pragma once
// What the TLS classifier counts (decryption with a key log, QUIC Initials), declared once
// (kTlsMetrics) and laid out in its worker's counter block.

#include <array>
#include <cstddef>
#include <cstdint>

#include "classifiers/classifier_counters.h"
#include "classifiers/enum_names.h"
#include "classifiers/metric_declaration.h"
#include "classifiers/tls/quic_hello_reader.h"

namespace ottscope {

// What the first application data records of a flow looked inside turned out to be.
enum class DecryptedAs : uint8_t { sip, not_sip, failed, count };
inline constexpr auto kDecryptedAsNames = enum_names<DecryptedAs>({
    {DecryptedAs::sip, "sip"},
    {DecryptedAs::not_sip, "not_sip"},
    {DecryptedAs::failed, "failed"},
});

extern const std::array<MetricDeclaration, 3> kTlsMetrics;

// Typed access to the TLS classifier's counter block (laid out from kTlsMetrics).
class TlsDecryptCounters {
public:
    explicit TlsDecryptCounters(ClassifierCounters& block) noexcept : block_(block) {}

    Counter& flows(DecryptedAs result) noexcept {
        return block_.at(kFlows, static_cast<size_t>(result));
    }
    Counter& records() noexcept { return block_.at(kRecords); }
    Counter& quic(tls::quic::QuicEvent event) noexcept {
        return block_.at(kQuicInitials, static_cast<size_t>(event));
    }

private:
    static constexpr size_t kFlows = 0;
    static constexpr size_t kRecords = 1;
    static constexpr size_t kQuicInitials = 2;
    ClassifierCounters& block_;
};

}  // namespace ottscope
