#include "registry.h"

#include <stdexcept>
#include <string>

#include "http/http_classifier.h"
#include "ndpi/ndpi_classifier.h"
#include "sip/sip_classifier.h"
#include "tls/tls_classifier.h"

namespace ottscope {
namespace {

std::vector<const ClassifierDescriptor*>& registry() {
    // The order is the order packets are offered in: nDPI first, so the others see its label.
    static std::vector<const ClassifierDescriptor*> list = {
        &kNdpiClassifier,
        &kTlsClassifier,
        &kSipClassifier,
        &kHttpClassifier,
    };
    return list;
}

}  // namespace

std::span<const ClassifierDescriptor* const> classifier_registry() noexcept {
    return registry();
}

std::optional<uint8_t> classifier_index(std::string_view name) noexcept {
    const auto list = classifier_registry();
    for (size_t i = 0; i < list.size(); ++i)
        if (list[i]->name == name) return static_cast<uint8_t>(i);
    return std::nullopt;
}

std::vector<FactInfo> fact_catalog() {
    std::vector<FactInfo> facts;
    const auto list = classifier_registry();
    for (size_t c = 0; c < list.size(); ++c)
        for (const FactDeclaration& fact : list[c]->facts)
            facts.push_back({&fact, static_cast<uint8_t>(c),
                             fact.evidence_name.empty()
                                 ? std::string(fact.section) + "." + std::string(fact.key)
                                 : std::string(fact.evidence_name)});
    return facts;
}

std::optional<uint16_t> fact_id(std::string_view section, std::string_view key) {
    uint16_t id = 0;
    for (const ClassifierDescriptor* descriptor : classifier_registry())
        for (const FactDeclaration& fact : descriptor->facts) {
            if (fact.section == section && fact.key == key) return id;
            ++id;
        }
    return std::nullopt;
}

uint16_t first_fact_of(const ClassifierDescriptor& descriptor) noexcept {
    size_t id = 0;
    for (const ClassifierDescriptor* registered : classifier_registry()) {
        if (registered == &descriptor) break;
        id += registered->facts.size();
    }
    return static_cast<uint16_t>(id);
}

std::vector<RecordFieldInfo> record_field_layout() {
    std::vector<RecordFieldInfo> fields;
    size_t offset = 0;
    const auto list = classifier_registry();
    for (size_t c = 0; c < list.size(); ++c)
        for (const RecordFieldDeclaration& field : list[c]->record_fields) {
            const size_t capacity = size_t{field.max_length} + 1;  // and its terminating NUL
            fields.push_back(
                {&field, static_cast<uint8_t>(c),
                 AnnotationSlot{static_cast<uint16_t>(offset), static_cast<uint16_t>(capacity)}});
            offset += capacity;
        }
    return fields;
}

std::vector<AnnotationSlot> record_slots_of(const ClassifierDescriptor& descriptor) {
    std::vector<AnnotationSlot> slots;
    const auto list = classifier_registry();
    for (const RecordFieldInfo& field : record_field_layout())
        if (list[field.classifier] == &descriptor) slots.push_back(field.slot);
    return slots;
}

ClassifierRegistration::ClassifierRegistration(const ClassifierDescriptor& descriptor) {
    if (classifier_index(descriptor.name))
        throw std::invalid_argument("classifier " + std::string(descriptor.name) +
                                    " is registered twice");
    if (registry().size() >= kRegistryLimit)
        throw std::length_error("more than " + std::to_string(kRegistryLimit) + " classifiers");
    registry().push_back(&descriptor);
    const auto fields = record_field_layout();
    if (!fields.empty() &&
        size_t{fields.back().slot.offset} + fields.back().slot.capacity > FlowAnnotations::kBytes) {
        registry().pop_back();
        throw std::length_error("the record fields of classifier " + std::string(descriptor.name) +
                                " do not fit in the " + std::to_string(FlowAnnotations::kBytes) +
                                " bytes a flow record carries for them");
    }
}

const std::string& ClassifierOptions::text(size_t option) const noexcept {
    static const std::string kNone;
    return option < texts.size() ? texts[option] : kNone;
}

std::vector<ClassifierOptions> default_classifier_options() {
    std::vector<ClassifierOptions> all;
    for (const ClassifierDescriptor* descriptor : classifier_registry()) {
        ClassifierOptions options;
        options.enabled = descriptor->enabled_by_default;
        options.budget = descriptor->budget;
        for (const OptionDeclaration& option : descriptor->options) {
            options.numbers.push_back(option.default_number);
            options.texts.emplace_back();
        }
        all.push_back(std::move(options));
    }
    return all;
}

std::vector<std::unique_ptr<ClassifierCounters>> make_classifier_counters() {
    std::vector<std::unique_ptr<ClassifierCounters>> blocks;
    for (const ClassifierDescriptor* descriptor : classifier_registry())
        blocks.push_back(std::make_unique<ClassifierCounters>(descriptor->metrics, kMaxApps));
    return blocks;
}

std::vector<std::unique_ptr<Classifier>> make_worker_classifiers(
    const ClassifierSettings& settings, std::span<const ClassifierOptions> options,
    std::span<const std::unique_ptr<ClassifierCounters>> counters) {
    const auto list = classifier_registry();
    const std::vector<ClassifierOptions> defaults = options.size() < list.size()
                                                        ? default_classifier_options()
                                                        : std::vector<ClassifierOptions>{};
    std::vector<std::unique_ptr<Classifier>> classifiers;
    for (size_t i = 0; i < list.size(); ++i) {
        const ClassifierOptions& own = i < options.size() ? options[i] : defaults[i];
        if (!own.enabled) {
            classifiers.emplace_back();
            continue;
        }
        ClassifierContext context;
        context.registry_index = static_cast<uint8_t>(i);
        context.options = &own;
        context.counters = i < counters.size() ? counters[i].get() : nullptr;
        context.catalog = settings.catalog;
        context.settings = &settings;
        context.all_options =
            options.size() < list.size() ? std::span<const ClassifierOptions>(defaults) : options;
        classifiers.push_back(list[i]->make(context));
    }
    return classifiers;
}

}  // namespace ottscope
