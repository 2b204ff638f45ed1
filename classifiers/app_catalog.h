#pragma once
// The set of app names ottscope can report, shared read-only by all workers, so that counters
// are plain arrays indexed by app id and metric labels stay bounded. nDPI's protocols come
// first (ids are nDPI's own); apps named by rules are appended after them when rules load and
// keep their id for the life of the process, so counters never change meaning on a reload.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "name_table.h"

struct ndpi_detection_module_struct;

namespace ottscope {

// Distinct evidence texts of rules (deduplicated, so reloading the same rules adds none).
constexpr size_t kMaxEvidence = 4096;

struct AppInfo {
    std::string name;
    std::string category;
};

class AppCatalog {
public:
    static constexpr uint16_t kUnknown = 0;

    // Builds the catalog from nDPI's protocol table (ids are nDPI's own protocol ids).
    explicit AppCatalog(ndpi_detection_module_struct* ndpi);

    [[nodiscard]] size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
    [[nodiscard]] size_t ndpi_protocols() const noexcept { return ndpi_count_; }
    [[nodiscard]] const AppInfo& app(uint16_t id) const noexcept {
        return id < size() ? apps_[id] : apps_[kUnknown];
    }
    // nDPI's name as ndpiReader prints it: "TLS.Google", "DNS", "Unknown".
    [[nodiscard]] std::string ndpi_name(uint16_t master, uint16_t app) const;
    [[nodiscard]] std::string_view ndpi_category_name(uint16_t category) const noexcept;
    // The nDPI protocol id with this name (case-insensitive), if any.
    [[nodiscard]] std::optional<uint16_t> find_ndpi_protocol(std::string_view name) const;

    // The id of a rule-defined app, added on first use. Errors (full, clashing with an nDPI
    // protocol, or a category different from the one it was first given) come back as text.
    struct Interned {
        uint16_t id = kUnknown;
        std::string error;
    };
    Interned intern_rule_app(const std::string& name, const std::string& category);
    [[nodiscard]] bool is_rule_app(uint16_t id) const noexcept {
        return id >= ndpi_count_ && id < size();
    }

    // Evidence texts of rules ("tls.sni=*.jajah.com"), referred to by id from verdicts.
    NameTable& evidence() noexcept { return evidence_; }
    [[nodiscard]] std::string_view evidence_text(uint16_t id) const noexcept {
        return id == 0 ? std::string_view() : evidence_.at(id);
    }

private:
    std::array<AppInfo, kMaxApps> apps_;
    size_t ndpi_count_ = 0;
    std::atomic<size_t> size_{0};
    std::mutex intern_mutex_;
    std::vector<std::string> categories_;
    NameTable evidence_{kMaxEvidence};
};

}  // namespace ottscope
