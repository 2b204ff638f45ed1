#pragma once
// nDPI 4.2 as a classifier. It follows ndpiReader's detection policy (packet budgets of 80
// TCP / 24 UDP packets, extra dissection for certificates, port guessing when giving up)
// so that our verdicts can be checked against ndpiReader's on the same captures.

#include <cstddef>
#include <memory>

#include "classifier.h"
#include "state_pool.h"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;
struct ndpi_proto;

namespace ottscope {

struct NdpiSettings {
    uint32_t tcp_packet_budget = 80;
    uint32_t udp_packet_budget = 24;
    bool guess_on_giveup = true;
};

// One nDPI detection module, configured as ottscope and ndpiReader use it.
struct NdpiModuleDeleter {
    void operator()(ndpi_detection_module_struct* module) const noexcept;
};
using NdpiModule = std::unique_ptr<ndpi_detection_module_struct, NdpiModuleDeleter>;
NdpiModule make_ndpi_module();

class NdpiClassifier final : public Classifier {
public:
    explicit NdpiClassifier(uint8_t registry_index, NdpiSettings settings = {});
    ~NdpiClassifier() override;

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, Verdict& verdict) noexcept override;
    // Pool blocks of undecided flows plus nDPI's own allocations made on this thread.
    [[nodiscard]] size_t state_bytes_in_use() const noexcept override;

private:
    struct FreeScratch {
        void operator()(::ndpi_flow_struct* flow) const noexcept;
    };

    void record(const ::ndpi_proto& protocol, Verdict& verdict) const noexcept;
    void release(void*& state) noexcept;
    void guess_without_state(const PacketView& packet, Verdict& verdict) noexcept;

    uint8_t registry_index_;
    NdpiSettings settings_;
    NdpiModule module_;
    StatePool pool_;
    std::unique_ptr<::ndpi_flow_struct, FreeScratch> scratch_;  // for flows without state
    // A flow's state slot points here while the flow has shown only its client's SYN.
    static std::byte saw_client_syn_;
    size_t heap_baseline_ = 0;
    bool heap_baseline_taken_ = false;
};

}  // namespace ottscope
