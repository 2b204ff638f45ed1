#include "ipfix_encoder.h"

#include <fixbuf/public.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "classifiers/registry.h"

namespace ottscope {
namespace {

// Spec flags: which templates an element belongs to. The internal template takes them all.
constexpr uint32_t kV4 = 1;
constexpr uint32_t kV6 = 2;
constexpr uint32_t kEnterprise = 4;
constexpr uint32_t kInternalOnly = 8;
// What the TLS classifier read from a TLS or QUIC handshake; follows flow_records.tls_fields.
constexpr uint32_t kTls = 16;
// Elements of one record form only (IpfixRecordForm).
constexpr uint32_t kUnidirectional = 32;
constexpr uint32_t kBiflow = 64;

// RFC 5103 biflowDirection values, on unidirectional records: the source is the flow's
// initiator (client to server), or its destination is (server to client).
constexpr uint8_t kInitiator = 1;
constexpr uint8_t kReverseInitiator = 2;

// The record as libfixbuf reads it from memory: the layout must follow kFlowSpec exactly
// (largest fields first, padding spelled out).
struct FlowData {
    uint64_t flow_start_ms;
    uint64_t flow_end_ms;
    uint64_t octets;
    uint64_t packets;
    uint64_t reverse_octets;
    uint64_t reverse_packets;
    uint8_t source_v6[16];
    uint8_t destination_v6[16];
    uint32_t source_v4;
    uint32_t destination_v4;
    uint32_t tunnel_id_up;
    uint32_t tunnel_id_down;
    uint16_t source_port;
    uint16_t destination_port;
    uint16_t vlan;
    uint8_t protocol;
    uint8_t end_reason;
    uint8_t application_id[kApplicationIdLength];
    uint8_t confidence;
    uint8_t tunnel_type;
    uint8_t biflow_direction;
    // Variable-length elements last: collectors that cannot skip them (pmacct 1.7) still
    // read every fixed-offset element before them.
    fbVarfield_t classifier;
    fbVarfield_t evidence;
    fbVarfield_t tls_sni;
    fbVarfield_t tls_alpn;
    fbVarfield_t tls_ja3;
    fbVarfield_t tls_ja4;
};
static_assert(sizeof(FlowData) == 208, "FlowData must match kFlowSpec without hidden padding");

fbInfoElementSpec_t kFlowSpec[] = {
    {const_cast<char*>("flowStartMilliseconds"), 8, 0},
    {const_cast<char*>("flowEndMilliseconds"), 8, 0},
    {const_cast<char*>("octetDeltaCount"), 8, 0},
    {const_cast<char*>("packetDeltaCount"), 8, 0},
    {const_cast<char*>("reverseOctetDeltaCount"), 8, kBiflow},
    {const_cast<char*>("reversePacketDeltaCount"), 8, kBiflow},
    {const_cast<char*>("sourceIPv6Address"), 16, kV6},
    {const_cast<char*>("destinationIPv6Address"), 16, kV6},
    {const_cast<char*>("sourceIPv4Address"), 4, kV4},
    {const_cast<char*>("destinationIPv4Address"), 4, kV4},
    {const_cast<char*>("ottscopeTunnelIdUp"), 4, kEnterprise},
    {const_cast<char*>("ottscopeTunnelIdDown"), 4, kEnterprise},
    {const_cast<char*>("sourceTransportPort"), 2, 0},
    {const_cast<char*>("destinationTransportPort"), 2, 0},
    {const_cast<char*>("vlanId"), 2, 0},
    {const_cast<char*>("protocolIdentifier"), 1, 0},
    {const_cast<char*>("flowEndReason"), 1, 0},
    {const_cast<char*>("applicationId"), kApplicationIdLength, 0},
    {const_cast<char*>("ottscopeConfidence"), 1, kEnterprise},
    {const_cast<char*>("ottscopeTunnelType"), 1, kEnterprise},
    {const_cast<char*>("biflowDirection"), 1, kUnidirectional},
    {const_cast<char*>("ottscopeClassifier"), FB_IE_VARLEN, kEnterprise},
    {const_cast<char*>("ottscopeEvidence"), FB_IE_VARLEN, kEnterprise},
    {const_cast<char*>("ottscopeTlsSni"), FB_IE_VARLEN, kEnterprise | kTls},
    {const_cast<char*>("ottscopeTlsAlpn"), FB_IE_VARLEN, kEnterprise | kTls},
    {const_cast<char*>("ottscopeTlsJa3"), FB_IE_VARLEN, kEnterprise | kTls},
    {const_cast<char*>("ottscopeTlsJa4"), FB_IE_VARLEN, kEnterprise | kTls},
    FB_IESPEC_NULL};

// applicationName has a fixed length, NUL-padded as NBAR2 exporters send it: pmacct 1.7
// reads it at a fixed offset and would take a variable-length prefix for a character.
constexpr size_t kAppNameLength = 32;

struct AppNameData {
    uint8_t application_id[kApplicationIdLength];
    uint8_t name[kAppNameLength];
    uint8_t padding[3];
    fbVarfield_t category;
};
static_assert(sizeof(AppNameData) == 56);

fbInfoElementSpec_t kAppNameSpec[] = {
    {const_cast<char*>("applicationId"), kApplicationIdLength, 0},
    {const_cast<char*>("applicationName"), kAppNameLength, 0},
    {const_cast<char*>("paddingOctets"), 3, kInternalOnly},
    {const_cast<char*>("applicationCategoryName"), FB_IE_VARLEN, 0},
    FB_IESPEC_NULL};

fbInfoElement_t kOttscopeElements[] = {
    FB_IE_INIT_FULL("ottscopeClassifier", kOttscopePen, ottscope_ie::classifier, FB_IE_VARLEN, 0, 0,
                    0, FB_STRING, nullptr),
    FB_IE_INIT_FULL("ottscopeConfidence", kOttscopePen, ottscope_ie::confidence, 1,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 3, FB_UINT_8, nullptr),
    FB_IE_INIT_FULL("ottscopeEvidence", kOttscopePen, ottscope_ie::evidence, FB_IE_VARLEN, 0, 0, 0,
                    FB_STRING, nullptr),
    FB_IE_INIT_FULL("ottscopeTunnelType", kOttscopePen, ottscope_ie::tunnel_type, 1,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, nullptr),
    FB_IE_INIT_FULL("ottscopeTunnelIdUp", kOttscopePen, ottscope_ie::tunnel_id_up, 4,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_32, nullptr),
    FB_IE_INIT_FULL("ottscopeTunnelIdDown", kOttscopePen, ottscope_ie::tunnel_id_down, 4,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_32, nullptr),
    FB_IE_INIT_FULL("ottscopeTlsSni", kOttscopePen, ottscope_ie::tls_sni, FB_IE_VARLEN, 0, 0, 0,
                    FB_STRING, nullptr),
    FB_IE_INIT_FULL("ottscopeTlsAlpn", kOttscopePen, ottscope_ie::tls_alpn, FB_IE_VARLEN, 0, 0, 0,
                    FB_STRING, nullptr),
    FB_IE_INIT_FULL("ottscopeTlsJa3", kOttscopePen, ottscope_ie::tls_ja3, FB_IE_VARLEN, 0, 0, 0,
                    FB_STRING, nullptr),
    FB_IE_INIT_FULL("ottscopeTlsJa4", kOttscopePen, ottscope_ie::tls_ja4, FB_IE_VARLEN, 0, 0, 0,
                    FB_STRING, nullptr),
    FB_IE_NULL};

// RFC 5102 flowEndReason values.
uint8_t end_reason_code(FlowEnd end) {
    switch (end) {
        case FlowEnd::idle_timeout:
            return 0x01;
        case FlowEnd::tcp_fin:
        case FlowEnd::tcp_rst:
            return 0x03;
        case FlowEnd::table_full:
            return 0x05;
        default:
            return 0x04;
    }
}

void application_id(uint16_t app, uint8_t* out) {
    out[0] = kApplicationEngine;
    const uint32_t selector = app;
    out[1] = static_cast<uint8_t>(selector >> 24);
    out[2] = static_cast<uint8_t>(selector >> 16);
    out[3] = static_cast<uint8_t>(selector >> 8);
    out[4] = static_cast<uint8_t>(selector);
}

uint32_t ipv4_of(const IpAddress& address) {
    // Host order: libfixbuf writes integers in network order itself.
    return (uint32_t{address[12]} << 24) | (uint32_t{address[13]} << 16) |
           (uint32_t{address[14]} << 8) | address[15];
}

fbVarfield_t varfield(std::string_view text) {
    return fbVarfield_t{text.size(), reinterpret_cast<uint8_t*>(const_cast<char*>(text.data()))};
}

[[noreturn]] void fail(const char* what, GError* error) {
    std::string message = std::string("IPFIX encoder: ") + what;
    if (error != nullptr) {
        message += ": ";
        message += error->message;
        g_clear_error(&error);
    }
    throw std::runtime_error(message);
}

// Where the TLS classifier keeps a record field; none when it is not registered.
AnnotationSlot tls_slot(std::string_view field) {
    const auto registry = classifier_registry();
    for (const RecordFieldInfo& info : record_field_layout())
        if (registry[info.classifier]->name == "tls" && info.declaration->name == field)
            return info.slot;
    return {};
}

fbTemplate_t* make_template(fbInfoModel_t* model, fbInfoElementSpec_t* spec, uint32_t flags) {
    GError* error = nullptr;
    fbTemplate_t* tmpl = fbTemplateAlloc(model);
    if (!fbTemplateAppendSpecArray(tmpl, spec, flags, &error)) {
        fbTemplateFreeUnused(tmpl);
        fail("building a template", error);
    }
    return tmpl;
}

uint16_t add_template(fbSession_t* session, bool internal, fbTemplate_t* tmpl) {
    GError* error = nullptr;
    const uint16_t tid =
        fbSessionAddTemplate(session, internal ? TRUE : FALSE, FB_TID_AUTO, tmpl, &error);
    if (tid == 0) fail("adding a template", error);
    return tid;
}

}  // namespace

uint32_t ipfix_data_records(const FlowRecord& record, IpfixRecordForm form) {
    // The client sent the flow's first packet: its direction always has a record.
    if (form == IpfixRecordForm::biflow) return 1;
    return record.summary.packets[1] > 0 ? 2 : 1;
}

struct IpfixEncoder::Fixbuf {
    fbInfoModel_t* model = nullptr;
    fBuf_t* buffer = nullptr;  // owns the session and the exporter
    fbExporter_t* exporter = nullptr;
    fbSession_t* session = nullptr;
    uint16_t flow_internal = 0;
    uint16_t flow_v4 = 0;
    uint16_t flow_v6 = 0;
    uint16_t names_internal = 0;
    uint16_t names_external = 0;

