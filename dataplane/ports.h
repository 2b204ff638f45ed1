#pragma once
// Ethernet ports as the dataplane sees them: NIC ports (PCI) spread over workers by RSS with a
// symmetric key, and single-queue ports (the pcap vdev, simple virtual NICs) whose packets
// one lcore (worker 0, or a fan-out lcore of its own) hands out to the workers.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture_file.h"
#include "link_type.h"

struct rte_mempool;

namespace ottscope {

// Each RX queue keeps this many packet buffers posted to its NIC ring.
constexpr uint16_t kRxDescriptorsPerQueue = 1024;

struct PortConfig {
    std::string name;    // label for metrics and messages
    std::string device;  // PCI address, or a vdev argument string ("net_pcap0,rx_pcap=FILE")
    LinkType link = LinkType::ethernet;
    uint16_t zone = 0;
    std::optional<CaptureFileInfo> capture;  // set when the port replays a capture file
    const std::atomic<uint64_t>* expected_packets = nullptr;  // its count (CaptureCounter)
    bool replay_forever = false;
};

struct Port {
    uint16_t id = 0;
    std::string name;
    uint16_t rx_queues = 1;
    LinkType link = LinkType::ethernet;
    uint16_t zone = 0;
    bool finite = false;  // a capture file that ends
    // The capture's packet count as CaptureCounter takes it; null for NICs.
    const std::atomic<uint64_t>* expected_packets = nullptr;
};

// The vdev name DPDK registers for a device argument ("net_pcap0" of "net_pcap0,rx_pcap=x").
std::string device_name(const std::string& device);

// Configures and starts every port: `workers` RX queues where the device has that many,
// else one. Throws std::runtime_error with a one-line reason.
std::vector<Port> start_ports(const std::vector<PortConfig>& configs, uint16_t workers,
                              rte_mempool* pool);
void stop_ports(const std::vector<Port>& ports);

// A 40-byte Toeplitz key whose hash is the same for (a,b) and (b,a): both directions of a
// flow land in the same RX queue.
extern const uint8_t kSymmetricRssKey[40];

}  // namespace ottscope
