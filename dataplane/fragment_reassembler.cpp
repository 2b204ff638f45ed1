// rte_ip_frag_table_del_expired_entries() is still marked experimental in DPDK 22.11; it is
// the only way to expire datagrams without a new fragment arriving.
#define ALLOW_EXPERIMENTAL_API 1

#include "fragment_reassembler.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <algorithm>
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
    salvaged_.reserve(entries + RTE_IP_FRAG_DEATH_ROW_MBUF_LEN);
    table_ =
        rte_ip_frag_table_create(buckets, kBucketEntries, entries, limits.timeout_us, socket_id);
    if (table_ == nullptr) {
        delete death_row_;
        throw std::runtime_error("cannot allocate the IP fragment table");
    }
}

FragmentReassembler::~FragmentReassembler() {
    rte_ip_frag_free_death_row(death_row_, 0);
    for (rte_mbuf* first : salvaged_) rte_pktmbuf_free(first);
    rte_ip_frag_table_destroy(table_);  // frees the mbufs still held
    delete death_row_;
}

// Keeps a first fragment (offset 0) to be inspected alone; false for any other.
bool FragmentReassembler::salvage(rte_mbuf* fragment) noexcept {
    if (salvaged_.size() == salvaged_.capacity()) return false;
    const auto* ip = rte_pktmbuf_mtod_offset(fragment, const uint8_t*, fragment->l2_len);
    uint16_t offset = 0;
    if ((ip[0] >> 4) == 4) {
        offset = rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr*>(ip)->fragment_offset) &
                 RTE_IPV4_HDR_OFFSET_MASK;
    } else {
        const auto* header =
            reinterpret_cast<const rte_ipv6_fragment_ext*>(ip + sizeof(rte_ipv6_hdr));
        offset = rte_be_to_cpu_16(header->frag_data) & 0xfff8;
    }
    if (offset != 0) return false;
    salvaged_.push_back(fragment);
    return true;
}

// rte_ip_frag puts on the death row the fragments it gives up on: the current one when it
// does not fit (table full, too many fragments, inconsistent lengths), together with the
// rest of its datagram; other datagrams' fragments when their time ran out. It does not
// say which, so a row holding the current fragment counts as rejected, any other as
// timed out (or pending at the end of the run).
void FragmentReassembler::empty_death_row(const rte_mbuf* current, bool at_end,
                                          WorkerCounters& counters) noexcept {
    const uint32_t on_row = death_row_->cnt;
    if (on_row == 0) return;
    bool current_dropped = false;
    uint32_t salvaged = 0;
    for (uint32_t i = 0; i < on_row; ++i) {
        current_dropped |= death_row_->row[i] == current;
        if (salvage(death_row_->row[i])) {
            death_row_->row[i] = nullptr;  // rte_pktmbuf_free() skips it
            ++salvaged;
        }
    }
    held_ -= on_row - (current_dropped ? 1 : 0);
    const DropReason reason = at_end            ? DropReason::fragment_pending
                              : current_dropped ? DropReason::fragment_rejected
                                                : DropReason::fragment_timeout;
    counters.drops[index_of(reason)].add(on_row - salvaged);
    rte_ip_frag_free_death_row(death_row_, 0);
}

rte_mbuf* FragmentReassembler::add(rte_mbuf* fragment, const DecodedPacket& packet,
                                   uint32_t l2_length, uint64_t now_us, uint32_t& fragments,
                                   WorkerCounters& counters) noexcept {
    fragments = 1;
    // rte_ip_frag counts one segment per fragment, cannot reach past 127 bytes of link
    // headers, and finds an IPv6 fragment header only right after the fixed header.
    if (fragment->nb_segs != 1 || l2_length > kMaxL2Length || packet.l3_header_length == 0) {
        fragment->l2_len = std::min(l2_length, kMaxL2Length);
        if (fragment->nb_segs == 1 && l2_length <= kMaxL2Length && salvage(fragment))
            return nullptr;
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
        empty_death_row(fragment, false, counters);
        counters.fragments_held.set(held_);
        return nullptr;
    }
    empty_death_row(fragment, false, counters);
    fragments = datagram->nb_segs;
    held_ -= fragments - 1;  // the others were held, this one never was
    counters.datagrams_reassembled.add();
    counters.fragments_held.set(held_);
    return datagram;
}

void FragmentReassembler::expire(uint64_t now_us, WorkerCounters& counters) noexcept {
    if (held_ == 0) return;
    rte_ip_frag_table_del_expired_entries(table_, death_row_, now_us);
    empty_death_row(nullptr, false, counters);
    counters.fragments_held.set(held_);
}

void FragmentReassembler::flush(WorkerCounters& counters) noexcept {
    // Expiring "at the end of time" moves every datagram to the death row, a row at a time.
    while (held_ != 0) {
        rte_ip_frag_table_del_expired_entries(table_, death_row_, UINT64_MAX);
        if (death_row_->cnt == 0) break;
        empty_death_row(nullptr, true, counters);
    }
    // Anything the table would not give back (none expected) still counts once.
    counters.drops[index_of(DropReason::fragment_pending)].add(held_);
    held_ = 0;
    counters.fragments_held.set(0);
}

}  // namespace ottscope
