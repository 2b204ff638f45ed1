// nDPI as the rest of the appliance sees it (descriptor.h).

#include "ndpi_classifier.h"
#include "ndpi_module_stock.h"
#include "registry.h"

namespace ottscope {
namespace {

// nDPI opens the protocols file itself: it must be something that opening cannot block on
// and reading cannot exhaust memory with.
constexpr uint64_t kMaxProtocolsFileBytes = uint64_t{16} << 20;

constexpr std::array kOptions = {
    OptionDeclaration{
        .key = "protocols_file", .kind = OptionKind::file, .high = kMaxProtocolsFileBytes},
};

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    NdpiSettings settings = ndpi_settings_of(*context.options, *context.settings);
    NdpiModule prebuilt = context.settings->ndpi_modules != nullptr
                              ? context.settings->ndpi_modules->take(settings.protocols_file)
                              : NdpiModule{};
    return std::make_unique<NdpiClassifier>(context.registry_index, std::move(settings),
                                            context.catalog, std::move(prebuilt));
}

}  // namespace

NdpiSettings ndpi_settings_of(const ClassifierOptions& options, const ClassifierSettings& shared) {
    NdpiSettings settings;
    settings.protocols_file = options.text(ndpi_option::protocols_file);
    settings.state_from_first_payload = shared.ndpi_state_from_first_payload;
    return settings;
}

const ClassifierDescriptor kNdpiClassifier = {
    .name = "ndpi",
    .budget = {.tcp_packets = 80, .udp_packets = 24},
    .options = kOptions,
    .make = &make,
};

}  // namespace ottscope
