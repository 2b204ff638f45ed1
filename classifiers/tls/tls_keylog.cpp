#include "tls_keylog.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ottscope::tls {
namespace {

constexpr size_t kMaxReportedErrors = 5;

enum class Label : uint8_t { master, client_traffic, server_traffic, ignored };

Label label_of(std::string_view label) noexcept {
    if (label == "CLIENT_RANDOM") return Label::master;
    if (label == "CLIENT_TRAFFIC_SECRET_0") return Label::client_traffic;
    if (label == "SERVER_TRAFFIC_SECRET_0") return Label::server_traffic;
    return Label::ignored;
}

// Labels of the format that carry nothing we decrypt with: well-formed, skipped.
bool known_other_label(std::string_view label) noexcept {
    return label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET" ||
           label == "SERVER_HANDSHAKE_TRAFFIC_SECRET" || label == "EXPORTER_SECRET" ||
           label == "CLIENT_EARLY_TRAFFIC_SECRET" || label == "EARLY_EXPORTER_SECRET" ||
           label == "RSA";
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool decode_hex(std::string_view text, std::span<uint8_t> out) noexcept {
    if (text.size() != out.size() * 2) return false;
    for (size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(text[2 * i]);
        const int low = hex_value(text[2 * i + 1]);
        if (high < 0 || low < 0) return false;
        out[i] = static_cast<uint8_t>(high << 4 | low);
    }
    return true;
}

std::string_view next_field(std::string_view& line) noexcept {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    const size_t end = line.find_first_of(" \t");
    const std::string_view field = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    return field;
}

struct Line {
    std::array<uint8_t, 32> client_random{};
    Label label = Label::ignored;
    KeyLogSecret secret;
};

// Empty string: fine (line may still be one to skip: label ignored).
const char* parse_line(std::string_view text, Line& out) noexcept {
    const std::string_view label = next_field(text);
    const std::string_view random = next_field(text);
    const std::string_view secret = next_field(text);
    if (!next_field(text).empty()) return "more than three fields";
    if (secret.empty()) return "expected LABEL CLIENT_RANDOM SECRET";
    out.label = label_of(label);
    if (out.label == Label::ignored && !known_other_label(label)) return "unknown label";
    if (out.label == Label::ignored) return nullptr;
    if (!decode_hex(random, out.client_random)) return "client random is not 64 hex digits";
    const size_t length = secret.size() / 2;
    const bool size_ok = out.label == Label::master ? length == 48 : (length == 32 || length == 48);
    if (!size_ok || secret.size() % 2 != 0 ||
        !decode_hex(secret, std::span(out.secret.bytes.data(), length)))
        return out.label == Label::master ? "master secret is not 96 hex digits"
                                          : "traffic secret is not 64 or 96 hex digits";
    out.secret.length = static_cast<uint8_t>(length);
    return nullptr;
}

}  // namespace

namespace {

void sort_and_merge(std::vector<KeyLogEntry>& entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.client_random < b.client_random;
    });
    // One entry per session: later lines complete (or replace) earlier ones.
    size_t kept = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const KeyLogEntry& entry = entries[i];
        if (kept == 0 || entries[kept - 1].client_random != entry.client_random) {
            entries[kept++] = entry;
            continue;
        }
        KeyLogEntry& into = entries[kept - 1];
        if (entry.master.present()) into.master = entry.master;
        if (entry.client_traffic.present()) into.client_traffic = entry.client_traffic;
        if (entry.server_traffic.present()) into.server_traffic = entry.server_traffic;
    }
    entries.resize(kept);
}

}  // namespace

