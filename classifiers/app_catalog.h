#pragma once
// The set of app names ottscope can report, shared read-only by all workers, so that counters
// are plain arrays indexed by app id and metric labels stay bounded. Three regions of ids:
// nDPI's built-in protocols (ids are nDPI's own), custom nDPI protocols from a protocols file,
// and apps named by rules. Custom protocols and rule apps are added by name when they first
// load and keep their id for the life of the process, so a counter never changes meaning on a
// reload. Entries are never changed once published; readers take no lock.

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

    // Builds the catalog from a plain nDPI module's protocol table (no protocols file).
    explicit AppCatalog(ndpi_detection_module_struct* ndpi);

    [[nodiscard]] const AppInfo& app(uint16_t id) const noexcept {
        return valid(id) ? apps_[id] : apps_[kUnknown];
    }
    [[nodiscard]] bool valid(uint16_t id) const noexcept;
    [[nodiscard]] size_t builtin_protocols() const noexcept { return builtin_count_; }
    // Names known now (built-in, custom and rule apps): the bound of the `app` label.
    [[nodiscard]] size_t known() const noexcept {
        return builtin_count_ + custom_count_.load(std::memory_order_acquire) +
               rule_count_.load(std::memory_order_acquire);
    }
    // nDPI's name as ndpiReader prints it: "TLS.Google", "DNS", "Unknown".
    [[nodiscard]] std::string ndpi_name(uint16_t master, uint16_t app) const;
    [[nodiscard]] std::string_view ndpi_category_name(uint16_t category) const noexcept;
    // The id of the nDPI protocol (built-in or custom) with this name, case-insensitive.
    [[nodiscard]] std::optional<uint16_t> find_ndpi_protocol(std::string_view name) const;

    // Adding names: errors (region full, name clash, category change) come back as text.
    struct Interned {
        uint16_t id = kUnknown;
        std::string error;
    };
    Interned intern_custom_protocol(const std::string& name, const std::string& category);
    Interned intern_rule_app(const std::string& name, const std::string& category);
    [[nodiscard]] bool is_rule_app(uint16_t id) const noexcept {
        return id >= kFirstRuleApp && valid(id);
    }

    // Evidence texts of rules ("tls.sni=*.jajah.com"), referred to by id from verdicts.
    NameTable& evidence() noexcept { return evidence_; }
    [[nodiscard]] std::string_view evidence_text(uint16_t id) const noexcept {
        return id == 0 ? std::string_view() : evidence_.at(id);
    }

private:
    Interned intern(std::atomic<size_t>& count, size_t first, size_t end, const std::string& name,
                    const std::string& category, std::string_view what);

    std::array<AppInfo, kMaxApps> apps_;
    size_t builtin_count_ = 0;
    std::atomic<size_t> custom_count_{0};
    std::atomic<size_t> rule_count_{0};
    std::mutex intern_mutex_;
    std::vector<std::string> categories_;
    NameTable evidence_{kMaxEvidence};
};

}  // namespace ottscope
