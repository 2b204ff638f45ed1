#include "flow_record_writer.h"

#include "classifiers/registry.h"
#include "control/json_writer.h"

#include <optional>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace ottscope {
namespace {

std::string address_text(const IpAddress& address, uint8_t ip_version) {
    char text[INET6_ADDRSTRLEN] = {};
    if (ip_version == 4)
        inet_ntop(AF_INET, address.data() + 12, text, sizeof(text));
    else
        inet_ntop(AF_INET6, address.data(), text, sizeof(text));
    return text;
}

std::string protocol_name(uint8_t protocol) {
    switch (protocol) {
        case 6:
            return "TCP";
        case 17:
            return "UDP";
        case 1:
            return "ICMP";
        case 58:
            return "ICMPV6";
        case 132:
            return "SCTP";
        default:
            return std::to_string(protocol);
    }
}

std::string_view end_name(FlowEnd end) {
    return kFlowEndNames.name(end, "shutdown");
}

// "tunnel":{"type":"gtpu","outer":[client side, server side],"teid_up":N,"teid_down":N}
// for GTP-U; other tunnels name their id ("vni", "key", "session", "isid") once, as both
// directions share it; Teredo has none, PBB no outer IP addresses.
void append_tunnel(std::string& out, const FlowTunnel& tunnel) {
    if (tunnel.type == TunnelType::none) return;
    if (tunnel.type == TunnelType::pbb) {  // a backbone of MAC addresses, no outer IP
        fmt::format_to(std::back_inserter(out), ",\"tunnel\":{{\"type\":\"pbb\",\"isid\":{}}}",
                       tunnel.id_up);
        return;
    }
    fmt::format_to(
        std::back_inserter(out), ",\"tunnel\":{{\"type\":\"{}\",\"outer\":[\"{}\",\"{}\"]",
        tunnel_type_name(tunnel.type), address_text(tunnel.outer_client, tunnel.outer_ip_version),
        address_text(tunnel.outer_server, tunnel.outer_ip_version));
    switch (tunnel.type) {
        case TunnelType::gtpu:
            fmt::format_to(std::back_inserter(out), ",\"teid_up\":{},\"teid_down\":{}}}",
                           tunnel.id_up, tunnel.id_down);
            return;
        case TunnelType::geneve:
            fmt::format_to(std::back_inserter(out), ",\"vni_up\":{},\"vni_down\":{}}}",
                           tunnel.id_up, tunnel.id_down);
            return;
        case TunnelType::vxlan:
            fmt::format_to(std::back_inserter(out), ",\"vni\":{}}}", tunnel.id_up);
            return;
        case TunnelType::gre:
        case TunnelType::gre_udp:
            fmt::format_to(std::back_inserter(out), ",\"key\":{}}}", tunnel.id_up);
            return;
        case TunnelType::teredo:  // no id: the outer addresses are all there is
            out += '}';
            return;
        default:
            fmt::format_to(std::back_inserter(out), ",\"session\":{}}}", tunnel.id_up);
            return;
    }
}

// Each classifier's declared record fields that the flow has, in registry order.
void append_classifier_fields(std::string& out, const FlowAnnotations& annotations,
                              const FlowRecordFields& fields) {
    static const std::vector<RecordFieldInfo> layout = record_field_layout();
    for (const RecordFieldInfo& field : layout) {
        if (!fields.shown(field.classifier)) continue;
        const std::string_view value = annotations.get(field.slot);
        if (value.empty()) continue;
        out += ",\"";
        out += field.declaration->name;
        out += "\":";
        append_json_string(out, value);
    }
}

// The TLS classifier's "decrypted" field, when the TLS classifier is registered.
std::optional<AnnotationSlot> decrypted_slot() {
    const auto registry = classifier_registry();
    for (const RecordFieldInfo& field : record_field_layout())
        if (registry[field.classifier]->name == "tls" && field.declaration->name == "decrypted")
            return field.slot;
    return std::nullopt;
}

}  // namespace

