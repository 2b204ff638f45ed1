#pragma once
// What the TLS classifier keeps of a decided flow for its record, until the flow ends: short
// copies of the handshake's names and fingerprints, in one pooled block per flow.

#include "classifiers/flow_annotations.h"

namespace ottscope {

// Its fields, in the order of the descriptor's record field declarations (tls_descriptor.cpp).
enum class TlsRecordField : uint8_t {
    sni,
    alpn,
    ja3,
    ja3s,
    ja4,
    cert_subject,
    cert_issuer,
    decrypted,
    count
};

struct TlsAnnotations {
    AnnotationText<128> sni;
    AnnotationText<48> alpn;  // the client's offers, comma-separated
    AnnotationText<36> ja3;   // 32 hex
    AnnotationText<36> ja3s;
    AnnotationText<40> ja4;  // 36 characters
    AnnotationText<128> cert_subject;
    AnnotationText<128> cert_issuer;
    // With a key log: what the decrypted application data was ("sip", "not_sip", "failed").
    AnnotationText<8> decrypted;
};

// Its facts, in the order of the descriptor's fact declarations.
enum class TlsFact : uint8_t { sni, alpn, cert_san, cert_subject, cert_issuer, ja3, ja4, count };

}  // namespace ottscope
