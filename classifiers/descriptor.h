#pragma once
// Everything the rest of the appliance knows about one classifier, in one place: the worker,
// the configuration, /metrics, the rules and the flow records all read it from here, so adding
// a classifier is its own folder plus one line in registry.cpp. The model is Suricata's parser
// descriptor and Envoy's filter factory: declarations first, validated before any instance
// exists; the classifier code only reads values laid out by what it declared.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "enum_names.h"
#include "metric_declaration.h"

namespace ottscope {

class AppCatalog;
class ClassifierCounters;
struct ClassifierSettings;

// How many packets (per transport) and bytes (frame lengths, both directions) of a flow a
// classifier may see. The worker enforces it: the packet that goes over it is the last one
// offered (PacketView::last_offer), and a classifier still undecided after it is concluded.
struct PacketBudget {
    static constexpr uint32_t kUnlimited = std::numeric_limits<uint32_t>::max();
    uint32_t tcp_packets = kUnlimited;
    uint32_t udp_packets = kUnlimited;
    uint32_t other_packets = kUnlimited;
    uint64_t bytes = std::numeric_limits<uint64_t>::max();

    [[nodiscard]] uint32_t packets_for(uint8_t ip_protocol) const noexcept {
        return ip_protocol == 6 ? tcp_packets : ip_protocol == 17 ? udp_packets : other_packets;
    }
    friend bool operator==(const PacketBudget&, const PacketBudget&) = default;
};

// One key of the classifier's YAML section (classifiers.<name>.<key>). `enabled` and the
// budget keys (tcp_packet_budget, udp_packet_budget, byte_budget) are common to every
// classifier and not declared here.
enum class OptionKind : uint8_t {
    number,  // an unsigned integer in [low, high]
    flag,    // true or false
    text,
    path,  // a file name, resolved against the configuration's folder; may not exist yet
    file,  // a path that must name a readable regular file of at most `high` bytes
};

struct OptionDeclaration {
    std::string_view key;
    OptionKind kind = OptionKind::text;
    uint64_t low = 0;
    uint64_t high = std::numeric_limits<uint64_t>::max();
    uint64_t default_number = 0;  // numbers and flags (0 or 1)
};

// The values of one classifier's section, in the order of its declarations.
struct ClassifierOptions {
    bool enabled = true;
    PacketBudget budget;
    bool record_fields = true;       // flow_records.<name>_fields: its record fields are written
    std::vector<uint64_t> numbers;   // by option index; flags are 0 or 1
    std::vector<std::string> texts;  // by option index; text, path and file options
    bool operator==(const ClassifierOptions&) const = default;

    [[nodiscard]] uint64_t number(size_t option) const noexcept {
        return option < numbers.size() ? numbers[option] : 0;
    }
    [[nodiscard]] const std::string& text(size_t option) const noexcept;
};

// A fact a classifier offers the rules: section and key as written in rule files ("tls" and
// "sni" for `tls: { sni: [...] }`, named "tls.sni" in evidence).
enum class FactKind : uint8_t {
    text,    // one value; a test holds when one pattern matches it
    list,    // comma-separated values (SAN, ALPN offers); one matching element is enough
    all_of,  // a set of values (JSON keys): every pattern of the test must match one of them
};

struct FactDeclaration {
    std::string_view section;
    std::string_view key;
    FactKind kind = FactKind::text;
    std::string_view evidence_name;  // in evidence texts; "" for "section.key"
};

// A field a classifier adds to flow records, at most max_length bytes of text. The record
// writers show it under `name` when the flow has it and the classifier's fields are on
// (flow_records.<classifier>_fields).
struct RecordFieldDeclaration {
    std::string_view name;
    uint16_t max_length = 0;
};

// What a classifier is made from: its options, its worker's counter block (laid out by its
// metric declarations) and what every classifier shares.
struct ClassifierContext {
    uint8_t registry_index = 0;
    const ClassifierOptions* options = nullptr;
    ClassifierCounters* counters = nullptr;        // may be null in tests
    AppCatalog* catalog = nullptr;                 // may be null in tests
    const ClassifierSettings* settings = nullptr;  // what the run shares with every classifier
    // Every classifier's options, by registry index (empty in tests): what a classifier may
    // leave to another depends on whether that one runs.
    std::span<const ClassifierOptions> all_options;
};

struct ClassifierDescriptor {
    std::string_view name;  // its YAML section, its label on /metrics, its name in records
    PacketBudget budget;    // the default, which its YAML section may change
    bool enabled_by_default = true;
    std::span<const OptionDeclaration> options;
    std::span<const MetricDeclaration> metrics;
    std::span<const FactDeclaration> facts;
    std::span<const RecordFieldDeclaration> record_fields;
    // Checks what no declaration can say (two options that only make sense together); ""
    // when the options are good. May be null.
    std::string (*validate)(const ClassifierOptions& options) = nullptr;
    std::unique_ptr<Classifier> (*make)(const ClassifierContext& context) = nullptr;
};

}  // namespace ottscope
