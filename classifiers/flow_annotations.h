#pragma once
// What classifiers tell the flow record about a flow, beyond the verdict. Flat fixed-size
// text (no heap), because records travel by copy through a ring. Classifiers fill their own
// part from Classifier::annotate() when the flow ends; empty text means "not seen".

#include <array>
#include <cstddef>
#include <string_view>

namespace ottscope {

template <size_t N>
struct AnnotationText {
    std::array<char, N> text{};
    void set(std::string_view value) noexcept {
        const size_t n = value.size() < N ? value.size() : N - 1;
        for (size_t i = 0; i < n; ++i) text[i] = value[i];
        text[n] = '\0';
    }
    [[nodiscard]] std::string_view view() const noexcept { return text.data(); }
    [[nodiscard]] bool empty() const noexcept { return text[0] == '\0'; }
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

struct FlowAnnotations {
    TlsAnnotations tls;
};
static_assert(sizeof(FlowAnnotations) % 4 == 0, "flow records travel in 4-byte ring elements");

}  // namespace ottscope
