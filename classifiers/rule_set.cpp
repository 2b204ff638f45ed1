#include "rule_set.h"

#include <cctype>

#include "enum_names.h"

namespace ottscope {
namespace {

char lower(char c) noexcept {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool any_glob(const std::vector<std::string>& patterns, std::string_view text) noexcept {
    if (text.empty()) return false;
    for (const std::string& pattern : patterns)
        if (glob_match(pattern, text)) return true;
    return false;
}

// Lists such as SAN or ALPN arrive comma-separated: one element matching is enough.
bool any_glob_in_list(const std::vector<std::string>& patterns, std::string_view list) noexcept {
    while (!list.empty()) {
        const size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        if (any_glob(patterns, item)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

bool in_cidr(const Cidr& cidr, const uint8_t* address) noexcept {
    unsigned bits = cidr.prefix;
    for (size_t i = 0; i < 16 && bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<uint8_t>(0xff00u >> take);
        if ((cidr.address[i] & mask) != (address[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

bool fact_holds(const RuleTest& test, const FlowFacts& facts) noexcept {
    if (test.fact >= facts.values.size()) return false;
    const FactValue& value = facts.values[test.fact];
    switch (test.kind) {
        case FactKind::text:
            return any_glob(test.patterns, value.text);
        case FactKind::list:
            return any_glob_in_list(test.patterns, value.text);
        case FactKind::all_of:
            // Every listed pattern must be present: a shape, not a choice.
            for (const std::string& pattern : test.patterns) {
                bool found = false;
                for (const std::string_view present : value.items)
                    if (glob_match(pattern, present)) found = true;
                if (!found) return false;
            }
            return !test.patterns.empty();
    }
    return false;
}

bool holds(const RuleTest& test, const FlowFacts& facts) noexcept {
    switch (test.field) {
        case RuleField::ndpi:
            for (const uint16_t id : test.numbers)
                if (id == facts.ndpi_app || id == facts.ndpi_master) return true;
            return false;
        case RuleField::port:
            for (const uint16_t port : test.numbers)
                if (port == facts.server_port) return true;
            return false;
        case RuleField::cidr:
            if (facts.server_address == nullptr) return false;
            for (const Cidr& cidr : test.cidrs)
                if (in_cidr(cidr, facts.server_address)) return true;
            return false;
        case RuleField::fact:
            return fact_holds(test, facts);
    }
    return false;
}

bool holds(const RuleCondition& condition, const FlowFacts& facts) noexcept {
    for (const RuleTest& test : condition.tests)
        if (!holds(test, facts)) return false;
    return !condition.tests.empty();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
    // Iterative wildcard match with one backtrack point: linear in practice, never recursive,
    // so hostile names cannot blow the stack.
    size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::optional<RuleMatch> RuleSet::match(const FlowFacts& facts) const noexcept {
    for (const AppRule& rule : apps_) {
        if (rule.require_all) {
            bool all = !rule.conditions.empty();
            for (const RuleCondition& condition : rule.conditions)
                all = all && holds(condition, facts);
            if (all) return RuleMatch{rule.app, rule.evidence[0], rule.confidence[0]};
            continue;
        }
        for (size_t i = 0; i < rule.conditions.size(); ++i)
            if (holds(rule.conditions[i], facts))
                return RuleMatch{rule.app, rule.evidence[i], rule.confidence[i]};
    }
    return std::nullopt;
}

void RuleSet::apply(const FlowFacts& facts, uint8_t classifier, Verdict& verdict,
                    ClaimTier facts_tier) const noexcept {
    const auto found = match(facts);
    if (!found) return;
    Verdict named;
    named.app = found->app;
    named.evidence = found->evidence;
    named.confidence = found->confidence;
    named.classifier = classifier;
    named.tier = facts_tier == ClaimTier::ndpi ? ClaimTier::ndpi_rule : ClaimTier::protocol_rule;
    verdict.claim(named);
}

}  // namespace ottscope