    ~Fixbuf() {
        if (buffer != nullptr) fBufFree(buffer);
        if (model != nullptr) fbInfoModelFree(model);
    }
};

IpfixEncoder::IpfixEncoder(const IpfixEncoderOptions& options, const AppCatalog& catalog,
                           const std::vector<std::string>& classifier_names)
    : options_(options),
      catalog_(catalog),
      classifier_names_(classifier_names),
      fixbuf_(std::make_unique<Fixbuf>()),
      message_(std::min<size_t>(options.max_message_bytes, 65535)),
      announced_(kMaxApps, false) {
    Fixbuf& fb = *fixbuf_;
    fb.model = fbInfoModelAlloc();
    fbInfoModelAddElementArray(fb.model, kOttscopeElements);
    fb.session = fbSessionAlloc(fb.model);
    fbSessionSetDomain(fb.session, options_.observation_domain);

    uint32_t enterprise = options_.enterprise_elements ? kEnterprise : 0;
    if (options_.enterprise_elements && options_.tls_elements) enterprise |= kTls;
    const uint32_t form =
        options_.record_form == IpfixRecordForm::biflow ? kBiflow : kUnidirectional;
    tls_slots_ = {tls_slot("sni"), tls_slot("alpn"), tls_slot("ja3"), tls_slot("ja4")};
    fb.flow_internal =
        add_template(fb.session, true, make_template(fb.model, kFlowSpec, UINT32_MAX));
    fb.flow_v4 = add_template(fb.session, false,
                              make_template(fb.model, kFlowSpec, kV4 | form | enterprise));
    fb.flow_v6 = add_template(fb.session, false,
                              make_template(fb.model, kFlowSpec, kV6 | form | enterprise));
    if (options_.app_names) {
        fb.names_internal =
            add_template(fb.session, true, make_template(fb.model, kAppNameSpec, UINT32_MAX));
        fbTemplate_t* names = make_template(fb.model, kAppNameSpec, 0);
        fbTemplateSetOptionsScope(names, 1);  // scope: the applicationId being named
        fb.names_external = add_template(fb.session, false, names);
    }
    fb.exporter = fbExporterAllocBuffer(message_.data(), static_cast<uint16_t>(message_.size()));
    GError* error = nullptr;
    fb.buffer = fBufAllocForExport(fb.session, fb.exporter);
    if (fb.buffer == nullptr) fail("allocating the export buffer", error);
    // Manual mode: a full message comes back as FB_ERROR_EOM and we emit it ourselves, so
    // no message is ever overwritten before it was taken.
    fBufSetAutomaticMode(fb.buffer, FALSE);
}

IpfixEncoder::~IpfixEncoder() = default;

void IpfixEncoder::emit(std::vector<IpfixMessage>& out) {
    GError* error = nullptr;
    if (!fBufEmit(fixbuf_->buffer, &error)) fail("emitting a message", error);
    const size_t length = fbExporterGetMsgLen(fixbuf_->exporter);
    out.push_back(
        IpfixMessage{std::vector<uint8_t>(message_.begin(),
                                          message_.begin() + static_cast<std::ptrdiff_t>(length)),
                     records_open_});
    records_open_ = 0;
    appended_ = 0;
}

void IpfixEncoder::append(uint16_t internal_tid, uint16_t external_tid, void* record, size_t size,
                          std::vector<IpfixMessage>& out) {
    Fixbuf& fb = *fixbuf_;
    // libfixbuf answers FB_ERROR_EOM when the message is full, and also once when a data
    // set follows a template set: emit what the message holds (if anything) and retry.
    for (int attempt = 0;; ++attempt) {
        GError* error = nullptr;
        if (!fBufSetInternalTemplate(fb.buffer, internal_tid, &error))
            fail("selecting the internal template", error);
        if (!fBufSetExportTemplate(fb.buffer, external_tid, &error))
            fail("selecting the export template", error);
        if (fBufAppend(fb.buffer, static_cast<uint8_t*>(record), size, &error)) {
            ++appended_;
            return;
        }
        if (attempt < 2 && g_error_matches(error, FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
            g_clear_error(&error);
            if (appended_ > 0) emit(out);
            continue;
        }
        fail("appending a record", error);
    }
}

void IpfixEncoder::announce_app(uint16_t app, std::vector<IpfixMessage>& out) {
    if (!options_.app_names || app >= announced_.size() || announced_[app]) return;
    announced_[app] = true;
    if (std::find(seen_apps_.begin(), seen_apps_.end(), app) == seen_apps_.end())
        seen_apps_.push_back(app);
    const AppInfo& info = catalog_.app(app);
    AppNameData data{};
    application_id(app, data.application_id);
    std::memcpy(data.name, info.name.data(), std::min(info.name.size(), kAppNameLength));
    data.category = varfield(info.category.empty() ? std::string_view("Unspecified")
                                                   : std::string_view(info.category));
    append(fixbuf_->names_internal, fixbuf_->names_external, &data, sizeof(data), out);
}

void IpfixEncoder::add(const FlowRecord& record, std::vector<IpfixMessage>& out) {
    last_add_records_ = 0;
    const FlowSummary& flow = record.summary;
    // A collector learns an id's name before the first record that uses it.
    announce_app(flow.verdict.app, out);
    const FlowKey& key = flow.key;
    const bool lower_is_client = flow.client_is_lower;
    const IpAddress& client = lower_is_client ? key.lower_address : key.upper_address;
    const IpAddress& server = lower_is_client ? key.upper_address : key.lower_address;
    FlowData data{};
    data.flow_start_ms = flow.first_seen_us / 1000;
    data.flow_end_ms = flow.last_seen_us / 1000;
    data.octets = flow.bytes[0];
    data.packets = flow.packets[0];
    const std::string_view classifier =
        flow.verdict.classifier < classifier_names_.size()
            ? std::string_view(classifier_names_[flow.verdict.classifier])
            : std::string_view("none");
    data.classifier = varfield(classifier);
    data.evidence = varfield(catalog_.evidence_text(flow.verdict.evidence));
    // Empty strings where the template leaves them out: libfixbuf skips them.
    data.tls_sni = varfield(record.annotations.get(tls_slots_[0]));
    data.tls_alpn = varfield(record.annotations.get(tls_slots_[1]));
    data.tls_ja3 = varfield(record.annotations.get(tls_slots_[2]));
    data.tls_ja4 = varfield(record.annotations.get(tls_slots_[3]));
    if (key.ip_version == 4) {
        data.source_v4 = ipv4_of(client);
        data.destination_v4 = ipv4_of(server);
    } else {
        std::memcpy(data.source_v6, client.data(), 16);
        std::memcpy(data.destination_v6, server.data(), 16);
    }
    // Tunnel ids stay per flow on both records: "up" is client to server whichever record.
    data.tunnel_type = static_cast<uint8_t>(record.tunnel.type);
    data.tunnel_id_up = record.tunnel.id_up;
    data.tunnel_id_down = record.tunnel.id_down;
    data.source_port = lower_is_client ? key.lower_port : key.upper_port;
    data.destination_port = lower_is_client ? key.upper_port : key.lower_port;
    data.vlan = key.vlan;
    data.protocol = key.ip_protocol;
    data.end_reason = end_reason_code(record.end);
    application_id(flow.verdict.app, data.application_id);
    data.confidence = static_cast<uint8_t>(flow.verdict.confidence);
    const uint16_t external = key.ip_version == 4 ? fixbuf_->flow_v4 : fixbuf_->flow_v6;
    if (options_.record_form == IpfixRecordForm::biflow) {
        data.reverse_octets = flow.bytes[1];
        data.reverse_packets = flow.packets[1];
    } else {
        data.biflow_direction = kInitiator;
    }
    append(fixbuf_->flow_internal, external, &data, sizeof(data), out);
    ++records_open_;
    ++last_add_records_;
    if (ipfix_data_records(record, options_.record_form) < 2) return;
    // The server's side: the same flow seen from the server, with its own counters.
    std::swap(data.source_v4, data.destination_v4);
    std::swap(data.source_v6, data.destination_v6);
    std::swap(data.source_port, data.destination_port);
    data.octets = flow.bytes[1];
    data.packets = flow.packets[1];
    data.biflow_direction = kReverseInitiator;
    append(fixbuf_->flow_internal, external, &data, sizeof(data), out);
    ++records_open_;
    ++last_add_records_;
}

void IpfixEncoder::flush(std::vector<IpfixMessage>& out) {
    if (appended_ > 0) emit(out);
}

void IpfixEncoder::announce_templates(std::vector<IpfixMessage>& out) {
    flush(out);
    const Fixbuf& fb = *fixbuf_;
    for (const uint16_t tid : {fb.flow_v4, fb.flow_v6, fb.names_external}) {
        if (tid == 0) continue;
        for (int attempt = 0;; ++attempt) {
            GError* error = nullptr;
            if (fbSessionExportTemplate(fb.session, tid, &error)) break;
            // The first template after data always asks for a new message (see append()).
            if (attempt < 2 && g_error_matches(error, FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
                g_clear_error(&error);
                if (appended_ > 0) emit(out);
                continue;
            }
            fail("exporting templates", error);
        }
        ++appended_;
    }
    emit(out);
    // Names again, so a collector that restarted (or joined late) can resolve every id.
    std::fill(announced_.begin(), announced_.end(), false);
    for (const uint16_t app : seen_apps_) announce_app(app, out);
}

}  // namespace ottscope
