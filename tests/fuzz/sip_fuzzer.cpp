// libFuzzer target for the SIP parser: first byte picks datagram or stream, the rest is the
// message. Besides "no crash, no sanitizer report", checks what the classifier relies on:
// views point inside the input, lengths stay within the bounds, and a stream parse of every
// prefix of a complete message never calls it invalid.

#include <cstddef>
#include <cstdint>
#include <span>

#include "classifiers/sip/sip_parser.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope::sip;
    if (size < 1) return 0;
    const bool datagram = (data[0] & 1) != 0;
    const std::span<const uint8_t> input(data + 1, size - 1);
    Message message;
    const ParseStatus status = parse_message(input, datagram, message);
    if (status != ParseStatus::complete) return 0;
    const auto* begin = reinterpret_cast<const char*>(input.data());
    if (!message.product.empty())
        check(message.product.data() >= begin &&
              message.product.data() + message.product.size() <= begin + input.size());
    check(message.product.size() <= kMaxProductToken);
    check(message.header_length <= kMaxHeaderBlock + 2);
    check(size_t{message.leading_crlf} + message.header_length <= input.size());
    check(message.content_length <= kMaxContentLength);
    if (datagram) check(message.framed_length() <= input.size());
    if (!datagram) {
        const size_t headers = size_t{message.leading_crlf} + message.header_length;
        for (size_t n = 0; n < headers; ++n) {
            Message partial;
            check(parse_message(input.first(n), false, partial) != ParseStatus::invalid);
        }
    }
    return 0;
}
