#pragma once
// Builds the EAL argument list from the configuration and starts DPDK. Every process gets
// its own --file-prefix so that tests and several appliances can share a host.

#include <string>
#include <vector>

namespace ottscope {

struct EalPlan {
    unsigned lcores = 1;
    unsigned memory_mb = 512;
    bool hugepages = false;
    std::vector<std::string> vdevs;       // "net_pcap0,rx_pcap=FILE"
    std::vector<std::string> extra_args;  // from the configuration, passed as they are
};

std::vector<std::string> eal_arguments(const EalPlan& plan);
// Throws std::runtime_error when the EAL refuses to start.
void start_eal(const EalPlan& plan);
void stop_eal() noexcept;

}  // namespace ottscope
