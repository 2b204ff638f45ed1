#pragma once
// The set of app names ottscope can report, fixed at startup and shared read-only by all
// workers, so that counters are plain arrays indexed by app id and metric labels stay bounded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct ndpi_detection_module_struct;

namespace ottscope {

struct AppInfo {
    std::string name;
    std::string category;
};

class AppCatalog {
public:
    static constexpr uint16_t kUnknown = 0;

    // Builds the catalog from nDPI's protocol table (ids are nDPI's own protocol ids).
    explicit AppCatalog(ndpi_detection_module_struct* ndpi);

    [[nodiscard]] size_t size() const noexcept { return apps_.size(); }
    [[nodiscard]] const AppInfo& app(uint16_t id) const noexcept {
        return id < apps_.size() ? apps_[id] : apps_[kUnknown];
    }
    // nDPI's name as ndpiReader prints it: "TLS.Google", "DNS", "Unknown".
    [[nodiscard]] std::string ndpi_name(uint16_t master, uint16_t app) const;
    [[nodiscard]] std::string_view ndpi_category_name(uint16_t category) const noexcept;

private:
    std::vector<AppInfo> apps_;
    std::vector<std::string> categories_;
};

}  // namespace ottscope
