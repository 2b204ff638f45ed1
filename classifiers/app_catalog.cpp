#include "app_catalog.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

namespace ottscope {

AppCatalog::AppCatalog(ndpi_detection_module_struct* ndpi) {
    const unsigned count = ndpi_get_num_supported_protocols(ndpi);
    apps_.resize(count);
    for (unsigned id = 0; id < count; ++id) {
        const char* name = ndpi_get_proto_name(ndpi, static_cast<uint16_t>(id));
        const auto category = ndpi_get_proto_category(
            ndpi, ndpi_protocol{NDPI_PROTOCOL_UNKNOWN, static_cast<uint16_t>(id),
                                NDPI_PROTOCOL_CATEGORY_UNSPECIFIED});
        apps_[id].name = name != nullptr ? name : "Unknown";
        apps_[id].category = ndpi_category_get_name(ndpi, category);
    }
    for (unsigned c = 0; c < NDPI_PROTOCOL_NUM_CATEGORIES; ++c) {
        const char* name = ndpi_category_get_name(ndpi, static_cast<ndpi_protocol_category_t>(c));
        categories_.emplace_back(name != nullptr ? name : "Unspecified");
    }
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

}  // namespace ottscope
