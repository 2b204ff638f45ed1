#pragma once
// IPFIX (RFC 7011) encoding of flow records for one observation domain, through libfixbuf:
// templates for IPv4 and IPv6 flows in one of two record forms (IpfixRecordForm),
// applicationId (IE 95) in data records, an options template mapping each id to applicationName (IE
// 96) and applicationCategoryName (IE 97) (the NBAR2 convention), and enterprise elements under
// kOttscopePen. The encoder produces whole IPFIX messages; sending them is someone else's
// job (ipfix_exporter.h). Control thread only.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "classifiers/app_catalog.h"
#include "dataplane/flow_record.h"

namespace ottscope {

// Private enterprise number of ottscope's own elements. 32473 is the number IANA reserves
// for documentation (RFC 5612): a placeholder, to be replaced by a registered PEN before
// collectors in the field rely on it.
inline constexpr uint32_t kOttscopePen = 32473;
// Element ids under kOttscopePen. They share no number with another element of our
// templates, standard or RFC 5103 reverse (PEN 29305, ids 1 and 2): with ids 1 and 2, pmacct
// 1.7.7's nfacctd decoded our classifier and confidence as empty and 0 (while id 3 decoded);
// with 101-106 it decodes all of them (tests/control/export, deploy/pmacct/primitives.lst).
namespace ottscope_ie {
inline constexpr uint16_t classifier = 101;      // string: name of the deciding classifier
inline constexpr uint16_t confidence = 102;      // unsigned8: 0 none, 1 low, 2 medium, 3 high
inline constexpr uint16_t evidence = 103;        // string: the rule evidence that named the app
inline constexpr uint16_t tunnel_type = 104;     // unsigned8: 0 none, 1 gtpu, 2 vxlan, 3 gre, ...
inline constexpr uint16_t tunnel_id_up = 105;    // unsigned32: TEID/VNI/key client to server
inline constexpr uint16_t tunnel_id_down = 106;  // unsigned32: the same, server to client
// What the TLS classifier read from the cleartext TLS or QUIC handshake (strings, empty when
// not seen), as the JSON Lines record's sni, alpn, ja3 and ja4.
inline constexpr uint16_t tls_sni = 107;
inline constexpr uint16_t tls_alpn = 108;
inline constexpr uint16_t tls_ja3 = 109;
inline constexpr uint16_t tls_ja4 = 110;
}  // namespace ottscope_ie
// applicationId = classification engine id (1 octet) + selector (4 octets): engine 6 is
// "USER-Defined" (RFC 6759) and the selector is ottscope's catalog id of the app.
inline constexpr uint8_t kApplicationEngine = 6;
inline constexpr size_t kApplicationIdLength = 5;

// How a flow becomes IPFIX data records.
enum class IpfixRecordForm : uint8_t {
    // Two records, client to server and server to client (addresses and ports swapped), each
    // with its own octetDeltaCount/packetDeltaCount and sharing the flow's start, end, app and
    // enterprise elements; biflowDirection (IE 239) says which is which. Collectors that know
    // nothing of RFC 5103 (pmacct's nfacctd, nfdump) count both directions. A server that
    // never answered gives no server-to-client record.
    unidirectional,
    // One RFC 5103 biflow record: server to client in reverseOctetDeltaCount and
    // reversePacketDeltaCount (PEN 29305), for YAF/SiLK-style collectors.
    biflow,
};

// IPFIX data records that `record` becomes in `form`: the unit of the export's counters
// (sent, dropped, queued), as a collector counts them.
uint32_t ipfix_data_records(const FlowRecord& record, IpfixRecordForm form);

struct IpfixEncoderOptions {
    uint32_t observation_domain = 0;
    size_t max_message_bytes = 1400;  // UDP: below the path MTU; TCP: up to 65535
    bool app_names = true;            // the options template and records naming app ids
    bool enterprise_elements = true;  // classifier, confidence, evidence, tunnel ids
    bool tls_elements = true;         // with enterprise_elements: SNI, ALPN, JA3, JA4
    IpfixRecordForm record_form = IpfixRecordForm::unidirectional;
};

// One whole IPFIX message and the data records it carries (for the drop accounting).
struct IpfixMessage {
    std::vector<uint8_t> bytes;
    uint32_t records = 0;
};

class IpfixEncoder {
public:
    IpfixEncoder(const IpfixEncoderOptions& options, const AppCatalog& catalog,
                 const std::vector<std::string>& classifier_names);
    ~IpfixEncoder();
    IpfixEncoder(const IpfixEncoder&) = delete;
    IpfixEncoder& operator=(const IpfixEncoder&) = delete;

    // Adds the data records of one flow record; every message completed on the way is
    // appended to `out`. When it throws, last_add_records() says how many got in.
    void add(const FlowRecord& record, std::vector<IpfixMessage>& out);
    [[nodiscard]] uint32_t last_add_records() const noexcept { return last_add_records_; }
    // Ends the message under construction, if it holds any record.
    void flush(std::vector<IpfixMessage>& out);
    // Templates (and then the names of every app seen so far) in messages of their own: at
    // the start, on every refresh (UDP) and after every reconnection (TCP).
    void announce_templates(std::vector<IpfixMessage>& out);
    // Data records inside the message under construction.
    [[nodiscard]] uint32_t records_open() const noexcept { return records_open_; }
    [[nodiscard]] uint32_t observation_domain() const noexcept {
        return options_.observation_domain;
    }

private:
    struct Fixbuf;
    void append(uint16_t internal_tid, uint16_t external_tid, void* record, size_t size,
                std::vector<IpfixMessage>& out);
    void emit(std::vector<IpfixMessage>& out);
    void announce_app(uint16_t app, std::vector<IpfixMessage>& out);

    IpfixEncoderOptions options_;
    const AppCatalog& catalog_;
    const std::vector<std::string>& classifier_names_;
    std::unique_ptr<Fixbuf> fixbuf_;
    std::vector<uint8_t> message_;
    std::vector<bool> announced_;  // per app id: named in the current template epoch
    std::vector<uint16_t> seen_apps_;
    std::array<AnnotationSlot, 4> tls_slots_{};  // sni, alpn, ja3, ja4 in the record
    uint32_t records_open_ = 0;
    uint32_t last_add_records_ = 0;
    uint32_t appended_ = 0;  // data or options records inside the message under construction
};

}  // namespace ottscope
