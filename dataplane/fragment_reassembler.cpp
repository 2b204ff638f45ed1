// rte_ip_frag_table_del_expired_entries() is still marked experimental in DPDK 22.11; it is
// the only way to expire datagrams without a new fragment arriving.
#define ALLOW_EXPERIMENTAL_API 1

#include "fragment_reassembler.h"

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <memory>
#include <stdexcept>

#include "counters.h"
#include "packet_decoder.h"

namespace ottscope {
namespace {
// rte_ip_frag buckets are small associative sets; 8 ways keep lookups short.
constexpr uint32_t kBucketEntries = 8;
constexpr uint32_t kMaxL2Length = 127;  // what rte_mbuf's l2_len field holds
}  // namespace

FragmentReassembler::FragmentReassembler(FragmentLimits limits, int socket_id)
    : death_row_(new rte_ip_frag_death_row{}) {
    const uint32_t entries = std::max<uint32_t>(limits.max_datagrams, kBucketEntries);
    const uint32_t buckets = (entries + kBucketEntries - 1) / kBucketEntries;
    table_ =
        rte_ip_frag_table_create(buckets, kBucketEntries, entries, limits.timeout_us, socket_id);
    if (table_ == nullptr) {
        delete death_row_;
        throw std::runtime_error("cannot allocate the IP fragment table");
    }
}

FragmentReassembler::~FragmentReassembler() {
    rte_ip_frag_free_death_row(death_row_, 0);
    rte_ip_frag_table_destroy(table_);  // frees the mbufs still held
    delete death_row_;
}

// rte_ip_frag puts on the death row the fragments it gives up on: the current one when it
// does not fit (table full, too many fragments, inconsistent lengths), together with the
// rest of its datagram; other datagrams' fragments when their time ran out.
void FragmentReassembler::empty_death_row(const rte_mbuf* current,
                                          WorkerCounters& counters) noexcept {
    const uint32_t dropped = death_row_->cnt;
    if (dropped == 0) return;
    bool current_dropped = false;
    for (uint32_t i = 0; i < dropped; ++i) current_dropped |= death_row_->row[i] == current;
    const uint32_t were_held = dropped - (current_dropped ? 1 : 0);
    held_ -= were_held;
    counters
        .drops[index_of(current_dropped ? DropReason::fragment_rejected
                                        : DropReason::fragment_timeout)]
        .add(dropped);
    rte_ip_frag_free_death_row(death_row_, 0);
}

rte_mbuf* FragmentReassembler::add(rte_mbuf* fragment, const DecodedPacket& packet,
                                   uint32_t l2_length, uint64_t now_us, uint32_t& fragments,
                                   WorkerCounters& counters) noexcept {
    fragments = 1;
    // rte_ip_frag counts one segment per fragment and cannot reach past 127 bytes of
    // link headers; such fragments are counted apart.
    if (fragment->nb_segs != 1 || l2_length > kMaxL2Length || packet.l3_header_length == 0) {
        counters.drops[index_of(DropReason::ip_fragment)].add();
        rte_pktmbuf_free(fragment);
        return nullptr;
    }
    // Ethernet padding after a short last fragment would end up inside the datagram.
    const uint32_t used = l2_length + packet.l3_length;
    if (rte_pktmbuf_pkt_len(fragment) > used)
        rte_pktmbuf_trim(fragment, static_cast<uint16_t>(rte_pktmbuf_pkt_len(fragment) - used));
    fragment->l2_len = l2_length;
    fragment->l3_len = packet.l3_header_length;

    auto* ip = rte_pktmbuf_mtod_offset(fragment, uint8_t*, l2_length);
    rte_mbuf* datagram = nullptr;
    if (packet.ip_version == 4) {
        datagram = rte_ipv4_frag_reassemble_packet(table_, death_row_, fragment, now_us,
                                                   reinterpret_cast<rte_ipv4_hdr*>(ip));
    } else {
        datagram = rte_ipv6_frag_reassemble_packet(
            table_, death_row_, fragment, now_us, reinterpret_cast<rte_ipv6_hdr*>(ip),
            reinterpret_cast<rte_ipv6_fragment_ext*>(ip + sizeof(rte_ipv6_hdr)));
    }
    if (datagram == nullptr) {
        bool dropped = false;
        for (uint32_t i = 0; i < death_row_->cnt; ++i) dropped |= death_row_->row[i] == fragment;
        if (!dropped) ++held_;
        empty_death_row(fragment, counters);
        return nullptr;
    }
    empty_death_row(fragment, counters);
    fragments = datagram->nb_segs;
    held_ -= fragments - 1;  // the others were held, this one never was
    return datagram;
}

void FragmentReassembler::expire(uint64_t now_us, WorkerCounters& counters) noexcept {
    if (held_ == 0) return;
    rte_ip_frag_table_del_expired_entries(table_, death_row_, now_us);
    empty_death_row(nullptr, counters);
}

void FragmentReassembler::flush(WorkerCounters& counters) noexcept {
    counters.drops[index_of(DropReason::fragment_pending)].add(held_);
    held_ = 0;
    // The table keeps its mbufs until it is destroyed with the worker.
}

}  // namespace ottscope
