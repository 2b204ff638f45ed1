#include "fanout.h"

#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <sched.h>

#include "flow_table.h"
#include "packet_decoder.h"

namespace ottscope {

Fanout::Fanout(FanoutSetup setup) : setup_(std::move(setup)), poller_(setup_.queues, setup_.pool) {}

int Fanout::launch(void* fanout) noexcept {
    static_cast<Fanout*>(fanout)->run();
    return 0;
}

uint32_t Fanout::worker_of(const rte_mbuf* mbuf) const noexcept {
    const PortView& port = setup_.ports[mbuf->port < kMaxPorts ? mbuf->port : 0];
    DecodedPacket packet;
    const auto* frame = rte_pktmbuf_mtod(mbuf, const uint8_t*);
    const DecodeResult decoded =
        decode_packet(port.link, {frame, rte_pktmbuf_data_len(mbuf)}, packet);
    if (decoded.status != DecodeStatus::ok && decoded.status != DecodeStatus::ip_fragment &&
        decoded.status != DecodeStatus::tunnel_fragment)
        return mbuf->port % setup_.worker_rings.size();
    // Fragments carry no ports (and IPv6 ones may not say the final protocol), so workers
    // are picked by addresses alone: all fragments of a datagram and the rest of its flow
    // meet in one worker, where the datagram is reassembled.
    packet.source.port = 0;
    packet.destination.port = 0;
    FlowKey key;
    make_flow_key(packet.source, packet.destination, 0, packet.ip_version, packet.vlan, port.zone,
                  key, tunnel_discriminator(packet.tunnel));
    return FlowTable::hash_key(key) % setup_.worker_rings.size();
}

void Fanout::run() noexcept {
    const size_t workers = setup_.worker_rings.size();
    std::vector<std::array<rte_mbuf*, kBurstSize>> batches(workers);
    std::vector<unsigned> counts(workers, 0);
    std::array<rte_mbuf*, kBurstSize> mbufs{};
    unsigned idle_polls = 0;
    while (!setup_.stop->load(std::memory_order_relaxed)) {
        const uint16_t received = poller_.receive(mbufs.data(), kBurstSize);
        if (received == 0) {
            if (poller_.finished()) break;
            if (++idle_polls > 256)
                sched_yield();
            else
                rte_pause();
            continue;
        }
        idle_polls = 0;
        for (uint16_t i = 0; i < received; ++i) {
            const uint32_t w = worker_of(mbufs[i]);
            batches[w][counts[w]++] = mbufs[i];
        }
        for (size_t w = 0; w < workers; ++w) {
            unsigned sent = 0;
            while (sent < counts[w]) {
                sent += rte_ring_enqueue_burst(setup_.worker_rings[w],
                                               reinterpret_cast<void**>(batches[w].data() + sent),
                                               counts[w] - sent, nullptr);
                if (sent < counts[w]) {
                    if (setup_.stop->load(std::memory_order_relaxed)) {
                        setup_.counters->drops[index_of(DropReason::shutdown)].add(counts[w] -
                                                                                   sent);
                        setup_.counters->packets.add(counts[w] - sent);
                        rte_pktmbuf_free_bulk(batches[w].data() + sent, counts[w] - sent);
                        break;
                    }
                    rte_pause();
                }
            }
            counts[w] = 0;
        }
    }
    setup_.done->store(true, std::memory_order_release);
}

}  // namespace ottscope