std::string format_flow_record(const FlowRecord& record, const AppCatalog& catalog,
                               const std::vector<std::string>& classifier_names,
                               const std::vector<std::string>& zone_names,
                               const FlowRecordFields& fields) {
    const FlowSummary& flow = record.summary;
    const FlowKey& key = flow.key;
    const bool lower_is_client = flow.client_is_lower;
    const std::string lower = address_text(key.lower_address, key.ip_version);
    const std::string upper = address_text(key.upper_address, key.ip_version);
    const AppInfo& app = catalog.app(flow.verdict.app);
    std::string out;
    out.reserve(512);
    out += "{\"proto\":\"" + protocol_name(key.ip_protocol) + "\"";
    fmt::format_to(
        std::back_inserter(out),
        ",\"src_ip\":\"{}\",\"src_port\":{},\"dst_ip\":\"{}\",\"dst_port\":{}",
        lower_is_client ? lower : upper, lower_is_client ? key.lower_port : key.upper_port,
        lower_is_client ? upper : lower, lower_is_client ? key.upper_port : key.lower_port);
    if (key.vlan != 0) fmt::format_to(std::back_inserter(out), ",\"vlan\":{}", key.vlan);
    append_tunnel(out, record.tunnel);
    if (key.zone < zone_names.size() && !zone_names[key.zone].empty()) {
        out += ",\"port\":";
        append_json_string(out, zone_names[key.zone]);
    }
    out += ",\"app\":";
    append_json_string(out, app.name);
    out += ",\"category\":";
    // Apps nDPI did not name (rule apps, the TLS classifier's sip-tls) carry their own category.
    const uint16_t id = flow.verdict.app;
    const bool own_category =
        catalog.is_rule_app(id) || (id >= catalog.builtin_protocols() &&
                                    id != flow.verdict.ndpi_app && id != flow.verdict.ndpi_master);
    append_json_string(out, own_category ? std::string_view(app.category)
                                         : catalog.ndpi_category_name(flow.verdict.ndpi_category));
    out += ",\"ndpi\":";
    append_json_string(out, catalog.ndpi_name(flow.verdict.ndpi_master, flow.verdict.ndpi_app));
    out += ",\"classifier\":";
    append_json_string(out, flow.verdict.classifier < classifier_names.size()
                                ? classifier_names[flow.verdict.classifier]
                                : std::string("none"));
    out += ",\"confidence\":";
    append_json_string(out, confidence_name(flow.verdict.confidence));
    // SIP found inside TLS with a key log backs whatever named the flow (a rule on the SNI).
    static constexpr std::string_view kDecryptedSip = "sip inside tls (decrypted)";
    const std::string_view evidence = catalog.evidence_text(flow.verdict.evidence);
    static const std::optional<AnnotationSlot> decrypted = decrypted_slot();
    const bool decrypted_sip =
        decrypted && record.annotations.get(*decrypted) == "sip" && evidence != kDecryptedSip;
    if (flow.verdict.evidence != 0 || decrypted_sip) {
        out += ",\"evidence\":[";
        if (flow.verdict.evidence != 0) append_json_string(out, evidence);
        if (flow.verdict.evidence != 0 && decrypted_sip) out += ",";
        if (decrypted_sip) append_json_string(out, kDecryptedSip);
        out += "]";
    }
    append_classifier_fields(out, record.annotations, fields);
    fmt::format_to(std::back_inserter(out),
                   ",\"pkts_c2s\":{},\"pkts_s2c\":{},\"bytes_c2s\":{},\"bytes_s2c\":{}"
                   ",\"first_seen\":{}.{:06},\"last_seen\":{}.{:06},\"end_reason\":\"{}\"}}\n",
                   flow.packets[0], flow.packets[1], flow.bytes[0], flow.bytes[1],
                   flow.first_seen_us / 1'000'000, flow.first_seen_us % 1'000'000,
                   flow.last_seen_us / 1'000'000, flow.last_seen_us % 1'000'000,
                   end_name(record.end));
    return out;
}

}  // namespace ottscope
