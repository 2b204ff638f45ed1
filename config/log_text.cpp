#include "log_text.h"

namespace ottscope {

std::string escape_for_log(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
            continue;
        }
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
    }
    return out;
}

std::string shown_value(std::string_view text, size_t max_chars) {
    if (text.size() <= max_chars) return escape_for_log(text);
    return escape_for_log(text.substr(0, max_chars)) + "...";
}

}  // namespace ottscope
