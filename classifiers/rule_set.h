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

namespace ottscope {

// What classifiers learned about a flow, offered to the rules when a classifier decides.
// Strings are views into the classifier's state: valid for the duration of the match.
struct FlowFacts {
    uint16_t ndpi_master = 0;
    uint16_t ndpi_app = 0;
    uint8_t ip_protocol = 0;
    const uint8_t* server_address = nullptr;  // 16 bytes, IPv4-mapped for IPv4
    uint16_t server_port = 0;
    std::string_view tls_sni;
    std::string_view tls_alpn;      // comma-separated offers
    std::string_view tls_cert_san;  // comma-separated names
    std::string_view tls_cert_subject;
    std::string_view tls_cert_issuer;
    std::string_view tls_ja3;
    std::string_view tls_ja4;
    std::string_view sip_method;
    std::string_view sip_user_agent;
    std::string_view sip_transport;
    std::string_view http_host;
    std::string_view http_path;
    std::string_view http_method;
    std::string_view http_content_type;
    std::span<const std::string_view> json_keys;
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

enum class RuleField : uint8_t {
    ndpi,
    port,
    cidr,
    tls_sni,
    tls_alpn,
    tls_cert_san,
    tls_cert_subject,
    tls_cert_issuer,
    tls_ja3,
    tls_ja4,
    sip_method,
    sip_user_agent,
    sip_transport,
    http_host,
    http_path,
    http_method,
    http_content_type,
    json_key,
    count
};

// "tls.sni", "port", ...: the names used in rule files and evidence.
std::string_view rule_field_name(RuleField field) noexcept;

struct Cidr {
    uint8_t address[16] = {};
    uint8_t prefix = 0;  // over the 128-bit (IPv4-mapped) address
};

struct RuleTest {
    RuleField field = RuleField::count;
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