KeyLog::KeyLog(std::vector<KeyLogEntry> entries, std::shared_ptr<const KeyLog> base)
    : entries_(std::move(entries)) {
    sort_and_merge(entries_);
    if (base && base->layers_ + 1 > kMaxLayers) {
        // Flatten: the base's layers, oldest first, then these lines.
        std::vector<const KeyLog*> chain;
        for (const KeyLog* layer = base.get(); layer != nullptr; layer = layer->base_.get())
            chain.push_back(layer);
        std::vector<KeyLogEntry> all;
        all.reserve(base->sessions_ + entries_.size());
        std::reverse(chain.begin(), chain.end());  // oldest first: later lines win the merge
        for (const KeyLog* layer : chain)
            all.insert(all.end(), layer->entries_.begin(), layer->entries_.end());
        all.insert(all.end(), entries_.begin(), entries_.end());
        sort_and_merge(all);
        entries_ = std::move(all);
        sessions_ = entries_.size();
        return;
    }
    sessions_ = entries_.size();
    if (!base) return;
    // A session whose secrets began in an earlier layer: this layer's entry carries them all,
    // so the first layer that knows a session knows everything about it.
    for (KeyLogEntry& entry : entries_) {
        const KeyLogEntry* earlier = base->find(entry.client_random);
        if (earlier == nullptr) continue;
        --sessions_;
        if (!entry.master.present()) entry.master = earlier->master;
        if (!entry.client_traffic.present()) entry.client_traffic = earlier->client_traffic;
        if (!entry.server_traffic.present()) entry.server_traffic = earlier->server_traffic;
    }
    sessions_ += base->sessions_;
    layers_ = base->layers_ + 1;
    base_ = std::move(base);
}

const KeyLogEntry* KeyLog::find_here(std::span<const uint8_t, 32> client_random) const noexcept {
    const auto at =
        std::lower_bound(entries_.begin(), entries_.end(), client_random,
                         [](const KeyLogEntry& entry, std::span<const uint8_t, 32> key) {
                             return std::memcmp(entry.client_random.data(), key.data(), 32) < 0;
                         });
    if (at == entries_.end() ||
        std::memcmp(at->client_random.data(), client_random.data(), 32) != 0)
        return nullptr;
    return &*at;
}

const KeyLogEntry* KeyLog::find(std::span<const uint8_t, 32> client_random) const noexcept {
    for (const KeyLog* layer = this; layer != nullptr; layer = layer->base_.get())
        if (const KeyLogEntry* found = layer->find_here(client_random)) return found;
    return nullptr;
}

KeyLogParse parse_keylog(std::string_view text, std::string_view file_name,
                         std::shared_ptr<const KeyLog> base, size_t first_line) {
    KeyLogParse result;
    std::vector<KeyLogEntry> entries;
    size_t number = first_line - 1;
    const size_t total = text.size();
    while (!text.empty()) {
        const size_t end = text.find('\n');
        const bool terminated = end != std::string_view::npos;
        std::string_view line = text.substr(0, end);
        text.remove_prefix(terminated ? end + 1 : text.size());
        ++number;
        if (terminated) {
            result.consumed = total - text.size();
            ++result.line_count;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        ++result.lines;
        Line parsed;
        if (const char* problem = parse_line(line, parsed)) {
            if (!terminated) continue;  // still being written
            ++result.malformed;
            if (result.errors.size() < kMaxReportedErrors)
                result.errors.push_back(std::string(file_name) + ":" + std::to_string(number) +
                                        ": " + problem);
            continue;
        }
        if (parsed.label == Label::ignored) continue;
        KeyLogEntry entry;
        entry.client_random = parsed.client_random;
        switch (parsed.label) {
            case Label::master:
                entry.master = parsed.secret;
                break;
            case Label::client_traffic:
                entry.client_traffic = parsed.secret;
                break;
            case Label::server_traffic:
                entry.server_traffic = parsed.secret;
                break;
            case Label::ignored:
                break;
        }
        entries.push_back(entry);
    }
    result.keylog = std::make_shared<const KeyLog>(std::move(entries), std::move(base));
    return result;
}

KeyLogParse load_keylog_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        KeyLogParse result = parse_keylog({}, path);
        result.read_error = path + ": " + std::strerror(errno);
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_keylog(text.view(), path);
}

}  // namespace ottscope::tls
