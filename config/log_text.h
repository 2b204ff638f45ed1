#pragma once
// Text from files an operator (or anyone who can write to rules.d) controls, made safe to put
// in a log line or an error message: control characters such as a newline, a carriage return
// or ESC would let a YAML key forge a second log line or drive the terminal, and a megabyte
// value would drown the log.

#include <cstddef>
#include <string>
#include <string_view>

namespace ottscope {

// The longest value shown in a message before it is cut with "...": a long path still fits.
constexpr size_t kMaxShownValue = 160;

// Bytes outside printable ASCII (controls, DEL, and every byte of UTF-8 sequences, which may
// hide direction overrides) become \xNN. Backslashes are kept as they are, so escaping twice
// changes nothing.
std::string escape_for_log(std::string_view text);

// A value as shown in a message: escaped, and cut to `max_chars` source bytes with "...".
std::string shown_value(std::string_view text, size_t max_chars = kMaxShownValue);

}  // namespace ottscope
