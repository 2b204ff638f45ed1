#pragma once
// Per-worker IP fragment reassembly over DPDK's rte_ip_frag. Held fragments stay mbufs in
// the table, so the table is bounded in datagrams (each at most RTE_LIBRTE_IP_FRAG_MAX_FRAG
// fragments) and in time. Every fragment taken in leaves exactly once: inside a reassembled
// datagram (its flow then counts one packet per fragment); as a "salvaged" first fragment
// of a datagram that could not be completed, handed back to be inspected alone like any
// packet (it carries the ports and the start of the payload, which is what a flow needs);
// or under a drop reason (fragment_timeout, fragment_rejected, ip_fragment, or
// fragment_pending at flush()).

#include <cstdint>
#include <vector>

struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;
struct rte_mbuf;

namespace ottscope {

struct DecodedPacket;
struct WorkerCounters;

struct FragmentLimits {
    uint32_t max_datagrams = 512;     // datagrams being reassembled at once, per worker
    uint64_t timeout_us = 2'000'000;  // since a datagram's first fragment (capture time)
};

class FragmentReassembler {
public:
    FragmentReassembler(FragmentLimits limits, int socket_id);
    ~FragmentReassembler();
    FragmentReassembler(const FragmentReassembler&) = delete;
    FragmentReassembler& operator=(const FragmentReassembler&) = delete;

    // Takes ownership of `fragment` (decoded as DecodeStatus::ip_fragment, IP header at
    // byte `l2_length`). Returns the whole datagram, a chained mbuf the caller processes
    // and frees, with `fragments` set to how many packets it stands for; or nullptr when
    // the fragment is held or was counted as dropped.
    rte_mbuf* add(rte_mbuf* fragment, const DecodedPacket& packet, uint32_t l2_length,
                  uint64_t now_us, uint32_t& fragments, WorkerCounters& counters) noexcept;
    // Drops datagrams older than the timeout at `now_us` (counted as fragment_timeout).
    void expire(uint64_t now_us, WorkerCounters& counters) noexcept;
    // End of run: whatever is still held counts as fragment_pending (first fragments are
    // salvaged).
    void flush(WorkerCounters& counters) noexcept;
    [[nodiscard]] uint64_t held() const noexcept { return held_; }

    // A first fragment given up on by add(), expire() or flush(), or nullptr. The caller
    // inspects it alone (FragmentPolicy::first_alone), counts it, and frees it.
    rte_mbuf* take_salvaged() noexcept {
        if (salvaged_.empty()) return nullptr;
        rte_mbuf* first = salvaged_.back();
        salvaged_.pop_back();
        return first;
    }

private:
    void empty_death_row(const rte_mbuf* current, bool at_end, WorkerCounters& counters) noexcept;
    bool salvage(rte_mbuf* fragment) noexcept;

    rte_ip_frag_tbl* table_ = nullptr;
    rte_ip_frag_death_row* death_row_ = nullptr;
    uint64_t held_ = 0;                // fragments in the table, not yet counted anywhere
    std::vector<rte_mbuf*> salvaged_;  // reserved up front: no allocation per packet
};

}  // namespace ottscope
