// libFuzzer target for JSON body inspection: the tolerant scanner over the input in pieces
// (size from the first byte) and simdjson's DOM over the whole. Checks that every key kept
// is name-like and occurs in the input (nothing is made up, no value is taken for a key),
// and that the bounds hold.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "classifiers/http/json_dom.h"
#include "classifiers/http/json_shape.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

void check_shape(const ottscope::JsonShape& shape, std::string_view input) {
    using ottscope::JsonKeySet;
    check(shape.keys.size() <= JsonKeySet::kMaxKeys);
    check(shape.max_depth <= ottscope::JsonScanner::kMaxDepth);
    for (size_t i = 0; i < shape.keys.size(); ++i) {
        check(JsonKeySet::name_like(shape.keys[i]));
        check(input.find(shape.keys[i]) != std::string_view::npos);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    if (size < 1) return 0;
    const size_t piece = 1 + data[0] % 64;
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    JsonScanner scanner;
    JsonShape scanned;
    for (size_t at = 0; at < input.size(); at += piece)
        scanner.feed(input.substr(at, piece), scanned);
    check_shape(scanned, input);

    static JsonDom dom(4096);
    JsonShape parsed;
    if (dom.parse(data + 1, size - 1, parsed)) {
        check(parsed.valid);
        check_shape(parsed, input);
    }
    return 0;
}
