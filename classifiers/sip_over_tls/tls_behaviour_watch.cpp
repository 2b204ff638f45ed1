#include "tls_behaviour_watch.h"

#include <cstddef>
#include <new>

#include "classifiers/app_catalog.h"

namespace ottscope {

namespace tls {

void BehaviourTrack::feed_stream(const PacketView& packet) noexcept {
    if ((packet.stream_flags & (stream_flag::unavailable | stream_flag::truncated)) != 0) {
        feed_segment(packet);
        return;
    }
    const auto d = static_cast<size_t>(packet.direction);
    if (!streamed[d]) {
        // The stream starts with this segment's bytes: its sequence number is byte 0's.
        if (packet.stream.empty() || packet.stream_new_offset != 0) return;
        streamed[d] = true;
        stream_start[d] = packet.tcp_seq;
        walker[d].start(packet.tcp_seq);
    }
    if (packet.stream_new_offset >= packet.stream.size()) return;
    const uint8_t holes = walker[d].holes();
    walker[d].feed(stream_start[d] + packet.stream_new_offset,
                   packet.stream.subspan(packet.stream_new_offset),
                   [&](uint8_t type, uint32_t length) {
                       model.on_record(packet.direction, type, length, packet.timestamp_ms);
                   });
    if (walker[d].holes() != holes) model.on_hole();
}

void BehaviourTrack::feed_segment(const PacketView& packet) noexcept {
    if (packet.payload.empty()) return;
    const auto d = static_cast<size_t>(packet.direction);
    const uint8_t holes = walker[d].holes();
    walker[d].feed(packet.tcp_seq, packet.payload, [&](uint8_t type, uint32_t length) {
        model.on_record(packet.direction, type, length, packet.timestamp_ms);
    });
    if (walker[d].holes() != holes) model.on_hole();
}

}  // namespace tls

struct TlsBehaviourWatch::Watch {
    void* summary = nullptr;
    tls::BehaviourTrack track;
    uint32_t packets = 0;
};

namespace {
// Pool blocks are 64-byte aligned: the low bit of a watch's address is free for the tag.
TlsBehaviourWatch::Watch* untag(void* state) noexcept {
    return reinterpret_cast<TlsBehaviourWatch::Watch*>(static_cast<std::byte*>(state) - 1);
}
void* tag(TlsBehaviourWatch::Watch* watch) noexcept {
    return reinterpret_cast<std::byte*>(watch) + 1;
}
}  // namespace

TlsBehaviourWatch::TlsBehaviourWatch(uint8_t registry_index, AppCatalog* catalog)
    : registry_index_(registry_index), pool_(sizeof(Watch), 1024) {
    if (catalog == nullptr) return;
    // Not an nDPI protocol and not a rule app: a fixed name of ours, kept in the custom
    // region so that it has an id for the life of the process and rules cannot reuse it.
    app_ = catalog->intern_custom_protocol("sip-tls", "voip").id;
    generic_tls_ = catalog->find_ndpi_protocol("TLS").value_or(AppCatalog::kUnknown);
    evidence_ =
        catalog->intern_classifier_evidence("tls.behaviour=sip-like record sizes and cadence");
}

bool TlsBehaviourWatch::generic(const Verdict& verdict) const noexcept {
    if (verdict.tier >= ClaimTier::ndpi_rule) return false;  // a rule named it
    if (verdict.classifier == registry_index_) return true;  // our own earlier claim
    return verdict.app == AppCatalog::kUnknown ||
           (generic_tls_ != AppCatalog::kUnknown && verdict.app == generic_tls_);
}

bool TlsBehaviourWatch::begin(void*& state, const tls::BehaviourTrack& track,
                              const Verdict& verdict) noexcept {
    // Without a catalog there is no app to name: nothing to watch for.
    if (app_ == AppCatalog::kUnknown || !generic(verdict) || track.model.settled()) return false;
    if (!track.walker[0].synced() && !track.walker[1].synced()) return false;
    Watch* watch = nullptr;
    try {
        watch = new (pool_.acquire()) Watch{};
    } catch (const std::bad_alloc&) {
        return false;
    }
    watch->summary = state;
    watch->track = track;
    state = tag(watch);
    return true;
}

Progress TlsBehaviourWatch::inspect(void*& state, const PacketView& packet,
                                    Verdict& verdict) noexcept {
    Watch* watch = untag(state);
    watch->track.feed_segment(packet);
    ++watch->packets;
    const bool lost = !watch->track.walker[0].synced() && !watch->track.walker[1].synced();
    if (watch->track.model.settled() || lost || watch->packets >= kMaxWatchPackets ||
        (packet.tcp_flags & 0x04) != 0) {  // RST
        finish(state, &verdict);
        return Progress::done;
    }
    return Progress::need_more_packets;
}

void TlsBehaviourWatch::conclude(void*& state, Verdict& verdict) noexcept {
    finish(state, &verdict);
}

void TlsBehaviourWatch::abandon(void*& state) noexcept {
    finish(state, nullptr);
}

void TlsBehaviourWatch::finish(void*& state, Verdict* verdict) noexcept {
    Watch* watch = untag(state);
    if (watch->track.walker[0].hole_open() || watch->track.walker[1].hole_open())
        watch->track.model.on_hole();  // late bytes that never came: records may be missing
    const Confidence confidence = watch->track.model.assess();
    if (verdict != nullptr && confidence != Confidence::none && generic(*verdict)) {
        Verdict sip;
        sip.app = app_;
        sip.evidence = evidence_;
        sip.classifier = registry_index_;
        sip.confidence = confidence;
        sip.tier = ClaimTier::protocol;
        verdict->claim(sip);
    }
    state = watch->summary;
    watch->~Watch();
    pool_.release(watch);
}

}  // namespace ottscope
