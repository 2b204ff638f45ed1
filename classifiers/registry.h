#pragma once
// The explicit list of classifiers: each one's descriptor (descriptor.h), in the order the
// worker offers them packets. Adding one is its folder plus one line in registry.cpp (an
// explicit list, because self-registering statics vanish from static libraries). A test
// binary may add its own classifiers with ClassifierRegistration before anything starts.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "classifier_counters.h"
#include "descriptor.h"
#include "tls/tls_keylog.h"

namespace ottscope {

class NdpiModuleStock;

// What a run shares with every classifier, beside each one's own options.
struct ClassifierSettings {
    // The TLS key log in force (null: none configured), shared read-only by every worker.
    std::shared_ptr<const tls::KeyLog> tls_keylog;
    // Where classifiers add names they discover (custom nDPI protocols); may be null in tests.
    AppCatalog* catalog = nullptr;
    // Optimisations that can be switched off to measure them (ottscope run --without).
    bool tls_certificate_cache = true;
    bool tls_fingerprint_memo = true;
    bool tls_quic_skip_undersized = true;
    bool ndpi_state_from_first_payload = true;
    bool ndpi_final_stop = true;
    bool ndpi_tls_facts = true;
    // nDPI modules built ahead (may be null: each classifier builds its own). Taken only
    // when classifiers are made, so reloads never reach it.
    NdpiModuleStock* ndpi_modules = nullptr;
};

// Verdict::classifier is one byte.
constexpr size_t kRegistryLimit = 255;

std::span<const ClassifierDescriptor* const> classifier_registry() noexcept;
// The registry index of the classifier with this name.
std::optional<uint8_t> classifier_index(std::string_view name) noexcept;

// Every declared fact, by fact id: the facts of each classifier in registry order, each in its
// declaration order.
struct FactInfo {
    const FactDeclaration* declaration = nullptr;
    uint8_t classifier = 0;
    std::string name;  // in evidence: "tls.sni"
};
std::vector<FactInfo> fact_catalog();
// The id of the fact a rule file names `section: { key: ... }`.
std::optional<uint16_t> fact_id(std::string_view section, std::string_view key);
// The id of the first fact `descriptor` declares (its others follow in order).
uint16_t first_fact_of(const ClassifierDescriptor& descriptor) noexcept;

// Every declared record field, laid out in FlowAnnotations (flow_annotations.h): the fields
// of each classifier in registry order, each in its declaration order.
struct RecordFieldInfo {
    const RecordFieldDeclaration* declaration = nullptr;
    uint8_t classifier = 0;
    AnnotationSlot slot;
};
std::vector<RecordFieldInfo> record_field_layout();
// Where the fields of `descriptor` sit, in its declaration order.
std::vector<AnnotationSlot> record_slots_of(const ClassifierDescriptor& descriptor);

// Adds a classifier after the built-in ones; for test binaries, at static initialisation.
// Throws std::length_error beyond kRegistryLimit or when its record fields do not fit in
// FlowAnnotations, and std::invalid_argument for a name already registered.
class ClassifierRegistration {
public:
    explicit ClassifierRegistration(const ClassifierDescriptor& descriptor);
};

// Every classifier's options as its declarations default them, by registry index.
std::vector<ClassifierOptions> default_classifier_options();
// One counter block per registered classifier, laid out by its metric declarations.
std::vector<std::unique_ptr<ClassifierCounters>> make_classifier_counters();

// One instance of every enabled classifier, by registry index (null: disabled), for one
// worker to own. `options` and `counters` are by registry index too (counters may be empty in
// tests).
std::vector<std::unique_ptr<Classifier>> make_worker_classifiers(
    const ClassifierSettings& settings, std::span<const ClassifierOptions> options,
    std::span<const std::unique_ptr<ClassifierCounters>> counters);

}  // namespace ottscope
