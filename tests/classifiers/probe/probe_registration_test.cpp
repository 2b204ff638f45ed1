// The proof that a classifier is one class and one registration line: the probe classifier
// (probe_classifier.cpp, under tests/) is registered by the line below and nothing else, and
// its options are read from its YAML section, its facts name apps in rule files, its counters
// are on /metrics and its field is in the flow records.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "classifiers/app_catalog.h"
#include "classifiers/generation.h"
#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/registry.h"
#include "config/config.h"
#include "config/rules_loader.h"
#include "control/export/flow_record_writer.h"
#include "control/metrics_exposition.h"
#include "control/stats_view.h"
#include "dataplane/generation_publisher.h"
#include "probe_classifier.h"
#include "tests/dataplane/worker_run.h"
#include "tests/frame_builder.h"
#include "tests/test_support.h"

namespace ottscope {
namespace {

const ClassifierRegistration kProbeRegistered{test::kProbeClassifier};

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = test::temp_dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

constexpr const char* kProbeRules = R"(apps:
  - name: probe-app
    category: test
    match:
      any:
        - probe: { first_byte: "47" }
)";

TEST(ProbeClassifier, ItsSectionIsReadFromItsDeclarations) {
    const std::string path = write_file("probe.yaml", R"(classifiers:
  probe:
    min_payload: 3
    tcp_packet_budget: 2
)");
    const ConfigResult loaded = load_config(path, ConfigChecks{});
    ASSERT_TRUE(loaded.ok()) << loaded.errors.front();
    const ClassifierOptions& probe = classifier_options(loaded.config, "probe");
    EXPECT_TRUE(probe.enabled);
    EXPECT_EQ(probe.number(0), 3u);
    EXPECT_EQ(probe.budget.tcp_packets, 2u);
    EXPECT_EQ(probe.budget.udp_packets, test::kProbeClassifier.budget.udp_packets);

    const ConfigResult bad = load_config(write_file("bad.yaml", R"(classifiers:
  probe:
    min_payload: 0
    colour: red
)"),
                                         ConfigChecks{});
    ASSERT_EQ(bad.errors.size(), 2u);
    EXPECT_NE(bad.errors[0].find("min_payload"), std::string::npos) << bad.errors[0];
    EXPECT_NE(bad.errors[1].find("colour"), std::string::npos) << bad.errors[1];
}

TEST(ProbeClassifier, ItsFactsNameAppsInRuleFiles) {
    const NdpiModule ndpi = make_ndpi_module();
    AppCatalog catalog(ndpi.get());
    const RulesResult rules =
        load_rules({write_file("probe_rules.yaml", kProbeRules)}, &catalog, 1);
    ASSERT_TRUE(rules.rules) << (rules.errors.empty() ? "" : rules.errors.front());
    EXPECT_EQ(rules.rules->size(), 1u);
    EXPECT_EQ(catalog.evidence_text(rules.rules->apps()[0].evidence[0]), "probe.first_byte=47");

    const RulesResult unknown = load_rules({write_file("unknown.yaml", R"(apps:
  - name: probe-app
    category: test
    match:
      any:
        - probe: { last_byte: "47" }
)")},
                                           &catalog, 2);
    ASSERT_FALSE(unknown.errors.empty());
    EXPECT_NE(unknown.errors.front().find("last_byte"), std::string::npos);
}

std::vector<uint8_t> segment(bool from_client, uint8_t flags, std::string_view payload = {}) {
    test::FrameBuilder b;
    const std::initializer_list<uint8_t> client = {10, 0, 0, 1};
    const std::initializer_list<uint8_t> server = {192, 0, 2, 1};
    b.ethernet(0x0800).ipv4(from_client ? client : server, from_client ? server : client, 6,
                            static_cast<uint16_t>(20 + payload.size()));
    if (from_client)
        b.tcp(40000, 7000, flags);
    else
        b.tcp(7000, 40000, flags);
    for (const char c : payload) b.bytes({static_cast<uint8_t>(c)});
    return b.frame();
}

TEST(ProbeClassifier, ItsCountersFactsAndFieldReachMetricsRulesAndRecords) {
    const NdpiModule ndpi = make_ndpi_module();
    AppCatalog catalog(ndpi.get());
    RulesResult rules = load_rules({write_file("probe_rules.yaml", kProbeRules)}, &catalog, 1);
    ASSERT_TRUE(rules.rules);
    GenerationPublisher publisher(1);
    auto generation = std::make_unique<Generation>();
    generation->rules = std::move(rules.rules);
    publisher.publish(std::move(generation));

    test::WorkerRun run;
    run.setup().generations = &publisher;
    run.setup().classifier_settings.catalog = &catalog;
    constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kFin = 0x01;
    run.send(segment(true, kSyn), 0);
    run.send(segment(false, kSyn | kAck), 1000);
    run.send(segment(true, kAck), 2000);
    run.send(segment(true, kPsh | kAck, "G\x01\x02"), 3000);
    run.send(segment(false, kPsh | kAck, "ok"), 4000);
    run.send(segment(true, kFin | kAck), 5000);
    run.send(segment(false, kFin | kAck), 6000);
    const std::vector<FlowRecord> records = run.finish();
    ASSERT_EQ(records.size(), 1u);

    std::vector<std::string> names;
    for (const ClassifierDescriptor* descriptor : classifier_registry())
        names.emplace_back(descriptor->name);
    const std::string record = format_flow_record(records[0], catalog, names, {});
    EXPECT_NE(record.find("\"app\":\"probe-app\""), std::string::npos) << record;
    EXPECT_NE(record.find("\"classifier\":\"probe\""), std::string::npos) << record;
    EXPECT_NE(record.find("\"evidence\":[\"probe.first_byte=47\"]"), std::string::npos) << record;
    EXPECT_NE(record.find("\"probe_first_byte\":\"47\""), std::string::npos) << record;

    StatsView view;
    view.catalog = &catalog;
    view.workers = {&run.counters()};
    view.classifier_names = names;
    const std::string metrics = render_metrics(view, sum_totals(view), {}, {});
    // The probe saw the four packets up to and including its first payload.
    EXPECT_NE(metrics.find("ottscope_probe_packets_total{direction=\"c2s\"} 3"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("ottscope_probe_packets_total{direction=\"s2c\"} 1"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("ottscope_classifier_verdicts_total{classifier=\"probe\",app=\"probe-"
                           "app\",confidence=\"high\"} 1"),
              std::string::npos)
        << metrics;
}

uint64_t probe_packets(const test::WorkerRun& run) {
    const ClassifierCounters& probe = *run.counters().classifiers[*classifier_index("probe")];
    return probe.at(0, 0).read() + probe.at(0, 1).read();
}

TEST(ProbeClassifier, SwitchedOffItSeesNothing) {
    test::WorkerRun run;
    run.setup().classifier_options = default_classifier_options();
    run.setup().classifier_options[*classifier_index("probe")].enabled = false;
    run.send(segment(true, 0x18, "G"), 0);
    ASSERT_EQ(run.finish().size(), 1u);
    EXPECT_EQ(probe_packets(run), 0u);
}

TEST(ProbeClassifier, TheWorkerEnforcesItsBudget) {
    test::WorkerRun run;
    run.setup().classifier_options = default_classifier_options();
    ClassifierOptions& probe = run.setup().classifier_options[*classifier_index("probe")];
    probe.numbers[0] = 1500;  // min_payload: it would wait for ever
    probe.budget.tcp_packets = 2;
    for (int i = 0; i < 6; ++i) run.send(segment(true, 0x18, "G"), 1000 * i);
    ASSERT_EQ(run.finish().size(), 1u);
    // Packets 1 and 2 are within the budget, packet 3 goes over it and is the last offer.
    EXPECT_EQ(probe_packets(run), 3u);
}

}  // namespace
}  // namespace ottscope
