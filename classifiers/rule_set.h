#pragma once
// Rules compiled for the packet path: an immutable list of apps, each with the conditions
// that name it. Built whole by the control thread from YAML (config/rules_loader), handed to
// workers as one pointer, never changed while a worker can see it.
//
// Precedence: apps are tried in the order they were loaded (rule files in name order, apps in
// file order); the first app whose match holds names the flow. A condition is a set of tests
// that must all hold; each test lists values of which one must match. `any` apps need one
// condition, `all` apps need every condition. Apps named by rules take precedence over nDPI's
// label, which stays in the flow record's `ndpi` field.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "descriptor.h"

namespace ottscope {

// One fact's value: `text`, or for FactKind::all_of facts, `items`. Empty: not seen.
struct FactValue {
    std::string_view text;
    std::span<const std::string_view> items;
};

// What classifiers learned about a flow, offered to the rules when a classifier decides.
// Facts are those the registered classifiers declare (descriptor.h), by fact id (see
// registry.h, fact_id()); any classifier may offer any declared fact (nDPI offers the TLS
// names its own dissector read). Strings are views into the classifier's state: valid for
// the duration of the match.
struct FlowFacts {
    uint16_t ndpi_master = 0;
    uint16_t ndpi_app = 0;
    uint8_t ip_protocol = 0;
    const uint8_t* server_address = nullptr;  // 16 bytes, IPv4-mapped for IPv4
    uint16_t server_port = 0;
    std::span<const FactValue> values;  // by fact id; ids beyond it were not seen
};

// A classifier's reusable sheet of fact values (sized once, at construction: offering facts
// never allocates).
class FactSheet {
public:
    explicit FactSheet(size_t facts) : values_(facts) {}
    void clear() noexcept {
        for (FactValue& value : values_) value = FactValue{};
    }
    void set(uint16_t fact, std::string_view text) noexcept {
        if (fact < values_.size()) values_[fact].text = text;
    }
    void set_items(uint16_t fact, std::span<const std::string_view> items) noexcept {
        if (fact < values_.size()) values_[fact].items = items;
    }
    [[nodiscard]] std::span<const FactValue> values() const noexcept { return values_; }

private:
    std::vector<FactValue> values_;
};

// What every classifier's facts start from: nDPI's labels so far and the flow's server end.
inline FlowFacts endpoint_facts(const Verdict& verdict, const PacketView& packet) noexcept {
    FlowFacts facts;
    facts.ndpi_master = verdict.ndpi_master;
    facts.ndpi_app = verdict.ndpi_app;
    facts.ip_protocol = packet.ip_protocol;
    facts.server_address = packet.server_address;
    facts.server_port = packet.server_port;
    return facts;
}

// What a rule test looks at: nDPI's label, the server port or address, or a declared fact.
enum class RuleField : uint8_t { ndpi, port, cidr, fact };

struct Cidr {
    uint8_t address[16] = {};
    uint8_t prefix = 0;  // over the 128-bit (IPv4-mapped) address
};

struct RuleTest {
    RuleField field = RuleField::fact;
    uint16_t fact = 0;  // RuleField::fact: the fact id
    FactKind kind = FactKind::text;
    std::vector<std::string> patterns;  // glob patterns ('*' and '?'), case-insensitive
    std::vector<uint16_t> numbers;      // ports, or nDPI protocol ids
    std::vector<Cidr> cidrs;
};

struct RuleCondition {
    std::vector<RuleTest> tests;  // all must hold
};

struct AppRule {
    uint16_t app = 0;
    bool require_all = false;  // `all:` rather than `any:`
    std::vector<RuleCondition> conditions;
    // Evidence id per condition (for `all:` one id covering every condition).
    std::vector<uint16_t> evidence;
    // Content evidence (TLS, SIP, HTTP, JSON, nDPI) gives high confidence; ports and
    // addresses alone give medium.
    std::vector<Confidence> confidence;
};

struct RuleMatch {
    uint16_t app = 0;
    uint16_t evidence = 0;
    Confidence confidence = Confidence::none;
};

class RuleSet {
public:
    RuleSet(std::vector<AppRule> apps, uint64_t version, std::string digest)
        : apps_(std::move(apps)), version_(version), digest_(std::move(digest)) {}

    [[nodiscard]] std::optional<RuleMatch> match(const FlowFacts& facts) const noexcept;
    // Claims the flow for the first matching app, if any, at a rule tier (see
    // Verdict::claim), in the name of `classifier`, whose facts (of `facts_tier`) matched.
    void apply(const FlowFacts& facts, uint8_t classifier, Verdict& verdict,
               ClaimTier facts_tier = ClaimTier::ndpi) const noexcept;

    [[nodiscard]] uint64_t version() const noexcept { return version_; }
    // A short hash of the rule sources, to tell operators which rules are in force.
    [[nodiscard]] const std::string& digest() const noexcept { return digest_; }
    [[nodiscard]] size_t size() const noexcept { return apps_.size(); }
    [[nodiscard]] std::span<const AppRule> apps() const noexcept { return apps_; }

private:
    std::vector<AppRule> apps_;
    uint64_t version_;
    std::string digest_;
};

// Glob match, ASCII case-insensitive: '*' any run, '?' one character.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

}  // namespace ottscope
