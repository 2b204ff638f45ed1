// The cleartext SIP classifier as the rest of the appliance sees it (descriptor.h).

#include "sip_classifier.h"

namespace ottscope {
namespace {

// In SipFact order.
constexpr std::array<FactDeclaration, static_cast<size_t>(SipFact::count)> kFacts = {{
    {.section = "sip", .key = "method"},
    {.section = "sip", .key = "user_agent"},
    {.section = "sip", .key = "transport"},
}};

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
