// Whether flows nDPI never names could be left alone early: feeds each flow of a capture to
// nDPI under ndpiReader's policy (until named and done with extra dissection, or 80 TCP / 24
// UDP packets) and reports, for the flows still unnamed when given up, the packet at which
// no dissector could run any more (dissectors_exhausted) and, for those never exhausted, which
// dissectors stayed eligible. Not a test: it tells whether issue 19's ndpi-exhausted shortcut
// is worth building with the linked nDPI (with 4.2: no flow is ever exhausted).
//
//   build/tests/bench/ndpi_exhaustion_probe FILE.pcap...

#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include "classifiers/ndpi/ndpi_classifier.h"
#include "dataplane/flow_key.h"
#include "dataplane/link_type.h"
#include "dataplane/packet_decoder.h"
#include "tests/bench/ndpi_exhaustion.h"

namespace {

using namespace ottscope;

constexpr uint32_t kTcpBudget = 80;  // ndpiReader's packet budgets
constexpr uint32_t kUdpBudget = 24;

struct KeyLess {
    bool operator()(const FlowKey& a, const FlowKey& b) const noexcept {
        return std::memcmp(&a, &b, sizeof(FlowKey)) < 0;
    }
};

struct FreeFlow {
    void operator()(ndpi_flow_struct* flow) const noexcept {
        ndpi_free_flow_data(flow);
        std::free(flow);
    }
};

struct FlowState {
    std::unique_ptr<ndpi_flow_struct, FreeFlow> ndpi;
    uint8_t ip_protocol = 0;
    uint32_t packets = 0;
    uint32_t exhausted_at = 0;  // packet after which no dissector could run, 0: never
    bool done = false;
};

struct Tally {
    unsigned unnamed = 0, exhausted = 0;
    std::map<uint32_t, unsigned> exhausted_at;       // packet index -> flows
    std::map<std::string, unsigned> still_eligible;  // dissector -> never-exhausted flows
};

// The flow is over for nDPI: counts it when nDPI never named it.
void give_up(ndpi_detection_module_struct& module, FlowState& flow, std::map<int, Tally>& tallies) {
    flow.done = true;
    if (flow.ndpi->detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN) return;
    Tally& tally = tallies[flow.ip_protocol];
    ++tally.unnamed;
    if (flow.exhausted_at != 0) {
        ++tally.exhausted;
        ++tally.exhausted_at[flow.exhausted_at];
        return;
    }
    std::array<uint16_t, 256> ids{};
    const unsigned count = eligible_dissectors(module, *flow.ndpi, ids);
    for (unsigned i = 0; i < std::min<unsigned>(count, ids.size()); ++i)
        ++tally.still_eligible[ndpi_get_proto_name(&module, ids[i])];
}

int probe(const char* path) {
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
    NdpiModule module = make_ndpi_module();
    std::map<FlowKey, FlowState, KeyLess> flows;
    std::map<int, Tally> tallies;  // by IP protocol
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(capture, &header, &data) == 1) {
        DecodedPacket packet;
        if (decode_packet(*link, {data, header->caplen}, packet).status != DecodeStatus::ok)
            continue;
        FlowKey key;
        make_flow_key(packet.source, packet.destination, packet.ip_protocol, packet.ip_version,
                      packet.vlan, 0, key);
        auto [it, created] = flows.try_emplace(key);
        FlowState& flow = it->second;
        if (created) {
            flow.ndpi.reset(static_cast<ndpi_flow_struct*>(std::calloc(1, SIZEOF_FLOW_STRUCT)));
            flow.ip_protocol = packet.ip_protocol;
        }
        if (flow.done) continue;
        const uint64_t now_ms = static_cast<uint64_t>(header->ts.tv_sec) * 1000 +
                                static_cast<uint64_t>(header->ts.tv_usec) / 1000;
        const ndpi_protocol protocol = ndpi_detection_process_packet(
            module.get(), flow.ndpi.get(), packet.l3, packet.l3_length, now_ms);
        ++flow.packets;
        if (flow.exhausted_at == 0 && dissectors_exhausted(*module, *flow.ndpi))
            flow.exhausted_at = flow.packets;
        const uint32_t budget = packet.ip_protocol == 6 ? kTcpBudget : kUdpBudget;
        const bool named = protocol.app_protocol != NDPI_PROTOCOL_UNKNOWN;
        if (flow.packets >= budget ||
            (named && ndpi_extra_dissection_possible(module.get(), flow.ndpi.get()) == 0))
            give_up(*module, flow, tallies);
    }
    pcap_close(capture);
    for (auto& [key, flow] : flows)
        if (!flow.done) give_up(*module, flow, tallies);
    for (const auto& [ip_protocol, tally] : tallies) {
        std::printf("%s: IP protocol %d: %u flows unnamed when given up, %u of them exhausted\n",
                    path, ip_protocol, tally.unnamed, tally.exhausted);
        for (const auto& [packet, count] : tally.exhausted_at)
            std::printf("  exhausted after packet %u: %u flows\n", packet, count);
        for (const auto& [name, count] : tally.still_eligible)
            std::printf("  never exhausted, %s still eligible: %u flows\n", name.c_str(), count);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ndpi_exhaustion_probe FILE.pcap...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) status |= probe(argv[i]);
    return status;
}
