// Classifier memory per undecided flow over a capture: offers every packet of every flow to
// one NdpiClassifier, as a worker would (flows keyed like the flow table, no timeouts), and
// prints the peak of state_bytes_in_use() (pool blocks plus nDPI's own allocations) with the
// number of flows then undecided, and what nDPI still holds once every flow has ended (its
// module caches). Not a test: it reports what a given traffic mix costs.
//
//   build/tests/bench/ndpi_state_bytes FILE.pcap...

#include <pcap/pcap.h>

#include <cstdio>
#include <map>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include "classifiers/ndpi/ndpi_classifier.h"
#include "dataplane/flow_key.h"
#include "dataplane/link_type.h"
#include "dataplane/packet_decoder.h"

namespace {

using namespace ottscope;

struct KeyLess {
    bool operator()(const FlowKey& a, const FlowKey& b) const noexcept {
        return std::memcmp(&a, &b, sizeof(FlowKey)) < 0;
    }
};

struct FlowState {
    void* state = nullptr;
    Verdict verdict;
    uint32_t packets = 0;
    bool client_is_lower = true;
    bool decided = false;
};

int measure(const char* path) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* capture = pcap_open_offline(path, error);
    if (capture == nullptr) {
        std::fprintf(stderr, "%s: %s\n", path, error);
        return 1;
    }
    const auto link = link_type_from_dlt(pcap_datalink(capture));
    if (!link) {
        std::fprintf(stderr, "%s: unsupported link type\n", path);
        pcap_close(capture);
        return 1;
    }
    NdpiClassifier ndpi(0, NdpiSettings{}, nullptr);
    std::map<FlowKey, FlowState, KeyLess> flows;
    size_t undecided = 0, peak = 0, undecided_at_peak = 0;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(capture, &header, &data) == 1) {
        DecodedPacket packet;
        if (decode_packet(*link, {data, header->caplen}, packet).status != DecodeStatus::ok)
            continue;
        FlowKey key;
        const bool source_is_lower =
            make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                          packet.vlan, 0, key);
        auto [it, created] = flows.try_emplace(key);
        FlowState& flow = it->second;
        if (created) {
            flow.client_is_lower = source_is_lower;
            ++undecided;
        }
        if (flow.decided) continue;
        PacketView view;
        view.l3 = packet.l3;
        view.l3_length = packet.l3_length;
        view.payload = {packet.payload, packet.payload_length};
        view.direction = source_is_lower == flow.client_is_lower ? Direction::client_to_server
                                                                 : Direction::server_to_client;
        view.ip_protocol = packet.ip_protocol;
        view.tcp_flags = packet.tcp_flags;
        view.timestamp_ms = static_cast<uint64_t>(header->ts.tv_sec) * 1000 +
                            static_cast<uint64_t>(header->ts.tv_usec) / 1000;
        view.flow_packets = ++flow.packets;
        if (ndpi.inspect(flow.state, view, flow.verdict) == Progress::done) {
            flow.decided = true;
            --undecided;
        }
        const size_t bytes = ndpi.state_bytes_in_use();
        if (bytes > peak) {
            peak = bytes;
            undecided_at_peak = undecided;
        }
    }
    pcap_close(capture);
    for (auto& [key, flow] : flows)
        if (!flow.decided) ndpi.conclude(flow.state, PacketView{}, flow.verdict);
    std::printf(
        "%s: %zu flows; peak classifier state %zu bytes with %zu flows undecided = %.0f "
        "bytes per undecided flow (ndpi_flow_struct block %zu); after all flows ended nDPI "
        "still holds %zu bytes (module caches)\n",
        path, flows.size(), peak, undecided_at_peak,
        undecided_at_peak != 0 ? static_cast<double>(peak) / static_cast<double>(undecided_at_peak)
                               : 0.0,
        (SIZEOF_FLOW_STRUCT + 63) & ~size_t{63}, ndpi.state_bytes_in_use());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ndpi_state_bytes FILE.pcap...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) status |= measure(argv[i]);
    return status;
}
