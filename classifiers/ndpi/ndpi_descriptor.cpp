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

// Whether the TLS classifier runs beside nDPI: it then offers every TLS fact nDPI would
// (at a higher claim tier), so nDPI may stop before the certificate or skip the ClientHello.
bool tls_classifier_runs(const ClassifierContext& context) {
    const std::optional<uint8_t> tls = classifier_index("tls");
    return tls && *tls < context.all_options.size() && context.all_options[*tls].enabled;
}

std::unique_ptr<Classifier> make(const ClassifierContext& context) {
    NdpiSettings settings = ndpi_settings_of(*context.options, *context.settings);
    const bool tls_runs = tls_classifier_runs(context);
    settings.final_stop = context.settings->ndpi_final_stop && tls_runs;
    settings.tls_facts = context.settings->ndpi_tls_facts && tls_runs;
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
