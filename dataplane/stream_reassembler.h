#pragma once
// TCP stream reassembly of the first bytes of each direction: enough for handshakes and
// request headers (TLS ClientHello/ServerHello/Certificate, HTTP request heads, SIP), never
// the whole flow. Each reassembled flow holds one fixed-size block from a per-worker pool:
// two direction headers and a buffer of `depth_bytes` per direction. Out-of-order bytes
// wait in that same buffer at their final offset, tracked by a small list of held ranges,
// so the packet path never allocates once the pool has grown to its peak.
//
// Overlap policy: the first bytes seen for a sequence range win (Snort's stream "first"
// policy). A later segment that disagrees with bytes already held is counted
// (overlap_conflict) and its differing bytes are dropped; its bytes outside what is held are
// kept. A passive monitor cannot know which end host's TCP stack decides what the
// application really read (the per-OS policies of IDS engines need host tables we do not
// have), so it keeps what it can defend: the bytes that were on the wire first, which for
// plain retransmissions are the same bytes anyway. Rewriting bytes after the fact (an
// evasion trick) is made visible by the counter rather than silently believed.
//
// Sequence numbers: a SYN (or SYN-ACK) fixes the direction's start at ISN+1, even before any
// payload (kept in the flow's StreamSlot, no buffer needed yet). Without a SYN (flows picked
// up mid-stream) the first data segment seen starts the stream, and earlier bytes that
// arrive later are ignored (before_start). Offsets are taken modulo 2^32, so streams that
// cross the sequence wrap point reassemble like any other.
//
// Holes: bytes beyond a hole wait (flag gap) in up to kMaxHeldRanges ranges; a segment that
// would need one more is dropped and counted (the sender's retransmission brings it back).
// A hole that never fills stops the prefix there: classifiers see the gap flag, and FIN or
// RST, and decide when to give up. Nothing is skipped over: a handshake parser cannot use
// bytes after a hole anyway.

#include <array>
#include <cstdint>
#include <span>

#include "classifiers/classifier.h"
#include "classifiers/state_pool.h"
#include "counters.h"

namespace ottscope {

struct StreamSettings {
    uint32_t depth_bytes = 16384;  // per direction
    uint32_t max_flows = 4096;     // flows reassembled at once, per worker
    bool all_tcp = false;          // as if every classifier wanted the stream (diagnostics, tests)
};

struct StreamBlock;
struct StreamDirection;

// The per-flow slot (a member of Flow): the ISNs learned from SYNs and the buffer, if any.
struct StreamSlot {
    StreamBlock* block = nullptr;
    std::array<uint32_t, 2> isn{};
    uint8_t syn_seen = 0;   // bit d: direction d sent a SYN
    bool finished = false;  // released for good (classifiers done) or never got a buffer
    bool unavailable = false;
};

// What one segment made available, for PacketView.
struct StreamDelivery {
    std::span<const uint8_t> stream;
    uint32_t new_offset = 0;
    uint8_t flags = 0;  // stream_flag bits
};

class StreamReassembler {
public:
    StreamReassembler(StreamSettings settings, StreamCounters& counters);
    StreamReassembler(const StreamReassembler&) = delete;
    StreamReassembler& operator=(const StreamReassembler&) = delete;

    // One TCP segment of the flow, in direction 0 (client to server) or 1.
    StreamDelivery feed(StreamSlot& slot, uint8_t direction, uint32_t seq, uint8_t tcp_flags,
                        std::span<const uint8_t> payload) noexcept;
    // The contiguous prefix of a direction so far (empty without a buffer).
    [[nodiscard]] StreamDelivery current(const StreamSlot& slot, uint8_t direction) const noexcept;
    // Gives the buffer back; the flow is not reassembled again.
    void release(StreamSlot& slot) noexcept;

    [[nodiscard]] const StreamSettings& settings() const noexcept { return settings_; }
    [[nodiscard]] size_t buffers_in_use() const noexcept { return pool_.in_use(); }
    [[nodiscard]] size_t bytes_in_use() const noexcept {
        return pool_.in_use() * pool_.block_size();
    }

    // Out-of-order ranges a direction can hold at once beyond its contiguous prefix.
    static constexpr size_t kMaxHeldRanges = 8;

private:
    bool ensure_block(StreamSlot& slot) noexcept;
    [[nodiscard]] uint8_t* buffer(StreamBlock* block, uint8_t direction) const noexcept;
    void place(StreamDirection& dir, uint8_t* data, uint32_t seq,
               std::span<const uint8_t> payload) noexcept;
    void count(StreamEvent event) noexcept { counters_.events[static_cast<size_t>(event)].add(); }

    StreamSettings settings_;
    StreamCounters& counters_;
    StatePool pool_;
};

}  // namespace ottscope
