#include "ports.h"

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <stdexcept>
#include <string_view>

namespace ottscope {

const uint8_t kSymmetricRssKey[40] = {0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                      0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                      0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                      0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

namespace {
constexpr uint16_t kTxDescriptors = 64;

[[noreturn]] void fail(const PortConfig& config, const std::string& what, int code) {
    throw std::runtime_error("port " + config.name + " (" + config.device + "): " + what + ": " +
                             rte_strerror(code < 0 ? -code : code));
}
}  // namespace

std::string device_name(const std::string& device) {
    return device.substr(0, device.find(','));
}

std::vector<Port> start_ports(const std::vector<PortConfig>& configs, uint16_t workers,
                              rte_mempool* pool) {
    std::vector<Port> ports;
    for (const PortConfig& config : configs) {
        uint16_t id = 0;
        if (rte_eth_dev_get_port_by_name(device_name(config.device).c_str(), &id) != 0) {
            throw std::runtime_error("port " + config.name + ": device " + config.device +
                                     " was not found by DPDK (not bound to a DPDK driver, or a "
                                     "bad vdev argument)");
        }
        rte_eth_dev_info info{};
        if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) fail(config, "device info", rc);

        Port port;
        port.id = id;
        port.name = config.name;
        port.link = config.link;
        port.zone = config.zone;
        port.finite = !config.captures.empty() && !config.replay_forever;
        port.expected_packets = config.expected_packets;
        port.rx_queues = info.max_rx_queues >= workers ? workers : 1;
        // Capture files split per queue are each read by their own worker: a file whose
        // queue nobody polls would never end.
        if (config.captures.size() > 1 && config.captures.size() != port.rx_queues)
            throw std::runtime_error("port " + config.name + " (" + config.device +
                                     "): " + std::to_string(config.captures.size()) +
                                     " capture files, one per queue, but " +
                                     std::to_string(port.rx_queues) + " queue(s) for " +
                                     std::to_string(workers) + " workers");
        // af_packet joins every queue pair's socket to the kernel's fanout group when the
        // device is created, configured or not: packets hashed to a queue nobody polls would
        // be lost without any counter showing it.
        if (std::string_view(info.driver_name) == "net_af_packet" &&
            info.max_rx_queues != port.rx_queues)
            throw std::runtime_error("port " + config.name + " (" + config.device +
                                     "): the af_packet device has " +
                                     std::to_string(info.max_rx_queues) + " queue pairs but " +
                                     std::to_string(port.rx_queues) +
                                     " would be read: give it qpairs equal to the workers (" +
                                     std::to_string(workers) + "), or qpairs=1 for the fan-out");

        rte_eth_conf conf{};
        // Only a device that hashes is asked to: without an RSS offload (pcap, af_packet) the
        // packets come split already, and RSS it cannot do is not configured.
        if (port.rx_queues > 1 && info.flow_type_rss_offloads != 0) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(kSymmetricRssKey);
            conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(kSymmetricRssKey);
            // Addresses only: fragments carry no ports, and all fragments of a datagram must
            // reach the worker that holds the rest of its flow (as in the fan-out).
            conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
        }
        if (int rc = rte_eth_dev_configure(id, port.rx_queues, 1, &conf); rc != 0)
            fail(config, "configure", rc);
        const int socket = rte_eth_dev_socket_id(id);
        for (uint16_t q = 0; q < port.rx_queues; ++q) {
            if (int rc = rte_eth_rx_queue_setup(id, q, kRxDescriptorsPerQueue,
                                                socket < 0 ? SOCKET_ID_ANY : socket, nullptr, pool);
                rc != 0)
                fail(config, "rx queue setup", rc);
        }
        if (int rc = rte_eth_tx_queue_setup(id, 0, kTxDescriptors,
                                            socket < 0 ? SOCKET_ID_ANY : socket, nullptr);
            rc != 0)
            fail(config, "tx queue setup", rc);
        if (int rc = rte_eth_dev_start(id); rc != 0) fail(config, "start", rc);
        // Mirror ports carry other hosts' traffic: without promiscuous mode a NIC drops it.
        rte_eth_promiscuous_enable(id);
        ports.push_back(port);
    }
    return ports;
}

void stop_ports(const std::vector<Port>& ports) {
    for (const Port& port : ports) {
        rte_eth_dev_stop(port.id);
        rte_eth_dev_close(port.id);
    }
}

}  // namespace ottscope
