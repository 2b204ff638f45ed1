#pragma once
// Ethernet ports as the dataplane sees them: NIC ports (PCI) spread over workers by RSS with a
// symmetric key, and single-queue ports (the pcap vdev, simple virtual NICs) whose packets
// one lcore (worker 0, or a fan-out lcore of its own) hands out to the workers.

#include <atomic>
#include <cstdint>
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
    // The capture files the port replays, one per RX queue (several when the traffic comes
    // split as RSS would split it: --pcap-queues), and each one's count (CaptureCounter), in
    // queue order. Both empty for a live port.
    std::vector<CaptureFileInfo> captures;
    std::vector<const std::atomic<uint64_t>*> expected_packets;
    bool replay_forever = false;
};

struct Port {
    uint16_t id = 0;
    std::string name;
    uint16_t rx_queues = 1;
    LinkType link = LinkType::ethernet;
    uint16_t zone = 0;
    bool finite = false;  // capture files that end
    // Each RX queue's capture count as CaptureCounter takes it, in queue order; empty for NICs.
    std::vector<const std::atomic<uint64_t>*> expected_packets;
};

// The vdev name DPDK registers for a device argument ("net_pcap0" of "net_pcap0,rx_pcap=x").
std::string device_name(const std::string& device);

// Configures and starts every port: `workers` RX queues where the device has that many,
// else one. A device that cannot hash (no RSS offload) keeps its queues as they come: its
// traffic arrives split already (af_packet's kernel fanout, one capture file per queue).
// Throws std::runtime_error with a one-line reason.
std::vector<Port> start_ports(const std::vector<PortConfig>& configs, uint16_t workers,
                              rte_mempool* pool);
void stop_ports(const std::vector<Port>& ports);

// A 40-byte Toeplitz key whose hash is the same for (a,b) and (b,a): both directions of a
// flow land in the same RX queue.
extern const uint8_t kSymmetricRssKey[40];

}  // namespace ottscope
