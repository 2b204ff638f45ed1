#include "udp_flow.h"

#include "packet_builder.h"

namespace ottscope::synth {

UdpFlow::UdpFlow(Capture& capture, Drbg& rng, Endpoint client, Endpoint server, uint64_t start_us,
                 uint64_t rtt_us)
    : capture_(capture),
      clock_(rng, start_us, rtt_us),
      client_(client),
      server_(server),
      client_ip_id_(static_cast<uint16_t>(rng.next_u64())),
      server_ip_id_(static_cast<uint16_t>(rng.next_u64())) {}

void UdpFlow::send(Side from, std::span<const uint8_t> payload, uint64_t think_us) {
    const bool from_client = from == Side::kClient;
    const Endpoint& src = from_client ? client_ : server_;
    const Endpoint& dst = from_client ? server_ : client_;
    const EthernetHeader eth = from_client ? EthernetHeader{kSubscriberSideMac, kNetworkSideMac}
                                           : EthernetHeader{kNetworkSideMac, kSubscriberSideMac};
    uint16_t& ip_id = from_client ? client_ip_id_ : server_ip_id_;
    const Ipv4Header ip{src.addr, dst.addr, ttl_seen_from(from), ip_id++, false};
    capture_.add(clock_.next(from, think_us),
                 build_udp_frame(eth, ip, UdpHeader{src.port, dst.port}, payload));
}

}  // namespace ottscope::synth
