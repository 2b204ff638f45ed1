#pragma once
// A small streaming JSON writer for the API's answers: it places commas and escapes strings,
// so handlers read as the shape they produce.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ottscope {

// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, so no
// name (a future rule app, a certificate subject) can break a line of output.
inline void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

class JsonWriter {
public:
    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }

    JsonWriter& key(std::string_view name) {
        separate();
        string(name);
        out_.push_back(':');
        after_key_ = true;
        return *this;
    }
    JsonWriter& value(std::string_view text) {
        separate();
        string(text);
        return *this;
    }
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(uint64_t number) {
        separate();
        fmt::format_to(std::back_inserter(out_), "{}", number);
        return *this;
    }
    JsonWriter& value(int number) {
        separate();
        fmt::format_to(std::back_inserter(out_), "{}", number);
        return *this;
    }
    JsonWriter& value(unsigned number) { return value(static_cast<uint64_t>(number)); }
    JsonWriter& value(double number) {
        separate();
        if (std::isfinite(number))
            fmt::format_to(std::back_inserter(out_), "{}", number);
        else
            out_ += "null";
        return *this;
    }
    JsonWriter& value(bool flag) {
        separate();
        out_ += flag ? "true" : "false";
        return *this;
    }
    JsonWriter& null() {
        separate();
        out_ += "null";
        return *this;
    }
    // An already formatted JSON value (for example a flow record object).
    JsonWriter& raw(std::string_view json) {
        separate();
        out_ += json;
        return *this;
    }
    template <typename T>
    JsonWriter& field(std::string_view name, const T& v) {
        return key(name).value(v);
    }

    [[nodiscard]] std::string str() const { return out_ + "\n"; }

private:
    JsonWriter& open(char bracket) {
        separate();
        out_.push_back(bracket);
        has_items_.push_back(false);
        return *this;
    }
    JsonWriter& close(char bracket) {
        out_.push_back(bracket);
        if (!has_items_.empty()) has_items_.pop_back();
        return *this;
    }
    void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (has_items_.empty()) return;
        if (has_items_.back()) out_.push_back(',');
        has_items_.back() = true;
    }
    void string(std::string_view text) { append_json_string(out_, text); }

    std::string out_;
    std::vector<bool> has_items_;
    bool after_key_ = false;
};

}  // namespace ottscope
