#include "tls_behaviour_watch.h"

#include <cstddef>
#include <cstring>
#include <new>

#include "classifiers/app_catalog.h"

namespace ottscope {

namespace tls {

uint32_t BehaviourTrack::feed_stream(const PacketView& packet) noexcept {
    const auto d = static_cast<size_t>(packet.direction);
    gap[d] = false;
    if ((packet.stream_flags & (stream_flag::unavailable | stream_flag::truncated)) != 0)
        return feed_segment(packet);
    gap[d] = (packet.stream_flags & stream_flag::gap) != 0;
    uint32_t from = packet.stream_new_offset;
    if (!streamed[d]) {
        // The classifier may take the flow up a few bytes in (a stream cut into tiny
        // segments, its first segment late): byte 0's sequence number is found from a
        // segment that brought new bytes, at the first of them (in order, or filling a hole)
        // or ending the stream so far (joined by bytes held beyond it), and the walk starts
        // from byte 0.
        const std::span<const uint8_t> stream = packet.stream;
        const std::span<const uint8_t> payload = packet.payload;
        if (payload.empty() || payload.size() > stream.size() ||
            packet.stream_new_offset >= stream.size())
            return 0;
        const auto found_at = [&](size_t at) {
            return at + payload.size() <= stream.size() &&
                   std::memcmp(stream.data() + at, payload.data(), payload.size()) == 0;
        };
        size_t offset = packet.stream_new_offset;
        if (!found_at(offset)) {
            offset = stream.size() - payload.size();
            if (!found_at(offset)) return 0;
        }
        streamed[d] = true;
        stream_start[d] = packet.tcp_seq - static_cast<uint32_t>(offset);
        walker[d].start(stream_start[d]);
        from = 0;
    }
    if (from >= packet.stream.size()) return 0;
    const uint8_t holes = walker[d].holes();
    const uint32_t fresh = walker[d].feed(
        stream_start[d] + from, packet.stream.subspan(from), [&](uint8_t type, uint32_t length) {
            model.on_record(packet.direction, type, length, packet.timestamp_ms);
        });
    if (walker[d].holes() != holes) model.on_hole();
    return fresh;
}

uint32_t BehaviourTrack::feed_segment(const PacketView& packet) noexcept {
    if (packet.payload.empty()) return 0;
    const auto d = static_cast<size_t>(packet.direction);
    const uint8_t holes = walker[d].holes();
    const uint32_t fresh =
        walker[d].feed(packet.tcp_seq, packet.payload, [&](uint8_t type, uint32_t length) {
            model.on_record(packet.direction, type, length, packet.timestamp_ms);
        });
    if (walker[d].holes() != holes) model.on_hole();
    return fresh;
}

void BehaviourTrack::flush(uint64_t at_ms) noexcept {
    for (size_t d = 0; d < 2; ++d) {
        walker[d].flush([&](uint8_t type, uint32_t length) {
            model.on_record(static_cast<Direction>(d), type, length, at_ms);
        });
    }
}

}  // namespace tls

struct TlsBehaviourWatch::Watch {
    void* summary = nullptr;
    tls::BehaviourTrack track;
    uint64_t last_ms = 0;
    bool stream_kept = false;  // the last answer kept the stream reassembled
    uint32_t packets = 0;      // that brought bytes new to the walk
    uint32_t bytes = 0;        // new to the walk
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
                              const Verdict& verdict, uint64_t last_ms,
                              uint8_t stream_flags) noexcept {
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
    watch->last_ms = last_ms;
    watch->stream_kept = progress(track, stream_flags) == Progress::need_more;
    state = tag(watch);
    return true;
}

Progress TlsBehaviourWatch::inspect(void*& state, const PacketView& packet,
                                    Verdict& verdict) noexcept {
    Watch* watch = untag(state);
    // Only packets with bytes new to the record walk count: retransmissions, fragments,
    // tiny segments and acknowledgements cannot use the window up before its records.
    // While still reassembled (progress() below), the stream's new bytes, in order.
    const bool streamed =
        watch->stream_kept && (packet.stream_flags & stream_flag::unavailable) == 0;
    const uint32_t fresh =
        streamed ? watch->track.feed_stream(packet) : watch->track.feed_segment(packet);
    watch->last_ms = packet.timestamp_ms;
    if (fresh != 0) {
        ++watch->packets;
        watch->bytes += fresh;
    }
    const bool lost = !watch->track.walker[0].synced() && !watch->track.walker[1].synced();
    if (watch->track.model.settled() || lost || watch->packets >= kMaxWatchPackets ||
        watch->bytes >= kMaxWatchBytes || (packet.tcp_flags & 0x04) != 0) {  // RST
        finish(state, &verdict);
        return Progress::done;
    }
    const Progress next = progress(watch->track, packet.stream_flags);
    // Once given up, the flow's stream is not reassembled again.
    watch->stream_kept = next == Progress::need_more;
    return next;
}

Progress TlsBehaviourWatch::progress(const tls::BehaviourTrack& track,
                                     uint8_t stream_flags) noexcept {
    // A direction that has not sent a byte yet (the handshake phase ended on its packet
    // budget, the stream cut into tiny segments) still needs the stream to find its start,
    // and bytes the stream holds beyond a hole would be lost with its buffer; then segments
    // are enough and the worker frees the stream buffer.
    const bool needed = !track.streamed[0] || !track.streamed[1] || track.gap[0] || track.gap[1];
    return needed && (stream_flags & stream_flag::unavailable) == 0 ? Progress::need_more
                                                                    : Progress::need_more_packets;
}

void TlsBehaviourWatch::conclude(void*& state, Verdict& verdict) noexcept {
    finish(state, &verdict);
}

void TlsBehaviourWatch::abandon(void*& state) noexcept {
    finish(state, nullptr);
}

void TlsBehaviourWatch::finish(void*& state, Verdict* verdict) noexcept {
    Watch* watch = untag(state);
    watch->track.flush(watch->last_ms);
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
