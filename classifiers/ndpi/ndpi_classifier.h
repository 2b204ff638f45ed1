#pragma once
// nDPI 4.2 as a classifier. It follows ndpiReader's detection policy (packet budgets of 80
// TCP / 24 UDP packets, extra dissection for certificates, port guessing when giving up)
// so that our verdicts can be checked against ndpiReader's on the same captures.
//
// Settings that need a new nDPI module (a changed protocols file) are built on the control
// side, one module per worker, and reach the worker inside a published Generation; the worker
// adopts it between bursts. Flows already under detection finish on the module they started
// with; a module is freed by the control side once its worker marked it drained.

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "classifier.h"
#include "descriptor.h"
#include "ndpi/ndpi_tls_facts.h"
#include "rule_set.h"
#include "state_pool.h"

struct ndpi_detection_module_struct;
struct ndpi_proto;
struct ndpi_flow_struct;

namespace ottscope {

class AppCatalog;
struct ClassifierSettings;

// nDPI gives up after ndpiReader's packet budgets (80 TCP, 24 UDP), the same as the oracle.
extern const ClassifierDescriptor kNdpiClassifier;
// Its options (classifiers.ndpi), by index.
namespace ndpi_option {
constexpr size_t protocols_file = 0;
}  // namespace ndpi_option

struct NdpiSettings {
    bool guess_on_giveup = true;
    // nDPI protocols file (custom protocols by host, port, IP), empty for none.
    std::string protocols_file;
    // nDPI's flow state is taken at the flow's first payload, not its first packet (SYN
    // floods and scans then hold none); off only to measure what that costs or saves.
    bool state_from_first_payload = true;
    // A TCP TLS flow is decided as soon as nDPI's name for it cannot change any more (its
    // SNI matched a host), not after the server's certificate: nDPI's certificate facts are
    // then left to the TLS classifier, so the descriptor turns this on only when it runs.
    bool final_stop = true;
    // A flow opening with one whole ClientHello whose SNI settles nDPI's name is named from
    // our own parse of it (ndpi_tls_facts.h); on only with the TLS classifier, as above.
    bool tls_facts = true;
};

// One nDPI detection module, configured as ottscope and ndpiReader use it.
struct NdpiModuleDeleter {
    void operator()(ndpi_detection_module_struct* module) const noexcept;
};
using NdpiModule = std::unique_ptr<ndpi_detection_module_struct, NdpiModuleDeleter>;
NdpiModule make_ndpi_module();
// The same with a protocols file (empty: none): null, with `error` set, when it cannot load.
NdpiModule make_ndpi_module(const std::string& protocols_file, std::string& error);

// Ids nDPI's module can return (its NDPI_NUM_BITS).
constexpr size_t kNdpiProtocolIds = 512;

// A module and the translation of its protocol ids into catalog ids (custom protocols get
// catalog ids by name, so the same name keeps its counters whatever order a file lists it in).
struct NdpiGeneration {
    NdpiModule module;
    std::array<uint16_t, kNdpiProtocolIds> to_catalog{};
    uint32_t live_flows = 0;           // flows under detection with this module (worker-owned)
    std::atomic<bool> drained{false};  // retired by the worker and unused: the owner may free it
};

// The settings a run's options for nDPI (classifiers.ndpi) and its shared settings make.
NdpiSettings ndpi_settings_of(const ClassifierOptions& options, const ClassifierSettings& shared);

// What identifies a protocols file's content for a reload (path, size, modification time):
// a reload builds new modules only when it changed.
std::string ndpi_protocols_stamp(const std::string& path);

// Builds a generation from settings; custom protocols are added to `catalog` (may be null:
// then only built-in ids translate). On failure returns null with `error` set.
// `prebuilt`, when given, is a module already built for settings.protocols_file.
std::unique_ptr<NdpiGeneration> make_ndpi_generation(const NdpiSettings& settings,
                                                     AppCatalog* catalog, std::string& error,
                                                     NdpiModule prebuilt = {});

class NdpiClassifier final : public Classifier {
public:
    // Throws std::runtime_error when the settings cannot make a module. `prebuilt`, when
    // given, is a module already built for settings.protocols_file (see NdpiModuleStock).
    NdpiClassifier(uint8_t registry_index, NdpiSettings settings, AppCatalog* catalog,
                   NdpiModule prebuilt = {});
    ~NdpiClassifier() override;

    Progress inspect(void*& state, const PacketView& packet, Verdict& verdict) noexcept override;
    void conclude(void*& state, const PacketView& context, Verdict& verdict) noexcept override;
    // Pool blocks of undecided flows plus nDPI's own allocations made on this thread.
    [[nodiscard]] size_t state_bytes_in_use() const noexcept override;
    // This worker's module of the generation (or the one it was built with); the module
    // left behind is marked drained once no flow of it is under detection.
    void adopt(const Generation& generation, unsigned worker) noexcept override;

private:
    struct FlowBlock;
    struct FreeScratch {
        void operator()(::ndpi_flow_struct* flow) const noexcept;
    };
    // `guessed`: nDPI named the protocol from ports or addresses alone, not from content.
    void record(const ::ndpi_proto& protocol, const NdpiGeneration& generation, Verdict& verdict,
                bool guessed = false) const noexcept;
    // The final verdict: nDPI's label, then the rules over what nDPI extracted (`alpn`, when
    // given, stands for the ALPN nDPI did not read itself).
    void decide(const ::ndpi_proto& protocol, const FlowBlock& block, const PacketView& packet,
                Verdict& verdict, bool guessed, std::string_view alpn = {}) noexcept;
    void release(void*& state) noexcept;
    // The verdict of a flow that has shown no payload yet: nDPI's guess, then the rules.
    void guess_without_state(const PacketView& packet, Verdict& verdict) noexcept;

    uint8_t registry_index_;
    NdpiSettings settings_;
    AppCatalog* catalog_;
    StatePool pool_;
    FactSheet facts_;  // scratch for the facts of the flow being decided
    NdpiTlsFacts tls_facts_;
    struct FactIds {
        uint16_t tls_sni, tls_alpn, tls_cert_san, tls_cert_subject, tls_cert_issuer, tls_ja3;
        uint16_t http_host, http_content_type;
    } fact_ids_{};
    // The module the classifier was built with, kept for its life (flows may still use it
    // long after a reload), and the one new flows start on.
    std::unique_ptr<NdpiGeneration> own_;
    NdpiGeneration* current_ = nullptr;
    std::unique_ptr<::ndpi_flow_struct, FreeScratch> scratch_;  // for flows without state
    // A flow's state slot points here while the flow has shown only its client's SYN.
    static std::byte saw_client_syn_;
    size_t heap_baseline_ = 0;
    bool heap_baseline_taken_ = false;
};

}  // namespace ottscope
