#pragma once
// The explicit list of classifiers. Adding one is a class plus one line in registry.cpp
// (an explicit list, because self-registering statics vanish from static libraries).

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "classifier.h"
#include "ndpi/ndpi_classifier.h"
#include "tls/tls_keylog.h"

namespace ottscope {

struct HttpCounters;
struct TlsDecryptCounters;
class NdpiModuleStock;

constexpr size_t kMaxClassifiers = 4;

// Settings of every classifier, from the configuration.
struct ClassifierSettings {
    NdpiSettings ndpi;
    // The TLS key log in force (null: none configured), shared read-only by every worker.
    std::shared_ptr<const tls::KeyLog> tls_keylog;
    // Where classifiers add names they discover (custom nDPI protocols); may be null in tests.
    AppCatalog* catalog = nullptr;
    // The counters of the worker the classifiers are made for; may be null in tests.
    HttpCounters* http_counters = nullptr;
    TlsDecryptCounters* tls_decrypt_counters = nullptr;
    // The TLS classifier keeps decoded certificates per worker; off only to measure it.
    bool tls_certificate_cache = true;
    // nDPI modules built ahead (may be null: each classifier builds its own). Taken only
    // when classifiers are made, so reloads never reach it.
    NdpiModuleStock* ndpi_modules = nullptr;
};

struct ClassifierEntry {
    std::string_view name;
    std::unique_ptr<Classifier> (*make)(uint8_t registry_index, const ClassifierSettings& settings);
};

std::span<const ClassifierEntry> classifier_registry() noexcept;

// One instance of every registered classifier, for one worker to own.
std::vector<std::unique_ptr<Classifier>> make_worker_classifiers(
    const ClassifierSettings& settings);

}  // namespace ottscope
