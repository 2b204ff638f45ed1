// The cleartext SIP classifier as the rest of the appliance sees it (descriptor.h).

#include "sip_classifier.h"

namespace ottscope {
namespace {

constexpr auto kFacts = enum_table<SipFact, FactDeclaration>({
    {SipFact::method, {.section = "sip", .key = "method"}},
    {SipFact::user_agent, {.section = "sip", .key = "user_agent"}},
    {SipFact::transport, {.section = "sip", .key = "transport"}},
});

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    return std::make_unique<SipClassifier>(context.registry_index, context.catalog);
}

}  // namespace

const ClassifierDescriptor kSipClassifier = {
    .name = "sip",
    .budget = {.tcp_packets = 12, .udp_packets = 12},
    .facts = kFacts,
    .make = &make,
};

}  // namespace ottscope
