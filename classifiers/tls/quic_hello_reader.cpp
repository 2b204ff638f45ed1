#include "quic_hello_reader.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

#include "quic_frames.h"

namespace ottscope::tls::quic {

static_assert(std::is_trivially_copyable_v<QuicFlow>);

bool QuicHelloReader::open_initial(QuicFlow& flow, const LongHeader& header,
                                   std::span<const uint8_t> packet) noexcept {
    uint64_t packet_number = 0;
    int length = -1;
    if (flow.keyed && header.version == flow.version)
        length = opener_.open(flow.keys, header, packet, flow.largest, plaintext_, packet_number);
    // Keys come from the DCID of the client's first Initial; later Initials keep them even
    // when they carry the server's chosen ID. Only a packet the current keys do not open and
    // whose DCID is new (after a Retry) is worth a new derivation.
    const bool new_dcid = !flow.keyed || header.version != flow.version ||
                          !std::equal(header.dcid.begin(), header.dcid.end(), flow.dcid.begin(),
                                      flow.dcid.begin() + flow.dcid_length) ||
                          header.dcid.size() != flow.dcid_length;
    const size_t candidates = key_candidates(header.version);
    for (size_t candidate = 0;
         length < 0 && new_dcid && candidate < candidates && flow.derivations < kMaxDerivations;
         ++candidate) {
        ++flow.derivations;
        ++counts_.key_derivations;
        InitialKeys keys;
        if (!opener_.derive_client(header.version, header.dcid, keys, candidate)) continue;
        length = opener_.open(keys, header, packet, -1, plaintext_, packet_number);
        if (length < 0) continue;
        // After a Retry the client sends its ClientHello again from offset 0.
        if (flow.keyed) flow.crypto.reset();
        flow.keys = keys;
        flow.keyed = true;
        flow.version = header.version;
        flow.dcid_length = static_cast<uint8_t>(header.dcid.size());
        std::copy(header.dcid.begin(), header.dcid.end(), flow.dcid.begin());
        flow.largest = -1;
    }
    if (length < 0) {
        note(QuicEvent::not_opened, counts_.open_failures);
        return false;
    }
    note(QuicEvent::opened, counts_.initials_opened);
    flow.largest = std::max(flow.largest, static_cast<int64_t>(packet_number));
    switch (read_frames(std::span(plaintext_.data(), static_cast<size_t>(length)), flow.crypto,
                        crypto_frame_type(header.version))) {
        case FrameWalk::malformed:
            note(QuicEvent::malformed_frames, counts_.malformed_frames);
            break;
        case FrameWalk::overflow:
            note(QuicEvent::crypto_overflow, counts_.crypto_overflows);
            break;
        case FrameWalk::ok:
        case FrameWalk::stopped:
            break;
    }
    return true;
}

QuicRead QuicHelloReader::feed(void*& state, std::span<const uint8_t> datagram,
                               uint8_t direction) noexcept {
    ++counts_.datagrams;
    auto* flow = static_cast<QuicFlow*>(state);
    if (flow != nullptr && direction != flow->client_direction) return QuicRead::pending;
    if (flow == nullptr) {
        probe_.keyed = false;
        probe_.derivations = 0;
        probe_.dcid_length = 0;
        probe_.version = 0;
        probe_.largest = -1;
        probe_.crypto.reset();
    }
    QuicFlow& reading = flow != nullptr ? *flow : probe_;
    // A flow's state comes from its client's first Initial, which a compliant client sends
    // in a full-size datagram; later Initials of a flow that has state are read as they come.
    const bool may_open =
        flow != nullptr || open_undersized_ || datagram.size() >= kMinClientDatagram;
    bool opened = false;
    bool quic = false;
    size_t at = 0;
    while (at < datagram.size()) {
        const std::span<const uint8_t> rest = datagram.subspan(at);
        LongHeader header;
        // A short header runs to the end of the datagram; VN, unknown versions and bad
        // lengths leave nothing we could find the next packet's start in.
        if (parse_long_header(rest, header) != HeaderResult::ok) break;
        quic = true;
        if (header.type == PacketType::retry) break;
        if (header.type == PacketType::initial) {
            if (!may_open)
                note(QuicEvent::undersized, counts_.undersized);
            else if (open_initial(reading, header, rest.first(header.end)))
                opened = true;
        }
        at += header.end;
    }
    if (!opened) return quic ? QuicRead::not_initial : QuicRead::not_quic;
    if (flow == nullptr) {
        try {
            flow = static_cast<QuicFlow*>(pool_.acquire());
        } catch (const std::bad_alloc&) {
            return QuicRead::not_initial;
        }
        std::memcpy(static_cast<void*>(flow), &probe_, sizeof(QuicFlow));
        flow->client_direction = direction;
        state = flow;
    }
    switch (flow->crypto.hello()) {
        case CryptoStream::Hello::complete:
            return QuicRead::client_hello;
        case CryptoStream::Hello::invalid:
            return QuicRead::failed;
        case CryptoStream::Hello::pending:
            break;
    }
    return QuicRead::pending;
}

std::span<const uint8_t> QuicHelloReader::client_hello(const void* state) noexcept {
    if (state == nullptr) return {};
    return static_cast<const QuicFlow*>(state)->crypto.body();
}

void QuicHelloReader::release(void*& state) noexcept {
    if (state == nullptr) return;
    pool_.release(state);
    state = nullptr;
}

}  // namespace ottscope::tls::quic
