#pragma once
// The TCP streams of the one port-443 connection in a small classic-pcap capture (Ethernet,
// IPv4 or IPv6), as a classifier sees them: both directions' bytes and, per segment with
// payload (or FIN/RST), where the stream ends once it is in. In-order segments only, enough
// for the clean captures of ../shared/pcaps/keylog. Header-only: tests and benchmarks.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "classifiers/classifier.h"

namespace ottscope::test {

// One TCP segment with payload, in capture order, and the stream it extends.
struct Segment {
    uint8_t direction = 0;
    size_t stream_end = 0;  // bytes of this direction's stream once the segment is in
    uint8_t flags = 0;
};

struct Session {
    std::vector<uint8_t> streams[2];
    std::vector<Segment> segments;
};

inline uint32_t be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Classic pcap, Ethernet, IPv4 or IPv6, one TCP connection on port 443 (the captures also
// hold neighbour discovery noise). In-order segments only: these captures have no loss.
inline std::optional<Session> read_session(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
    if (file.size() < 24 || be32(file.data()) != 0xd4c3b2a1) return std::nullopt;  // LE usec
    Session session;
    uint32_t next_seq[2] = {};
    bool seq_known[2] = {false, false};
    uint16_t client_port = 0;
    for (size_t at = 24; at + 16 <= file.size();) {
        uint32_t caplen = 0;
        std::memcpy(&caplen, file.data() + at + 8, 4);
        const uint8_t* frame = file.data() + at + 16;
        at += 16 + caplen;
        if (at > file.size() || caplen < 14) break;
        const uint16_t ether = uint16_t(frame[12] << 8 | frame[13]);
        const uint8_t* ip = frame + 14;
        size_t ip_header = 0;
        size_t ip_total = 0;
        if (ether == 0x0800 && (ip[9] == 6)) {
            ip_header = (ip[0] & 15) * 4u;
            ip_total = uint16_t(ip[2] << 8 | ip[3]);
        } else if (ether == 0x86dd && ip[6] == 6) {
            ip_header = 40;
            ip_total = 40 + uint16_t(ip[4] << 8 | ip[5]);
        } else {
            continue;
        }
        const uint8_t* tcp = ip + ip_header;
        const uint16_t source = uint16_t(tcp[0] << 8 | tcp[1]);
        const uint16_t dest = uint16_t(tcp[2] << 8 | tcp[3]);
        if (source != 443 && dest != 443) continue;
        if (client_port == 0) client_port = source == 443 ? dest : source;
        const uint8_t direction = source == client_port ? 0 : 1;
        const uint32_t seq = be32(tcp + 4);
        const uint8_t flags = tcp[13];
        const size_t tcp_header = (tcp[12] >> 4) * 4u;
        const size_t payload_length = ip_total - ip_header - tcp_header;
        const uint8_t* payload = tcp + tcp_header;
        if ((flags & 0x02) != 0) {  // SYN
            next_seq[direction] = seq + 1;
            seq_known[direction] = true;
            continue;
        }
        if (payload_length == 0 && (flags & 0x05) == 0) continue;
        if (seq_known[direction] && seq != next_seq[direction] && payload_length != 0) continue;
        session.streams[direction].insert(session.streams[direction].end(), payload,
                                          payload + payload_length);
        next_seq[direction] = seq + static_cast<uint32_t>(payload_length);
        seq_known[direction] = true;
        session.segments.push_back({direction, session.streams[direction].size(), flags});
    }
    return session;
}

// Feeds the session's segments to the classifier as a worker would (the reassembled
// stream so far, new bytes from where the direction's previous segment ended, FIN and RST as
// stream flags) until it is done, or concludes it at the end; returns what it annotated.
// `before_segment(n)`, called before each segment with the number already fed, is where a
// test changes what a flow meets midway (a key log put in force by a reload).
inline FlowAnnotations replay(Classifier& classifier, const Session& session, Verdict& verdict,
                              const std::function<void(size_t)>& before_segment = {}) {
    void* state = nullptr;
    size_t previous[2] = {};
    uint32_t packets = 0;
    bool done = false;
    for (const Segment& segment : session.segments) {
        if (before_segment) before_segment(packets);
        PacketView view;
        view.ip_protocol = 6;
        view.direction = static_cast<Direction>(segment.direction);
        view.flow_packets = ++packets;
        view.stream = {session.streams[segment.direction].data(), segment.stream_end};
        view.stream_new_offset = static_cast<uint32_t>(previous[segment.direction]);
        if ((segment.flags & 0x01) != 0) view.stream_flags |= stream_flag::fin;
        if ((segment.flags & 0x04) != 0) view.stream_flags |= stream_flag::rst;
        previous[segment.direction] = segment.stream_end;
        if (classifier.inspect(state, view, verdict) == Progress::done) {
            done = true;
            break;
        }
    }
    if (!done) classifier.conclude(state, PacketView{}, verdict);
    FlowAnnotations annotations;
    classifier.annotate(state, annotations);
    return annotations;
}

inline FlowAnnotations replay(Classifier& classifier, const Session& session) {
    Verdict verdict;
    return replay(classifier, session, verdict);
}

}  // namespace ottscope::test
