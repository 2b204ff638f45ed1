#include "stream_reassembler.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "packet_decoder.h"

namespace ottscope {

namespace {
struct Range {
    uint32_t begin;  // offsets from the direction's first byte
    uint32_t end;
};
using HeldRanges = std::array<Range, StreamReassembler::kMaxHeldRanges>;

// Chunks of this many blocks: small enough that a quiet worker holds little, large enough
// that growth is rare.
constexpr size_t kBlocksPerChunk = 64;
}  // namespace

struct StreamDirection {
    uint32_t base_seq = 0;    // sequence number of offset 0
    uint32_t contiguous = 0;  // bytes [0, contiguous) are in place, in order
    uint8_t flags = 0;        // stream_flag bits
    uint8_t held_count = 0;
    bool started = false;
    bool bound_hit = false;  // bytes were lost at the depth bound (counted once)
    HeldRanges held{};       // sorted, disjoint, not touching, all beyond `contiguous`
};

struct StreamBlock {
    std::array<StreamDirection, 2> direction;
};

StreamReassembler::StreamReassembler(StreamSettings settings, StreamCounters& counters)
    : settings_(settings),
      counters_(counters),
      pool_(sizeof(StreamBlock) + 2 * size_t{settings.depth_bytes},
            std::clamp<size_t>(settings.max_flows, 1, kBlocksPerChunk)) {}

uint8_t* StreamReassembler::buffer(StreamBlock* block, uint8_t direction) const noexcept {
    return reinterpret_cast<uint8_t*>(block) + sizeof(StreamBlock) +
           size_t{direction} * settings_.depth_bytes;
}

bool StreamReassembler::ensure_block(StreamSlot& slot) noexcept {
    if (slot.block != nullptr) return true;
    void* memory = nullptr;
    if (pool_.in_use() < settings_.max_flows) {
        try {
            memory = pool_.acquire();
        } catch (const std::bad_alloc&) {
            memory = nullptr;
        }
    }
    if (memory == nullptr) {
        count(StreamEvent::pool_exhausted);
        slot.finished = true;
        slot.unavailable = true;
        return false;
    }
    slot.block = new (memory) StreamBlock{};
    counters_.buffers_in_use.set(pool_.in_use());
    return true;
}

void StreamReassembler::release(StreamSlot& slot) noexcept {
    slot.finished = true;
    if (slot.block == nullptr) return;
    slot.block->~StreamBlock();
    pool_.release(slot.block);
    slot.block = nullptr;
    counters_.buffers_in_use.set(pool_.in_use());
}

StreamDelivery StreamReassembler::current(const StreamSlot& slot,
                                          uint8_t direction) const noexcept {
    if (slot.block == nullptr)
        return {{}, 0, slot.unavailable ? stream_flag::unavailable : uint8_t{0}};
    const StreamDirection& dir = slot.block->direction[direction];
    return {{buffer(slot.block, direction), dir.contiguous}, dir.contiguous, dir.flags};
}

StreamDelivery StreamReassembler::feed(StreamSlot& slot, uint8_t direction, uint32_t seq,
                                       uint8_t tcp_flags,
                                       std::span<const uint8_t> payload) noexcept {
    if (slot.finished) [[unlikely]]
        return current(slot, direction);
    const uint8_t bit = static_cast<uint8_t>(1u << direction);
    if ((tcp_flags & tcp_flag::syn) != 0) {
        // A SYN fixes the start unless data has started already (a late duplicate SYN).
        const bool started = slot.block != nullptr && slot.block->direction[direction].started;
        if (!started) {
            slot.isn[direction] = seq;
            slot.syn_seen |= bit;
        }
        ++seq;  // data carried on a SYN (TCP Fast Open) starts at ISN+1
    }
    if (payload.empty()) {
        if (slot.block != nullptr && (tcp_flags & (tcp_flag::fin | tcp_flag::rst)) != 0) {
            StreamDirection& dir = slot.block->direction[direction];
            if ((tcp_flags & tcp_flag::fin) != 0) dir.flags |= stream_flag::fin;
            if ((tcp_flags & tcp_flag::rst) != 0) {
                slot.block->direction[0].flags |= stream_flag::rst;
                slot.block->direction[1].flags |= stream_flag::rst;
            }
        }
        return current(slot, direction);
    }
    if (!ensure_block(slot)) [[unlikely]]
        return current(slot, direction);

    StreamDirection& dir = slot.block->direction[direction];
    if (!dir.started) {
        if ((slot.syn_seen & bit) != 0) {
            dir.base_seq = slot.isn[direction] + 1;
        } else {
            dir.base_seq = seq;
            dir.flags |= stream_flag::midstream;
        }
        dir.started = true;
    }
    const uint32_t before = dir.contiguous;
    uint8_t* data = buffer(slot.block, direction);
    place(dir, data, seq, payload);
    if ((tcp_flags & tcp_flag::fin) != 0) dir.flags |= stream_flag::fin;
    if ((tcp_flags & tcp_flag::rst) != 0) {
        slot.block->direction[0].flags |= stream_flag::rst;
        slot.block->direction[1].flags |= stream_flag::rst;
    }
    counters_.delivered_bytes.add(dir.contiguous - before);
    return {{data, dir.contiguous}, before, dir.flags};
}

void StreamReassembler::place(StreamDirection& dir, uint8_t* data, uint32_t seq,
                              std::span<const uint8_t> payload) noexcept {
    const uint8_t* bytes = payload.data();
    uint64_t length = payload.size();
    // Modulo-2^32 distance from the start: negative means before it, whatever the wrap.
    int64_t offset = static_cast<int32_t>(seq - dir.base_seq);
    if (offset < 0) {
        const uint64_t skip = static_cast<uint64_t>(-offset);
        if (skip >= length) {
            count(StreamEvent::before_start);
            return;
        }
        bytes += skip;
        length -= skip;
        offset = 0;
    }
    const uint32_t depth = settings_.depth_bytes;
    uint32_t begin = static_cast<uint32_t>(offset);
    if (static_cast<uint64_t>(begin) + length > depth) {
        if (!dir.bound_hit) count(StreamEvent::truncated);
        dir.bound_hit = true;
        if (begin >= depth) return;
        length = depth - begin;
    }
    const uint32_t end = begin + static_cast<uint32_t>(length);
    const bool at_prefix = begin <= dir.contiguous;  // no hole before this segment
    bool conflict = false;
    bool added = false;

    // Bytes inside the contiguous prefix are only compared: the first seen stay.
    if (begin < dir.contiguous) {
        const uint32_t upto = std::min(end, dir.contiguous);
        conflict = std::memcmp(data + begin, bytes, upto - begin) != 0;
        bytes += upto - begin;
        begin = upto;
    }
    if (begin < end) {
        // The held ranges after merging [begin, end) in, worked out first so that a segment
        // needing more ranges than the list holds changes nothing.
        std::array<Range, kMaxHeldRanges + 1> merged{};
        size_t count_after = 0;
        Range joined{begin, end};
        bool placed = false;
        for (size_t i = 0; i < dir.held_count; ++i) {
            const Range r = dir.held[i];
            if (r.end < joined.begin) {
                merged[count_after++] = r;
            } else if (r.begin > joined.end) {
                if (!placed) merged[count_after++] = joined;
                placed = true;
                merged[count_after++] = r;
            } else {
                joined.begin = std::min(joined.begin, r.begin);
                joined.end = std::max(joined.end, r.end);
            }
        }
        if (!placed) merged[count_after++] = joined;
        // A range that starts at the prefix end joins it (only the first one can).
        const size_t absorbed = merged[0].begin <= dir.contiguous ? 1 : 0;
        if (count_after - absorbed > kMaxHeldRanges) {
            count(StreamEvent::held_ranges_full);
            return;
        }

        // Copy what is new, compare what is held.
        uint32_t cursor = begin;
        auto source = [bytes, begin](uint32_t at) { return bytes + (at - begin); };
        for (size_t i = 0; i < dir.held_count && cursor < end; ++i) {
            const Range r = dir.held[i];
            if (r.end <= cursor) continue;
            if (r.begin >= end) break;
            if (r.begin > cursor) {
                std::memcpy(data + cursor, source(cursor), r.begin - cursor);
                added = true;
            }
            const uint32_t overlap_begin = std::max(r.begin, cursor);
            const uint32_t overlap_end = std::min(r.end, end);
            if (std::memcmp(data + overlap_begin, source(overlap_begin),
                            overlap_end - overlap_begin) != 0)
                conflict = true;
            cursor = overlap_end;
        }
        if (cursor < end) {
            std::memcpy(data + cursor, source(cursor), end - cursor);
            added = true;
        }

        if (absorbed != 0) dir.contiguous = std::max(dir.contiguous, merged[0].end);
        dir.held_count = static_cast<uint8_t>(count_after - absorbed);
        std::copy(merged.begin() + static_cast<std::ptrdiff_t>(absorbed),
                  merged.begin() + static_cast<std::ptrdiff_t>(count_after), dir.held.begin());
    }

    if (conflict) count(StreamEvent::overlap_conflict);
    if (added)
        count(at_prefix ? StreamEvent::in_order : StreamEvent::out_of_order);
    else if (!conflict)
        count(StreamEvent::retransmitted);
    dir.flags = static_cast<uint8_t>(dir.flags & ~(stream_flag::gap | stream_flag::truncated));
    if (dir.held_count != 0) dir.flags |= stream_flag::gap;
    if (dir.contiguous == depth) dir.flags |= stream_flag::truncated;
}

}  // namespace ottscope
