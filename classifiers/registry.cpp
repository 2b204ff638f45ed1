#include "registry.h"

#include <array>

#include "http/http_classifier.h"
#include "ndpi/ndpi_classifier.h"
#include "ndpi/ndpi_module_stock.h"
#include "sip/sip_classifier.h"
#include "tls/tls_classifier.h"

namespace ottscope {
namespace {

std::unique_ptr<Classifier> make_ndpi(uint8_t index, const ClassifierSettings& settings) {
    NdpiModule prebuilt = settings.ndpi_modules != nullptr
                              ? settings.ndpi_modules->take(settings.ndpi.protocols_file)
                              : NdpiModule{};
    return std::make_unique<NdpiClassifier>(index, settings.ndpi, settings.catalog,
                                            std::move(prebuilt));
}

std::unique_ptr<Classifier> make_tls(uint8_t index, const ClassifierSettings& settings) {
    return std::make_unique<TlsClassifier>(
        index, settings.catalog, settings.tls_keylog, settings.tls_decrypt_counters,
        settings.tls_certificate_cache ? tls::CertificateCache::kDefaultCapacity : 0);
}

std::unique_ptr<Classifier> make_sip(uint8_t index, const ClassifierSettings& settings) {
    return std::make_unique<SipClassifier>(index, settings.catalog);
}

std::unique_ptr<Classifier> make_http(uint8_t index, const ClassifierSettings& settings) {
    return std::make_unique<HttpClassifier>(index, settings.http_counters);
}

constexpr std::array kRegistry = {
    ClassifierEntry{"ndpi", &make_ndpi},
    ClassifierEntry{"tls", &make_tls},
    ClassifierEntry{"sip", &make_sip},
    ClassifierEntry{"http", &make_http},
};
static_assert(kRegistry.size() <= kMaxClassifiers);

}  // namespace

std::span<const ClassifierEntry> classifier_registry() noexcept {
    return kRegistry;
}

std::vector<std::unique_ptr<Classifier>> make_worker_classifiers(
    const ClassifierSettings& settings) {
    std::vector<std::unique_ptr<Classifier>> classifiers;
    for (size_t i = 0; i < kRegistry.size(); ++i)
        classifiers.push_back(kRegistry[i].make(static_cast<uint8_t>(i), settings));
    return classifiers;
}

}  // namespace ottscope
