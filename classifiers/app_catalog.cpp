#include "app_catalog.h"

#include <strings.h>

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {

AppCatalog::AppCatalog(ndpi_detection_module_struct* ndpi) {
    const unsigned count = std::min<unsigned>(ndpi_get_num_supported_protocols(ndpi), kMaxApps);
    for (unsigned id = 0; id < count; ++id) {
        const char* name = ndpi_get_proto_name(ndpi, static_cast<uint16_t>(id));
        const auto category = ndpi_get_proto_category(
            ndpi, ndpi_protocol{NDPI_PROTOCOL_UNKNOWN, static_cast<uint16_t>(id),
                                NDPI_PROTOCOL_CATEGORY_UNSPECIFIED});
        apps_[id].name = name != nullptr ? name : "Unknown";
        apps_[id].category = ndpi_category_get_name(ndpi, category);
    }
    ndpi_count_ = count;
    size_.store(count, std::memory_order_release);
    for (unsigned c = 0; c < NDPI_PROTOCOL_NUM_CATEGORIES; ++c) {
        const char* name = ndpi_category_get_name(ndpi, static_cast<ndpi_protocol_category_t>(c));
        categories_.emplace_back(name != nullptr ? name : "Unspecified");
    }
    evidence_.intern("");  // id 0: no evidence
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
    for (size_t id = 0; id < ndpi_count_; ++id)
        if (apps_[id].name.size() == name.size() &&
            strncasecmp(apps_[id].name.c_str(), name.data(), name.size()) == 0)
            return static_cast<uint16_t>(id);
    return std::nullopt;
}

AppCatalog::Interned AppCatalog::intern_rule_app(const std::string& name,
                                                 const std::string& category) {
    if (find_ndpi_protocol(name))
        return {kUnknown,
                "app name '" + name + "' is an nDPI protocol; rule apps need names of their own"};
    std::lock_guard lock(intern_mutex_);
    const size_t count = size_.load(std::memory_order_relaxed);
    for (size_t id = ndpi_count_; id < count; ++id) {
        if (apps_[id].name != name) continue;
        if (apps_[id].category != category)
            return {kUnknown, "app '" + name + "' had category '" + apps_[id].category +
                                  "' when first loaded; a category change needs a restart"};
        return {static_cast<uint16_t>(id), {}};
    }
    if (count == kMaxApps)
        return {kUnknown, "too many apps: at most " + std::to_string(kMaxApps - ndpi_count_) +
                              " rule-defined apps per process"};
    apps_[count] = AppInfo{name, category};
    size_.store(count + 1, std::memory_order_release);
    return {static_cast<uint16_t>(count), {}};
}

}  // namespace ottscope
