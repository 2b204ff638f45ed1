#include "app_catalog.h"

#include <strings.h>

#include <stdexcept>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {
namespace {

bool same_name(const std::string& a, std::string_view b) noexcept {
    return a.size() == b.size() && strncasecmp(a.c_str(), b.data(), b.size()) == 0;
}

}  // namespace

AppCatalog::AppCatalog(ndpi_detection_module_struct* ndpi) {
    const unsigned count =
        std::min<unsigned>(ndpi_get_num_supported_protocols(ndpi), kFirstRuleApp);
    for (unsigned id = 0; id < count; ++id) {
        const char* name = ndpi_get_proto_name(ndpi, static_cast<uint16_t>(id));
        const auto category = ndpi_get_proto_category(
            ndpi, ndpi_protocol{NDPI_PROTOCOL_UNKNOWN, static_cast<uint16_t>(id),
                                NDPI_PROTOCOL_CATEGORY_UNSPECIFIED});
        apps_[id].name = name != nullptr ? name : "Unknown";
        apps_[id].category = ndpi_category_get_name(ndpi, category);
    }
    builtin_count_ = count;
    for (unsigned c = 0; c < NDPI_PROTOCOL_NUM_CATEGORIES; ++c) {
        const char* name = ndpi_category_get_name(ndpi, static_cast<ndpi_protocol_category_t>(c));
        categories_.emplace_back(name != nullptr ? name : "Unspecified");
    }
    evidence_.intern("");  // id 0: no evidence
}

bool AppCatalog::valid(uint16_t id) const noexcept {
    if (id < builtin_count_) return true;
    if (id < kFirstRuleApp)
        return id - builtin_count_ < custom_count_.load(std::memory_order_acquire);
    return id < kMaxApps && id - kFirstRuleApp < rule_count_.load(std::memory_order_acquire);
}

std::string AppCatalog::ndpi_name(uint16_t master, uint16_t app_id) const {
    // Same composition as ndpi_protocol2name(), without needing a detection module here.
    if (master != NDPI_PROTOCOL_UNKNOWN && master != app_id) {
        if (app_id != NDPI_PROTOCOL_UNKNOWN) return app(master).name + "." + app(app_id).name;
        return app(master).name;
    }
    return app(app_id).name;
}

std::string_view AppCatalog::ndpi_category_name(uint16_t category) const noexcept {
    return category < categories_.size() ? std::string_view(categories_[category])
                                         : std::string_view("Unspecified");
}

std::optional<uint16_t> AppCatalog::find_ndpi_protocol(std::string_view name) const {
    const size_t custom = custom_count_.load(std::memory_order_acquire);
    for (size_t id = 0; id < builtin_count_ + custom; ++id)
        if (same_name(apps_[id].name, name)) return static_cast<uint16_t>(id);
    return std::nullopt;
}

AppCatalog::Interned AppCatalog::intern(std::atomic<size_t>& count, size_t first, size_t end,
                                        const std::string& name, const std::string& category,
                                        std::string_view what) {
    std::lock_guard lock(intern_mutex_);
    const size_t used = count.load(std::memory_order_relaxed);
    for (size_t id = first; id < first + used; ++id) {
        if (apps_[id].name != name) continue;
        if (apps_[id].category != category)
            return {kUnknown, std::string(what) + " '" + name + "' had category '" +
                                  apps_[id].category +
                                  "' when first loaded; a category change needs a restart"};
        return {static_cast<uint16_t>(id), {}};
    }
    if (first + used == end)
        return {kUnknown, "too many " + std::string(what) + "s: at most " +
                              std::to_string(end - first) +
                              " per process, names loaded earlier included; a restart "
                              "forgets the names no longer used"};
    apps_[first + used] = AppInfo{name, category};
    count.store(used + 1, std::memory_order_release);
    return {static_cast<uint16_t>(first + used), {}};
}

AppCatalog::Interned AppCatalog::intern_custom_protocol(const std::string& name,
                                                        const std::string& category) {
    for (size_t id = 0; id < builtin_count_; ++id)
        if (same_name(apps_[id].name, name)) return {static_cast<uint16_t>(id), {}};
    return intern(custom_count_, builtin_count_, kFirstRuleApp, name, category,
                  "custom nDPI protocol");
}

AppCatalog::Interned AppCatalog::intern_rule_app(const std::string& name,
                                                 const std::string& category) {
    if (find_ndpi_protocol(name))
        return {kUnknown,
                "app name '" + name + "' is an nDPI protocol; rule apps need names of their own"};
    return intern(rule_count_, kFirstRuleApp, kMaxApps, name, category, "rule app");
}

AppCatalog::InternedEvidence AppCatalog::intern_rule_evidence(std::span<const std::string> texts) {
    if (texts.size() > kMaxRuleEvidencePerSet)
        return {{},
                "the rules have " + std::to_string(texts.size()) +
                    " conditions (one per any: condition, one per all: app), more than " +
                    std::to_string(kMaxRuleEvidencePerSet) + " per rule set"};
    size_t added = 0;
    auto ids = evidence_.intern_all(texts, kMaxEvidence - kReservedEvidence, added);
    if (!ids)
        return {{},
                "the rules bring " + std::to_string(added) + " new evidence texts, but only " +
                    std::to_string(kMaxEvidence - kReservedEvidence - evidence_.size()) +
                    " more fit in this process (earlier rule sets keep theirs, so that flow "
                    "records made with them keep their meaning); restart ottscope to start "
                    "afresh"};
    return {std::move(*ids), {}};
}

uint16_t AppCatalog::intern_classifier_evidence(std::string_view text) {
    const std::optional<uint16_t> id = evidence_.intern(text);
    if (!id) throw std::length_error("the evidence table is full; restart ottscope");
    return *id;
}

}  // namespace ottscope
