#pragma once
// The TLS classifier's look past the handshake: for TCP flows whose handshake named no app
// (no rule matched; nDPI says no more than "TLS"), it keeps reading the TLS record layer of
// the stream until the behaviour model settles (its record window) or kMaxWatchBytes of new
// stream bytes went by, then claims the unattributed app `sip-tls` (category voip) with the
// model's low or medium confidence. Records are read from the reassembled stream while a
// direction has not started or bytes wait beyond a hole, then from the segments placed by
// sequence number (tls_segment_records.h; the worker frees the stream buffer). Only packets
// that bring new bytes count towards kMaxWatchPackets, so tiny segments, retransmissions, IP
// fragments and acknowledgements change nothing the model sees.
// The claim is at the protocol tier, so it replaces nDPI's generic TLS label, but it is
// never made over a rule's app or over a specific nDPI label (TLS.Google, ...).
//
// Per flow while watching: one pooled block of 448 bytes (the record walkers with their
// out-of-order bytes, and the model), plus the flow's TLS record summary it carries until the
// watch ends. The block pointer handed back in the classifier's state slot is tagged in its
// low bit, so the classifier tells it from its handshake state without a field of its own.

#include <cstdint>

#include "classifiers/classifier.h"
#include "classifiers/state_pool.h"
#include "classifiers/tls/tls_segment_records.h"
#include "tls_behaviour_model.h"

namespace ottscope {

class AppCatalog;

namespace tls {

// Record walkers of both directions and the model they feed: lives in the handshake state
// from the first packet on, and moves into the watch block.
struct BehaviourTrack {
    SegmentRecordWalker walker[2];
    BehaviourModel model;
    uint32_t stream_start[2] = {0, 0};  // sequence number of each direction's stream byte 0
    bool streamed[2] = {false, false};  // the direction is walked over the reassembled stream
    bool gap[2] = {false, false};       // its stream holds bytes beyond a hole

    // While the flow is reassembled: the stream's new bytes, in order whatever the order of
    // the segments (falls back to the segment where the stream is cut or unavailable).
    // Both return how many bytes were new to the walk.
    uint32_t feed_stream(const PacketView& packet) noexcept;
    // Without reassembly: the segment's own bytes, placed by sequence number.
    uint32_t feed_segment(const PacketView& packet) noexcept;
    // The window ends: a record still arriving counts by its header.
    void flush(uint64_t at_ms) noexcept;
};

}  // namespace tls

class TlsBehaviourWatch {
public:
    // Names the app and its evidence in `catalog` (control side); null: watches, names nothing.
    TlsBehaviourWatch(uint8_t registry_index, AppCatalog* catalog);

    // Backstops behind the model's record window (BehaviourModel::kMaxRecords): bytes new to
    // the record walk, and the packets that brought them (a window of SIP records is a few
    // kilobytes: 4 KB in 1-byte segments still fits; at 4 bytes a segment and more, the
    // bytes run out first).
    static constexpr uint32_t kMaxWatchBytes = 64 * 1024;
    static constexpr uint32_t kMaxWatchPackets = 16 * 1024;

    [[nodiscard]] static bool watching(const void* state) noexcept {
        return (reinterpret_cast<uintptr_t>(state) & 1) != 0;
    }
    // End of the handshake: `state` holds the flow's record summary (may be null). True when
    // the flow is worth watching; `state` then holds the watch.
    // `last_ms`, `stream_flags`: of the packet that ended the handshake.
    bool begin(void*& state, const tls::BehaviourTrack& track, const Verdict& verdict,
               uint64_t last_ms, uint8_t stream_flags) noexcept;
    // What the worker should keep for a watched flow: the stream (need_more) until both
    // directions' record walks have their start, then packets only (need_more_packets).
    [[nodiscard]] static Progress progress(const tls::BehaviourTrack& track,
                                           uint8_t stream_flags) noexcept;
    // A packet of a watched flow: need_more(_packets) until the watch ends (done; `state` holds
    // the record summary again).
    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept;
    // The flow ends while watched: claim on what was seen, hand the summary back.
    void conclude(void*& state, Verdict& verdict) noexcept;
    // The watch ends without a verdict (the flow record is written without conclude()).
    void abandon(void*& state) noexcept;

    [[nodiscard]] size_t state_bytes_in_use() const noexcept {
        return pool_.in_use() * pool_.block_size();
    }

    struct Watch;

private:
    [[nodiscard]] bool generic(const Verdict& verdict) const noexcept;
    void finish(void*& state, Verdict* verdict) noexcept;

    uint8_t registry_index_;
    uint16_t app_ = 0;          // sip-tls
    uint16_t generic_tls_ = 0;  // nDPI's "TLS"
    uint16_t evidence_ = 0;
    StatePool pool_;
};

}  // namespace ottscope
