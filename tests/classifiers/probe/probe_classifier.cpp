#include "probe_classifier.h"

#include <array>
#include <cstdio>

#include "classifiers/registry.h"
#include "classifiers/rule_set.h"

namespace ottscope::test {
namespace {

constexpr std::array<std::string_view, 2> kDirections = {"c2s", "s2c"};

constexpr std::array kMetrics = {
    MetricDeclaration{.name = "ottscope_probe_packets_total",
                      .help = "Packets the probe classifier inspected, by direction.",
                      .labels = {{{.name = "direction", .values = kDirections}}},
                      .label_count = 1},
};
constexpr std::array kFacts = {FactDeclaration{.section = "probe", .key = "first_byte"}};
constexpr std::array kRecordFields = {
    RecordFieldDeclaration{.name = "probe_first_byte", .max_length = 2}};
constexpr std::array kOptions = {OptionDeclaration{
    .key = "min_payload", .kind = OptionKind::number, .low = 1, .high = 1500, .default_number = 1}};

class ProbeClassifier final : public Classifier {
public:
    explicit ProbeClassifier(const ClassifierContext& context)
        : index_(context.registry_index),
          counters_(context.counters),
          min_payload_(context.options->number(0)),
          facts_(fact_catalog().size()),
          first_fact_(first_fact_of(kProbeClassifier)),
          slot_(record_slots_of(kProbeClassifier).at(0)) {}

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override {
        if (counters_ != nullptr) counters_->at(0, static_cast<size_t>(packet.direction)).add();
        if (packet.payload.size() < min_payload_) return Progress::need_more;
        // The state slot holds the byte itself (plus one, so 0 stays "nothing seen").
        state = reinterpret_cast<void*>(uintptr_t{packet.payload[0]} + 1);
        if (packet.rules != nullptr) {
            FlowFacts facts = endpoint_facts(verdict, packet);
            const std::string hex = text_of(state);
            facts_.set(first_fact_, hex);
            facts.values = facts_.values();
            packet.rules->apply(facts, index_, verdict, ClaimTier::protocol);
        }
        return Progress::done;
    }
    void conclude(void*& /*state*/, const PacketView& /*context*/,
                  Verdict& /*verdict*/) noexcept override {}
    void annotate(void*& state, FlowAnnotations& annotations) noexcept override {
        if (state != nullptr) annotations.set(slot_, text_of(state));
        state = nullptr;
    }

private:
    static std::string text_of(void* state) {
        char hex[3];
        std::snprintf(hex, sizeof(hex), "%02x",
                      static_cast<unsigned>(reinterpret_cast<uintptr_t>(state) - 1));
        return hex;
    }

    uint8_t index_;
    ClassifierCounters* counters_;
    uint64_t min_payload_;
    FactSheet facts_;
    uint16_t first_fact_;
    AnnotationSlot slot_;
};

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<ProbeClassifier>(context);
}

}  // namespace

const ClassifierDescriptor kProbeClassifier = {
    .name = "probe",
    .budget = {.tcp_packets = 4, .udp_packets = 4},
    .options = kOptions,
    .metrics = kMetrics,
    .facts = kFacts,
    .record_fields = kRecordFields,
    .make = &make,
};

}  // namespace ottscope::test
