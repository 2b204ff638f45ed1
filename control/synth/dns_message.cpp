#include "dns_message.h"

#include "synth_error.h"

namespace ottscope::synth {

namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kClassIn = 1;
constexpr uint16_t kQuestionOffset = 12;  // right after the fixed header

void put_header(ByteWriter& w, uint16_t id, uint16_t flags, uint16_t answers) {
    w.u16be(id);
    w.u16be(flags);
    w.u16be(1);  // QDCOUNT
    w.u16be(answers);
    w.u16be(0);  // NSCOUNT
    w.u16be(0);  // ARCOUNT
}

void put_question(ByteWriter& w, std::string_view name) {
    while (!name.empty()) {
        const size_t dot = name.find('.');
        const std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63) throw SynthError("bad DNS name");
        w.u8(static_cast<uint8_t>(label.size()));
        w.text(label);
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    w.u8(0);
    w.u16be(kTypeA);
    w.u16be(kClassIn);
}

}  // namespace

Bytes dns_a_query(uint16_t id, std::string_view name) {
    Bytes out;
    ByteWriter w(out);
    put_header(w, id, 0x0100, 0);  // standard query, recursion desired
    put_question(w, name);
    return out;
}

Bytes dns_a_response(uint16_t id, std::string_view name, uint32_t addr, uint32_t ttl_seconds) {
    Bytes out;
    ByteWriter w(out);
    put_header(w, id, 0x8180, 1);  // response, RD, RA, NOERROR
    put_question(w, name);
    w.u16be(0xc000 | kQuestionOffset);
    w.u16be(kTypeA);
    w.u16be(kClassIn);
    w.u32be(ttl_seconds);
    w.u16be(4);
    w.u32be(addr);
    return out;
}

}  // namespace ottscope::synth
