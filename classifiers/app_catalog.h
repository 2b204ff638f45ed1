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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "name_table.h"

struct ndpi_detection_module_struct;

namespace ottscope {

// Evidence texts ("tls.sni=*.jajah.com") are referred to by uint16_t ids from verdicts, and a
// verdict can outlive the rules that made it (a flow record is written when the flow ends), so
// an id keeps its text for the life of the process. Texts are deduplicated: reloading the same
// rules adds none, an edited rule adds its new texts only. The table grows to the whole id
// space; what cannot fit is refused with an error, never dropped.
constexpr size_t kMaxEvidence = NameTable::kMaxCapacity;
// Kept for the few fixed texts classifiers intern when they are made (SIP methods, "sip inside
// tls"): rules can never fill the table so far that these would not fit.
constexpr size_t kReservedEvidence = 256;
// Evidence texts one rule set may have (one per `any:` condition, one per `all:` app): check-
// config refuses more, so that a rule set fits several times over in what rules may use and
// edits can be reloaded many times before a restart is needed to start the table afresh.
constexpr size_t kMaxRuleEvidencePerSet = 16'384;

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

    // Evidence texts of a rule set, all interned or none: the error says why they do not fit.
    struct InternedEvidence {
        std::vector<uint16_t> ids;  // one per text, in order; empty on error
        std::string error;
    };
    InternedEvidence intern_rule_evidence(std::span<const std::string> texts);

    // A classifier's own fixed evidence text ("sip.method=INVITE"). Rules never take the last
    // kReservedEvidence ids, and classifiers have far fewer fixed texts, so this cannot fail;
    // should it ever, it throws std::length_error rather than name flows with no evidence.
    uint16_t intern_classifier_evidence(std::string_view text);
    // Evidence texts, referred to by id from verdicts; rules add theirs through
    // intern_rule_evidence, classifiers through intern_classifier_evidence.
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
