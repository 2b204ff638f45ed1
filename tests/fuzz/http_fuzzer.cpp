// libFuzzer target for the HTTP classifier: the input is a conversation (client bytes, then
// server bytes, split by the first byte) fed as a reassembled stream in segments whose size
// the second byte picks, with a rule on host and JSON keys in force. Besides "no crash, no
// sanitizer report", checks that state is always released and the pool drains.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "classifiers/http/http_classifier.h"
#include "classifiers/rule_set.h"
#include "tests/classifiers/rule_test_support.h"

namespace {

void check(bool holds) {
    if (!holds) __builtin_trap();
}

const ottscope::RuleSet& rules() {
    using namespace ottscope;
    static const RuleSet set = [] {
        AppRule rule;
        rule.app = kFirstRuleApp;
        RuleCondition condition;
        condition.tests.push_back(test::fact_test("http", "host", {"api.tumeapp.com"}));
        condition.tests.push_back(test::fact_test("json", "keys", {"msisdn"}));
        rule.conditions.push_back(condition);
        rule.evidence.push_back(1);
        rule.confidence.push_back(Confidence::high);
        return RuleSet({rule}, 1, "fuzz");
    }();
    return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ottscope;
    if (size < 2) return 0;
    static HttpClassifier classifier(1, nullptr);
    const size_t split = 2 + (size - 2) * data[0] / 255;
    const size_t segment = 1 + data[1] % 97;
    const std::vector<uint8_t> sides[2] = {{data + 2, data + split}, {data + split, data + size}};
    uint8_t server[16] = {};
    void* state = nullptr;
    Verdict verdict;
    Progress progress = Progress::need_more;
    uint32_t packets = 0;
    for (size_t d = 0; d < 2 && progress == Progress::need_more; ++d) {
        for (size_t at = 0; at < sides[d].size() && progress == Progress::need_more;
             at += segment) {
            PacketView view;
            view.direction = static_cast<Direction>(d);
            view.ip_protocol = 6;
            view.flow_packets = ++packets;
            view.server_address = server;
            view.rules = &rules();
            const size_t end = std::min(sides[d].size(), at + segment);
            view.stream = {sides[d].data(), end};
            view.payload = view.stream.subspan(at);
            view.stream_new_offset = static_cast<uint32_t>(at);
            progress = classifier.inspect(state, view, verdict);
        }
    }
    if (progress == Progress::need_more) {
        PacketView context;
        context.rules = &rules();
        context.server_address = server;
        classifier.conclude(state, context, verdict);
    }
    check(state == nullptr);
    check(classifier.state_bytes_in_use() == 0);
    check(verdict.app == 0 || verdict.app == kFirstRuleApp);
    return 0;
}
